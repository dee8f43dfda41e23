import assert from "node:assert/strict";
import fc from "fast-check";
import { HeaderFlag, Rcode, RRClass, RRType } from "./types.ts";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  type MessageInput,
  peekQuestion,
  type ResourceRecord,
} from "./wire.ts";

const IN = RRClass.IN;
const enc = (s: string) => new TextEncoder().encode(s);

/** Builds message bytes from a header and raw section bytes. */
function raw(counts: [number, number, number, number], body: number[], flags = 0x8180): Uint8Array {
  return Uint8Array.from([
    0x12,
    0x34,
    flags >> 8,
    flags & 0xff,
    ...counts.flatMap((c) => [c >> 8, c & 0xff]),
    ...body,
  ]);
}

/** "example.org" question, starting at offset 12. */
const question = [7, ...enc("example"), 3, ...enc("org"), 0, 0, 1, 0, 1];

const every: ResourceRecord[] = [
  { name: "example.org", class: IN, ttl: 300, type: "A", address: "192.0.2.1" },
  { name: "example.org", class: IN, ttl: 300, type: "AAAA", address: "2001:db8::1" },
  { name: "example.org", class: IN, ttl: 300, type: "NS", target: "ns.example.org" },
  { name: "www.example.org", class: IN, ttl: 60, type: "CNAME", target: "example.org" },
  { name: "1.2.0.192.in-addr.arpa", class: IN, ttl: 1, type: "PTR", target: "example.org" },
  {
    name: "example.org",
    class: IN,
    ttl: 300,
    type: "MX",
    preference: 10,
    exchange: "mx.example.org",
  },
  { name: "example.org", class: IN, ttl: 300, type: "MX", preference: 0, exchange: "" },
  { name: "example.org", class: IN, ttl: 0, type: "TXT", strings: [enc("v=spf1"), enc(" -all")] },
  { name: "example.org", class: IN, ttl: 0, type: "TXT", strings: [] },
  {
    name: "example.org",
    class: IN,
    ttl: 3600,
    type: "SOA",
    mname: "ns.example.org",
    rname: "hostmaster.example.org",
    serial: 2024010101,
    refresh: 3600,
    retry: 600,
    expire: 0xffffffff - 0x80000000,
    minimum: 60,
  },
  {
    name: "_25._tcp.mx.example.org",
    class: IN,
    ttl: 300,
    type: "TLSA",
    usage: 3,
    selector: 1,
    matchingType: 1,
    data: Uint8Array.from({ length: 32 }, (_, i) => i),
  },
  {
    name: "example.org",
    class: IN,
    ttl: 300,
    type: "Unknown",
    code: 99,
    data: Uint8Array.of(1, 2),
  },
];

const full: MessageInput = {
  id: 0xbeef,
  flags: HeaderFlag.QR | HeaderFlag.RD | HeaderFlag.RA | HeaderFlag.AD,
  rcode: Rcode.NoError,
  questions: [{ name: "example.org", type: RRType.A, class: IN }],
  answers: every,
  authorities: [every[9]!],
  additionals: [every[0]!],
  edns: { udpPayloadSize: 1232, version: 0, dnssecOk: true, options: Uint8Array.of(0, 10, 0, 0) },
};

Deno.test("encodeMessage() and decodeMessage() round-trip every record type", () => {
  const m = decodeMessage(encodeMessage(full));
  const want: Message = {
    id: 0xbeef,
    flags: full.flags,
    opcode: 0,
    rcode: 0,
    questions: full.questions!,
    answers: every,
    authorities: [every[9]!],
    additionals: [every[0]!],
    edns: full.edns,
  };
  assert.deepEqual(m, want);
});

Deno.test("decodeMessage() follows compression pointers (RFC 1035 §4.1.4)", () => {
  // Answer: owner = pointer to 12 ("example.org"), MX exchange = "mx" + pointer to 12.
  const m = decodeMessage(raw([1, 1, 0, 0], [
    ...question,
    0xc0,
    12,
    0,
    15,
    0,
    1,
    0,
    0,
    0,
    60,
    0,
    7,
    0,
    10,
    2,
    ...enc("mx"),
    0xc0,
    12,
  ]));
  assert.deepEqual(m.answers, [
    {
      name: "example.org",
      class: IN,
      ttl: 60,
      type: "MX",
      preference: 10,
      exchange: "mx.example.org",
    },
  ]);
});

Deno.test("decodeMessage() refuses compression pointers that do not point back", () => {
  // A pointer to itself (a loop) and one pointing forward.
  for (const target of [29, 40]) {
    const bytes = raw([1, 1, 0, 0], [
      ...question,
      0xc0,
      target,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      1,
      0,
      4,
      1,
      2,
      3,
      4,
    ]);
    assert.throws(() => decodeMessage(bytes), /does not point back/);
  }
  // Two names pointing at each other.
  const loop = raw([1, 1, 0, 0], [...question, 1, 97, 0xc0, 31, 1, 98, 0xc0, 29]);
  assert.throws(() => decodeMessage(loop), SyntaxError);
});

Deno.test("decodeMessage() refuses names over 255 octets, even through pointers", () => {
  const l63 = [63, ...new Array(63).fill(97)];
  // 4 × 64 octets = 256 before the root label: one too many.
  const body = [...l63, ...l63, ...l63, ...l63, 0, 0, 1, 0, 1];
  assert.throws(() => decodeMessage(raw([1, 0, 0, 0], body)), /longer than 255/);
  // Three labels, then a pointer to a name of 63+1 more: also over.
  const viaPointer = [...l63, 0, 0, 1, 0, 1, ...l63, ...l63, ...l63, 0xc0, 12, 0, 1, 0, 1];
  assert.throws(() => decodeMessage(raw([2, 0, 0, 0], viaPointer)), /longer than 255/);
  // The longest legal name decodes.
  const ok = [...l63, ...l63, ...l63, 61, ...new Array(61).fill(97), 0, 0, 1, 0, 1];
  assert.equal(decodeMessage(raw([1, 0, 0, 0], ok)).questions[0]!.name.length, 253);
});

