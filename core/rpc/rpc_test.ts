import assert from "node:assert/strict";
import { configureLogging } from "../log/mod.ts";
import {
  type ApiSpec,
  type HandlerContext,
  type Handlers,
  RpcClient,
  RpcError,
  RpcServer,
} from "./rpc.ts";
import type { WorkerApi, WorkerEvents } from "./testdata/api.ts";

type Api = {
  add: { params: { a: number; b: number }; result: number };
  echo: { params: unknown; result: unknown };
  find: { params: { id: string }; result: { id: string; subject: string } };
  crash: { params: null; result: never };
  wait: { params: { key: string }; result: string };
  bytes: { params: { data: ArrayBuffer }; result: ArrayBuffer };
};
type Events = {
  mailboxChanged: { mailbox: string; exists: number };
  other: null;
};

/** Per-key handshake with the `wait` handler: when it started, and what it returns. */
class Gates {
  readonly #gates = new Map<
    string,
    { started: PromiseWithResolvers<HandlerContext>; result: PromiseWithResolvers<string> }
  >();
  get(key: string) {
    let g = this.#gates.get(key);
    if (g === undefined) {
      g = { started: Promise.withResolvers(), result: Promise.withResolvers() };
      this.#gates.set(key, g);
    }
    return g;
  }
  /** Resolves with the handler's context once `key`'s handler has started. */
  started(key: string): Promise<HandlerContext> {
    return this.get(key).started.promise;
  }
  /** Makes `key`'s handler return `value`. */
  release(key: string, value: string): void {
    this.get(key).result.resolve(value);
  }
  get size(): number {
    return this.#gates.size;
  }
}

/** Resolves once `signal` has aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** Handlers for `Api`; `wait` waits for the test to release its key. */
function handlers(gates: Gates = new Gates()): Handlers<Api> {
  return {
    add: ({ a, b }) => a + b,
    echo: (p) => p,
    find: ({ id }) => {
      if (id === "1") return { id, subject: "hello" };
      throw new RpcError("NotFound", `No message ${id}`);
    },
    crash: () => {
      throw new Error("Cannot open /secret/path");
    },
    wait: ({ key }, ctx) => {
      const g = gates.get(key);
      g.started.resolve(ctx);
      return g.result.promise;
    },
    bytes: ({ data }, ctx) => {
      const out = new Uint8Array(data).reverse().buffer;
      ctx.transfer(out);
      return out;
    },
  };
}

/** A client and a server on the two ends of a MessageChannel, closed on dispose. */
function pair(
  h: Handlers<Api> = handlers(),
  options: { onInternalError?: (method: string, err: unknown) => void } = {},
) {
  const ch = new MessageChannel();
  const client = new RpcClient<Api, Events>(ch.port1, { timeoutMs: 5_000 });
  const server = new RpcServer<Api, Events>(ch.port2, h, options);
  return {
    client,
    server,
    ch,
    [Symbol.dispose]() {
      client.close();
      server.close();
      ch.port1.close();
      ch.port2.close();
    },
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof RpcError, `not an RpcError: ${String(err)}`);
    assert.equal(err.code, code);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

Deno.test("call() resolves with the handler's typed result", async () => {
  using p = pair();
  const sum: number = await p.client.call("add", { a: 2, b: 40 });
  assert.equal(sum, 42);
  const found = await p.client.call("find", { id: "1" });
  assert.deepEqual(found, { id: "1", subject: "hello" });
  assert.deepEqual(await p.client.call("echo", { nested: [1, "x", null] }), {
    nested: [1, "x", null],
  });
});

Deno.test("call() rejects with the app code and message a handler throws", async () => {
  using p = pair();
  await rejectsWith(p.client.call("find", { id: "9" }), "NotFound", "No message 9");
});

Deno.test("call() rejects with Internal and leaks nothing when a handler crashes", async () => {
  const reported: Array<[string, unknown]> = [];
  using p = pair(handlers(), { onInternalError: (m, err) => reported.push([m, err]) });
  await rejectsWith(p.client.call("crash", null), "Internal", "Internal error");
  assert.equal(reported.length, 1);
  assert.equal(reported[0]?.[0], "crash");
  assert.match(String(reported[0]?.[1]), /\/secret\/path/);
});

Deno.test("RpcServer logs internal errors with stack by default", async () => {
  const lines: string[] = [];
  configureLogging({ level: "info", packages: {} }, (l) => lines.push(l));
  try {
    using p = pair();
    await rejectsWith(p.client.call("crash", null), "Internal", "Internal error");
  } finally {
    configureLogging({ level: "info", packages: {} });
  }
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? "",
    / level=error pkg=rpc msg="Handler failed" method=crash err="Cannot open \/secret\/path" stack="Error: Cannot open/,
  );
});

