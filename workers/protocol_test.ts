import assert from "node:assert/strict";
import { maxWriteChunk, parseWorkerMessage, type WorkerMessage } from "./protocol.ts";

const wellFormed: WorkerMessage[] = [
  { t: "ready", version: 1 },
  { t: "ready", version: 0 },
  { t: "pong", seq: 0 },
  { t: "pong", seq: Number.MAX_SAFE_INTEGER },
  { t: "write", cid: "c1", buf: new ArrayBuffer(10) },
  { t: "write", cid: "c1", buf: new ArrayBuffer(0) },
  { t: "write", cid: "a".repeat(32), buf: new ArrayBuffer(maxWriteChunk) },
  { t: "consumed", cid: "0", n: 0 },
  { t: "consumed", cid: "z9", n: 65536 },
  { t: "starttls", cid: "c1", reply: new TextEncoder().encode("220 2.0.0 Go\r\n").buffer },
  { t: "starttls", cid: "c1", reply: new ArrayBuffer(1024) },
  { t: "close", cid: "c1" },
];

Deno.test("parseWorkerMessage() accepts each well-formed message", () => {
  for (const m of wellFormed) {
    assert.deepEqual(parseWorkerMessage(m), m, JSON.stringify(m));
  }
});

Deno.test("parseWorkerMessage() returns a fresh object without extra fields", () => {
  const m = { t: "close", cid: "c1", extra: "steer me" };
  const parsed = parseWorkerMessage(m);
  assert.deepEqual(parsed, { t: "close", cid: "c1" });
  assert.notEqual(parsed, m);
});

function rejects(cases: Record<string, unknown>): void {
  for (const [name, m] of Object.entries(cases)) {
    assert.equal(parseWorkerMessage(m), undefined, name);
  }
}

Deno.test("parseWorkerMessage() rejects non-objects", () => {
  rejects({
    undefined: undefined,
    null: null,
    string: "ready",
    number: 1,
    boolean: true,
    bigint: 1n,
    function: () => ({ t: "ready", version: 1 }),
    array: ["ready", 1],
    buffer: new ArrayBuffer(8),
  });
});

Deno.test("parseWorkerMessage() rejects an unknown or missing t", () => {
  rejects({
    missing: { version: 1 },
    unknown: { t: "exec", cid: "c1" },
    supervisorOnly: { t: "drain" },
    open: { t: "open", cid: "c1" },
    caseDiffers: { t: "READY", version: 1 },
    notString: { t: 1, version: 1 },
    proto: { t: "__proto__", cid: "c1" },
  });
});

Deno.test("parseWorkerMessage() rejects a bad cid", () => {
  const bad: Record<string, unknown> = {
    missing: undefined,
    empty: "",
    tooLong: "a".repeat(33),
    uppercase: "C1",
    path: "../c1",
    slash: "c/1",
    dot: "c.1",
    space: "c 1",
    newline: "c1\n",
    nul: "c1\0",
    unicode: "c\u0131",
    number: 1,
    object: { toString: () => "c1" },
  };
  for (const t of ["write", "consumed", "starttls", "close"]) {
    for (const [name, cid] of Object.entries(bad)) {
      const m = { t, cid, buf: new ArrayBuffer(1), n: 1, reply: new ArrayBuffer(1) };
      assert.equal(parseWorkerMessage(m), undefined, `${t} ${name}`);
    }
  }
});

Deno.test("parseWorkerMessage() rejects a write without an ArrayBuffer or over maxWriteChunk", () => {
  rejects({
    missing: { t: "write", cid: "c1" },
    string: { t: "write", cid: "c1", buf: "hello" },
    view: { t: "write", cid: "c1", buf: new Uint8Array(4) },
    dataView: { t: "write", cid: "c1", buf: new DataView(new ArrayBuffer(4)) },
    shared: { t: "write", cid: "c1", buf: new SharedArrayBuffer(4) },
    array: { t: "write", cid: "c1", buf: [1, 2, 3] },
    fake: { t: "write", cid: "c1", buf: { byteLength: 4 } },
    overCap: { t: "write", cid: "c1", buf: new ArrayBuffer(maxWriteChunk + 1) },
  });
});

Deno.test("parseWorkerMessage() rejects a starttls reply over 1024 bytes or missing", () => {
  rejects({
    missing: { t: "starttls", cid: "c1" },
    overCap: { t: "starttls", cid: "c1", reply: new ArrayBuffer(1025) },
    string: { t: "starttls", cid: "c1", reply: "220 2.0.0 Go\r\n" },
    view: { t: "starttls", cid: "c1", reply: new Uint8Array(4) },
  });
});

Deno.test("parseWorkerMessage() rejects negative, fractional, huge and non-number counts", () => {
  const bad: Record<string, unknown> = {
    negative: -1,
    fractional: 1.5,
    huge: Number.MAX_SAFE_INTEGER + 1,
    infinity: Infinity,
    nan: NaN,
    string: "1",
    bigint: 1n,
    missing: undefined,
  };
  for (const [name, n] of Object.entries(bad)) {
    assert.equal(
      parseWorkerMessage({ t: "consumed", cid: "c1", n }),
      undefined,
      `consumed ${name}`,
    );
    assert.equal(parseWorkerMessage({ t: "pong", seq: n }), undefined, `pong ${name}`);
    assert.equal(parseWorkerMessage({ t: "ready", version: n }), undefined, `ready ${name}`);
  }
  // `ready` caps the version far lower than the other counts.
  assert.equal(parseWorkerMessage({ t: "ready", version: 1e6 + 1 }), undefined);
  assert.deepEqual(parseWorkerMessage({ t: "ready", version: 1e6 }), { t: "ready", version: 1e6 });
});