Deno.test("decodeMessage() refuses RDATA whose length does not match its type", () => {
  // A record with RDLENGTH 5, and MX whose name ends before RDLENGTH.
  const a5 = raw([1, 1, 0, 0], [
    ...question,
    0xc0,
    12,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    5,
    1,
    2,
    3,
    4,
    5,
  ]);
  assert.throws(() => decodeMessage(a5), /not 5 octets/);
  const a3 = raw([1, 1, 0, 0], [...question, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3, 4]);
  assert.throws(() => decodeMessage(a3), /truncated/);
  const mx = raw([1, 1, 0, 0], [
    ...question,
    0xc0,
    12,
    0,
    15,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    3,
    0,
    1,
    1,
    97,
    0,
  ]);
  assert.throws(() => decodeMessage(mx), /runs past its record/);
  // TXT character-string longer than what is left of RDATA.
  const txt = raw([1, 1, 0, 0], [...question, 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 1, 0, 3, 5, 97, 98]);
  assert.throws(() => decodeMessage(txt), /truncated/);
});

Deno.test("decodeMessage() refuses every truncation of a valid message", () => {
  const bytes = encodeMessage(full);
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeMessage(bytes.subarray(0, n)), SyntaxError, `length ${n}`);
  }
});

Deno.test("decodeMessage() reads EDNS0: extended RCODE, version, DO (RFC 6891 §6.1.3)", () => {
  const bytes = encodeMessage({ ...full, rcode: Rcode.BadVers, answers: [], authorities: [] });
  const m = decodeMessage(bytes);
  assert.equal(m.rcode, Rcode.BadVers);
  assert.equal(m.edns?.dnssecOk, true);
  assert.equal(m.edns?.udpPayloadSize, 1232);
  assert.equal(decodeMessage(encodeMessage({ id: 1, flags: 0 })).edns, undefined);
});

Deno.test("decodeMessage() refuses two OPT records or OPT outside the additional section", () => {
  const opt = [0, 0, 41, 4, 208, 0, 0, 0x80, 0, 0, 0];
  assert.throws(
    () => decodeMessage(raw([1, 0, 0, 2], [...question, ...opt, ...opt])),
    /more than one OPT/,
  );
  assert.throws(() => decodeMessage(raw([1, 1, 0, 0], [...question, ...opt])), /OPT outside/);
  const named = [1, 97, 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0];
  assert.throws(() => decodeMessage(raw([1, 0, 0, 1], [...question, ...named])), /OPT with a name/);
});

Deno.test("decodeMessage() reads a TTL with the top bit set as 0 (RFC 2181 §8)", () => {
  const m = decodeMessage(
    raw([1, 1, 0, 0], [...question, 0xc0, 12, 0, 1, 0, 1, 0x80, 0, 0, 5, 0, 4, 1, 2, 3, 4]),
  );
  assert.equal(m.answers[0]!.ttl, 0);
});

Deno.test("decodeMessage() keeps binary label octets and refuses unknown label types", () => {
  const m = decodeMessage(
    raw([1, 0, 0, 0], [3, 0x2e, 0x00, 0xc3, 3, ...enc("org"), 0, 0, 1, 0, 1]),
  );
  assert.equal(m.questions[0]!.name, "\\.\\000\\195.org");
  assert.throws(
    () => decodeMessage(raw([1, 0, 0, 0], [0x41, 0, 0, 1, 0, 1])),
    /unknown label type/,
  );
});

Deno.test("peekQuestion() reads id, flags and question, or returns undefined", () => {
  const p = peekQuestion(encodeMessage(full));
  assert.deepEqual(p, {
    id: 0xbeef,
    flags: full.flags,
    qdcount: 1,
    question: { name: "example.org", type: RRType.A, class: IN },
  });
  assert.equal(peekQuestion(Uint8Array.of(1, 2, 3)), undefined);
  assert.equal(peekQuestion(raw([1, 0, 0, 0], [7, 97])), undefined);
});

Deno.test("encodeMessage() refuses what cannot be encoded", () => {
  const bad = (rr: ResourceRecord) => () => encodeMessage({ id: 1, flags: 0, answers: [rr] });
  assert.throws(bad({ name: "a", class: IN, ttl: 1, type: "A", address: "::1" }), SyntaxError);
  assert.throws(
    bad({ name: "a", class: IN, ttl: 1, type: "AAAA", address: "1.2.3.4" }),
    SyntaxError,
  );
  assert.throws(
    bad({ name: "a..b", class: IN, ttl: 1, type: "A", address: "1.2.3.4" }),
    SyntaxError,
  );
  const long = new Uint8Array(256);
  assert.throws(bad({ name: "a", class: IN, ttl: 1, type: "TXT", strings: [long] }), /over 255/);
});

Deno.test("decodeMessage() throws only SyntaxError on arbitrary and mutated input", () => {
  const valid = encodeMessage(full);
  const onlySyntaxErrors = (bytes: Uint8Array) => {
    try {
      decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => onlySyntaxErrors(b)),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (edits) => {
        const b = valid.slice();
        for (const [at, v] of edits) b[at] = v;
        onlySyntaxErrors(b);
      },
    ),
    { numRuns: 500 },
  );
});