Deno.test("call() rejects with Internal when a result cannot be cloned", async () => {
  const reported: string[] = [];
  const h = handlers();
  h.echo = () => ({ f: () => 1 });
  using p = pair(h, { onInternalError: (m) => reported.push(m) });
  await rejectsWith(p.client.call("echo", null), "Internal", "Internal error");
  assert.deepEqual(reported, ["echo"]);
  assert.equal(await p.client.call("add", { a: 1, b: 1 }), 2);
});

Deno.test("call() rejects with BadMessage when params cannot be cloned", async () => {
  using p = pair();
  await rejectsWith(p.client.call("echo", { f: () => 1 }), "BadMessage");
});

Deno.test("call() rejects with UnknownMethod for a method the server lacks", async () => {
  using p = pair();
  const loose = p.client as unknown as RpcClient<ApiSpec>;
  await rejectsWith(loose.call("nope", null), "UnknownMethod", 'Unknown method "nope"');
  await rejectsWith(loose.call("toString", null), "UnknownMethod");
  await rejectsWith(loose.call("__proto__", null), "UnknownMethod");
});

Deno.test("call() times out, and the handler's signal aborts", async () => {
  const gates = new Gates();
  using p = pair(handlers(gates));
  await rejectsWith(p.client.call("wait", { key: "t" }, { timeoutMs: 50 }), "Timeout");
  const { signal } = await gates.started("t");
  await aborted(signal);
  assert.ok(signal.reason instanceof RpcError && signal.reason.code === "Cancelled");
  gates.release("t", "late"); // The late answer is dropped.
  assert.equal(await p.client.call("add", { a: 1, b: 2 }), 3);
});

Deno.test("call() rejects with Cancelled when its AbortSignal aborts", async () => {
  const gates = new Gates();
  using p = pair(handlers(gates));
  const ac = new AbortController();
  const call = p.client.call("wait", { key: "c" }, { signal: ac.signal });
  const { signal } = await gates.started("c");
  ac.abort();
  await rejectsWith(call, "Cancelled");
  await aborted(signal);
  gates.release("c", "late");
  assert.equal(await p.client.call("add", { a: 1, b: 2 }), 3);
});

Deno.test("call() with an already aborted signal rejects without sending", async () => {
  const gates = new Gates();
  using p = pair(handlers(gates));
  await rejectsWith(
    p.client.call("wait", { key: "pre" }, { signal: AbortSignal.abort() }),
    "Cancelled",
  );
  assert.equal(await p.client.call("add", { a: 0, b: 0 }), 0);
  assert.equal(gates.size, 0);
});

Deno.test("call() validates timeoutMs", async () => {
  using p = pair();
  await assert.rejects(p.client.call("add", { a: 1, b: 1 }, { timeoutMs: 0 }), RangeError);
  assert.throws(() => new RpcClient<Api>(p.ch.port1, { timeoutMs: -1 }), RangeError);
});

Deno.test("on() delivers events until unsubscribed", async () => {
  using p = pair();
  const seen: Array<Events["mailboxChanged"]> = [];
  const others: unknown[] = [];
  const off = p.client.on("mailboxChanged", (e) => seen.push(e));
  p.client.on("other", (e) => others.push(e));
  p.client.on("mailboxChanged", () => {
    throw new Error("A listener's bug does not stop the others");
  });
  configureLogging({ level: "info", packages: {} }, () => {});
  try {
    p.server.emit("mailboxChanged", { mailbox: "INBOX", exists: 3 });
    await p.client.call("add", { a: 0, b: 0 }); // Port order: the event arrived first.
    off();
    p.server.emit("mailboxChanged", { mailbox: "INBOX", exists: 4 });
    await p.client.call("add", { a: 0, b: 0 });
  } finally {
    configureLogging({ level: "info", packages: {} });
  }
  assert.deepEqual(seen, [{ mailbox: "INBOX", exists: 3 }]);
  assert.deepEqual(others, []);
});

Deno.test("call(), ctx.transfer() and emit() transfer buffers instead of copying", async () => {
  let sent: ArrayBuffer | undefined;
  const h = handlers();
  h.bytes = ({ data }, ctx) => {
    sent = new Uint8Array(data).reverse().buffer;
    ctx.transfer(sent);
    return sent;
  };
  using p = pair(h);
  const data = new Uint8Array([1, 2, 3]).buffer;
  const result = p.client.call("bytes", { data }, { transfer: [data] });
  assert.equal(data.byteLength, 0, "params buffer detached on send");
  assert.deepEqual([...new Uint8Array(await result)], [3, 2, 1]);
  assert.equal(sent?.byteLength, 0, "result buffer detached on send");

  const ev = new ArrayBuffer(8);
  p.server.emit("other", null, [ev]);
  assert.equal(ev.byteLength, 0, "event buffer detached on emit");
});

Deno.test("close() rejects pending calls with Closed and aborts their handlers", async () => {
  const gates = new Gates();
  using p = pair(handlers(gates));
  const call = p.client.call("wait", { key: "x" });
  const { signal } = await gates.started("x");
  p.client.close();
  await rejectsWith(call, "Closed");
  await rejectsWith(p.client.call("add", { a: 1, b: 1 }), "Closed");
  await aborted(signal);
});

Deno.test("RpcServer.close() aborts running handlers and drops their results", async () => {
  const gates = new Gates();
  using p = pair(handlers(gates));
  const call = p.client.call("wait", { key: "s" }, { timeoutMs: 100 });
  const { signal } = await gates.started("s");
  p.server.close();
  assert.equal(signal.aborted, true);
  gates.release("s", "dropped");
  await rejectsWith(call, "Timeout");
});

Deno.test("RpcServer ignores foreign traffic and answers malformed requests", async () => {
  using p = pair();
  p.client.close(); // Talk raw on port1.
  const got: unknown[] = [];
  const done = Promise.withResolvers<void>();
  p.ch.port1.onmessage = (ev) => {
    got.push(ev.data);
    if ((ev.data as { id?: unknown }).id === 11) done.resolve();
  };
  for (
    const junk of [
      { rpc: 1, k: "req", id: 7, m: 42 },
      { rpc: 1, k: "bogus", id: 8 },
      { foo: 1 },
      "text",
      null,
      { rpc: 2, k: "req", id: 9, m: "add", p: { a: 1, b: 2 } },
      { rpc: "1", k: "req", id: 9, m: "add", p: { a: 1, b: 2 } },
      { rpc: 1, k: "req", id: -1, m: "add", p: { a: 1, b: 2 } },
      { rpc: 1, k: "req", id: 1.5, m: "add", p: { a: 1, b: 2 } },
      { rpc: 1, k: "res", id: 10, r: 1 },
      { rpc: 1, k: "cancel", id: "x" },
      { rpc: 1, k: "evt", n: "other", p: null },
    ]
  ) p.ch.port1.postMessage(junk);
  p.ch.port1.postMessage({ rpc: 1, k: "req", id: 11, m: "add", p: { a: 1, b: 2 } });
  await done.promise;
  assert.deepEqual(got, [
    { rpc: 1, k: "err", id: 7, code: "BadMessage", msg: "Malformed request" },
    { rpc: 1, k: "err", id: 8, code: "BadMessage", msg: "Malformed request" },
    { rpc: 1, k: "res", id: 11, r: 3 },
  ]);
});

Deno.test("RpcClient ignores malformed, foreign, unknown-id and late answers", async () => {
  const ch = new MessageChannel();
  using _ = { [Symbol.dispose]: () => (ch.port1.close(), ch.port2.close()) };
  const client = new RpcClient<Api, Events>(ch.port1);
  using _c = { [Symbol.dispose]: () => client.close() };
  const events: unknown[] = [];
  client.on("other", (e) => events.push(e));
  ch.port2.onmessage = (ev) => {
    const { id } = ev.data as { id: number };
    for (
      const junk of [
        { rpc: 1, k: "res", id: String(id), r: 0 },
        { rpc: 1, k: "err", id, code: 5, msg: "x" },
        { rpc: 1, k: "err", id, code: "X" },
        { rpc: 1, k: "res", id: id + 100, r: 0 },
        { rpc: 1, k: "req", id, m: "add", p: { a: 1, b: 1 } },
        { rpc: 1, k: "cancel", id },
        { rpc: 1, k: "evt", p: 1 },
        { rpc: 0, k: "res", id, r: 0 },
        { k: "res", id, r: 0 },
        { rpc: 1, k: "res", id, r: 42 },
        { rpc: 1, k: "res", id, r: 43 },
        { rpc: 1, k: "err", id, code: "Late", msg: "late" },
      ]
    ) ch.port2.postMessage(junk);
  };
  assert.equal(await client.call("add", { a: 40, b: 2 }), 42);
  assert.deepEqual(events, []);
});

Deno.test("a client and a server share one port in both directions", async () => {
  const ch = new MessageChannel();
  using _ = { [Symbol.dispose]: () => (ch.port1.close(), ch.port2.close()) };
  const aServer = new RpcServer<Api>(ch.port1, handlers());
  const aClient = new RpcClient<Api>(ch.port1);
  const bServer = new RpcServer<Api>(ch.port2, { ...handlers(), add: ({ a, b }) => a * b });
  const bClient = new RpcClient<Api>(ch.port2);
  using _s = {
    [Symbol.dispose]: () => [aServer, aClient, bServer, bClient].forEach((x) => x.close()),
  };
  const [fromB, fromA] = await Promise.all([
    aClient.call("add", { a: 3, b: 4 }),
    bClient.call("add", { a: 3, b: 4 }),
  ]);
  assert.equal(fromB, 12);
  assert.equal(fromA, 7);
  await rejectsWith(aClient.call("find", { id: "2" }), "NotFound");
});

Deno.test("concurrent calls resolve independently, out of order", async () => {
  const gates = new Gates();
  using p = pair(handlers(gates));
  const keys = ["a", "b", "c"];
  const calls = keys.map((key) => p.client.call("wait", { key }));
  await Promise.all(keys.map((key) => gates.started(key)));
  const settled: string[] = [];
  calls.forEach((c, i) => void c.then(() => settled.push(keys[i] ?? "")));
  for (const i of [2, 0, 1]) {
    const key = keys[i] ?? "";
    gates.release(key, `result ${key}`);
    assert.equal(await calls[i], `result ${key}`);
  }
  assert.deepEqual(settled, ["c", "a", "b"]);
});

Deno.test("RpcClient and RpcServer work through a Worker with permissions none", async () => {
  const worker = new Worker(new URL("./testdata/rpc_worker.ts", import.meta.url), {
    type: "module",
    deno: { permissions: "none" },
  });
  const client = new RpcClient<WorkerApi, WorkerEvents>(worker, { timeoutMs: 10_000 });
  try {
    const internal = Promise.withResolvers<WorkerEvents["internalError"]>();
    const aborted = Promise.withResolvers<WorkerEvents["handlerAborted"]>();
    client.on("internalError", internal.resolve);
    client.on("handlerAborted", aborted.resolve);

    assert.equal(await client.call("add", { a: 20, b: 22 }), 42);
    await rejectsWith(client.call("find", { id: "7" }), "NotFound", "No message 7");
    await rejectsWith(client.call("crash", { secret: "/k.pem" }), "Internal", "Internal error");
    assert.deepEqual(await internal.promise, { method: "crash", message: "Cannot open /k.pem" });

    const data = new TextEncoder().encode("hello").buffer;
    const upper = client.call("upper", { data }, { transfer: [data] });
    assert.equal(data.byteLength, 0);
    assert.equal(new TextDecoder().decode(await upper), "HELLO");

    await rejectsWith(client.call("hang", null, { timeoutMs: 50 }), "Timeout");
    assert.deepEqual(await aborted.promise, { method: "hang", reason: "Cancelled" });

    assert.deepEqual(await client.call("probe", null), {
      env: "NotCapable",
      read: "NotCapable",
      net: "NotCapable",
    });
  } finally {
    client.close();
    worker.terminate();
  }
});

// Compile-time checks: `deno check` / `deno test` fail if any of these start compiling.
function _typeChecks(client: RpcClient<Api, Events>, server: RpcServer<Api, Events>): void {
  // @ts-expect-error unknown method name
  void client.call("ad", { a: 1, b: 2 });
  // @ts-expect-error wrong params type
  void client.call("add", { a: "1", b: 2 });
  // @ts-expect-error missing params
  void client.call("add");
  // @ts-expect-error result is a number, not a string
  const _s: Promise<string> = client.call("add", { a: 1, b: 2 });
  // @ts-expect-error unknown event
  client.on("nope", () => {});
  // @ts-expect-error wrong event payload type
  client.on("mailboxChanged", (e: { mailbox: number }) => e);
  // @ts-expect-error wrong event payload
  server.emit("mailboxChanged", { mailbox: "INBOX" });
  // @ts-expect-error handler with the wrong result type
  const _h: Handlers<Api> = { ...handlers(), add: () => "3" };
  // @ts-expect-error missing handler
  const _m: Handlers<Api> = { add: ({ a, b }) => a + b };
}
