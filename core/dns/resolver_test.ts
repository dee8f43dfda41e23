import assert from "node:assert/strict";
import {
  defaultSoa,
  FakeClock,
  FakeDns,
  type FakeDnsOptions,
  type FakeZone,
  settle,
} from "./_fake_dns.ts";
import { DnsError, type DnsErrorCode } from "./error.ts";
import { Resolver, type ResolverOptions } from "./resolver.ts";
import { EDNS_DO, HeaderFlag, Rcode, RRType } from "./types.ts";
import { encodeMessage } from "./wire.ts";

const enc = (s: string) => new TextEncoder().encode(s);

const zone: FakeZone = {
  "example.org": [
    { type: "A", address: "192.0.2.1" },
    { type: "A", address: "192.0.2.2" },
    { type: "AAAA", address: "2001:db8::1" },
    { type: "MX", preference: 20, exchange: "mx2.example.org" },
    { type: "MX", preference: 10, exchange: "mx1.example.org" },
    { type: "MX", preference: 20, exchange: "mx3.example.org" },
    { type: "TXT", strings: [enc("v=spf1 "), enc("ip4:192.0.2.0/24"), enc(" -all")] },
    // "café" with the two octets of "é" in separate character-strings.
    { type: "TXT", strings: [Uint8Array.of(0x63, 0x61, 0x66, 0xc3), Uint8Array.of(0xa9)] },
  ],
  "www.example.org": [{ type: "CNAME", target: "alias.example.org" }],
  "alias.example.org": [{ type: "CNAME", target: "Example.ORG" }],
  "gone.example.org": [{ type: "CNAME", target: "nowhere.example.org" }],
  "loop1.example.org": [{ type: "CNAME", target: "loop2.example.org" }],
  "loop2.example.org": [{ type: "CNAME", target: "loop1.example.org" }],
  "1.2.0.192.in-addr.arpa": [{ type: "PTR", target: "mail.example.org" }],
  "_25._tcp.mx1.example.org": [
    { type: "TLSA", usage: 3, selector: 1, matchingType: 1, data: Uint8Array.of(0xab, 0xcd) },
  ],
  "xn--bcher-kva.example": [{ type: "A", address: "192.0.2.9" }],
  "null-mx.example.org": [{ type: "MX", preference: 0, exchange: "" }],
};

const servers = [{ host: "192.0.2.53", port: 53 }, { host: "192.0.2.54", port: 53 }];

function setup(fake: FakeDnsOptions = {}, opts: Partial<ResolverOptions> = {}) {
  const clock = new FakeClock();
  const dns = new FakeDns(zone, fake);
  const resolver = new Resolver(dns, { nameservers: servers, timeoutMs: 1000, clock, ...opts });
  return { clock, dns, resolver };
}

async function rejectsWith(p: Promise<unknown>, code: DnsErrorCode): Promise<DnsError> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof DnsError, `expected DnsError ${code}, got ${e}`);
  assert.equal(e.code, code, e.message);
  return e;
}

Deno.test("Resolver.lookupA() returns the addresses, the AD bit and the TTL", async () => {
  const { resolver } = setup({ authentic: true, ttl: 120 });
  assert.deepEqual(await resolver.lookupA("example.org"), {
    records: ["192.0.2.1", "192.0.2.2"],
    authentic: true,
    ttl: 120,
  });
  const plain = setup().resolver;
  assert.equal((await plain.lookupA("example.org")).authentic, false);
});

Deno.test("Resolver.lookup() sends RD, AD and EDNS0 with DO and a 1232-octet size", async () => {
  const { dns, resolver } = setup();
  await resolver.lookupAAAA("example.org");
  await resolver.lookupA("example.org");
  const [q1, q2] = dns.calls.map((c) => c.query);
  assert.equal(q1!.flags, HeaderFlag.RD | HeaderFlag.AD);
  assert.deepEqual(q1!.edns, {
    udpPayloadSize: 1232,
    version: 0,
    dnssecOk: true,
    options: new Uint8Array(0),
  });
  assert.deepEqual(q1!.questions, [{ name: "example.org", type: RRType.AAAA, class: 1 }]);
  assert.equal(EDNS_DO, 0x8000);
  assert.notEqual(q1!.id, q2!.id, "ids are random (1 in 65536 flake)");
});

Deno.test("Resolver.lookupAAAA() returns RFC 5952 text", async () => {
  const { resolver } = setup();
  assert.deepEqual((await resolver.lookupAAAA("example.org")).records, ["2001:db8::1"]);
});

Deno.test("Resolver.lookupMx() sorts by preference, keeping the server's order on ties", async () => {
  const { resolver } = setup();
  assert.deepEqual((await resolver.lookupMx("example.org")).records, [
    { exchange: "mx1.example.org", preference: 10 },
    { exchange: "mx2.example.org", preference: 20 },
    { exchange: "mx3.example.org", preference: 20 },
  ]);
  assert.deepEqual((await resolver.lookupMx("null-mx.example.org")).records, [
    { exchange: "", preference: 0 },
  ]);
});

Deno.test("Resolver.lookupTxt() joins each record's strings without spaces (RFC 7208 §3.3)", async () => {
  const { resolver } = setup();
  assert.deepEqual((await resolver.lookupTxt("example.org")).records, [
    "v=spf1 ip4:192.0.2.0/24 -all",
    "café", // UTF-8 split across two strings is joined before decoding
  ]);
});

Deno.test("Resolver.lookupPtr() and lookupTlsa() return their records", async () => {
  const { resolver } = setup();
  assert.deepEqual((await resolver.lookupPtr("1.2.0.192.in-addr.arpa")).records, [
    "mail.example.org",
  ]);
  assert.deepEqual((await resolver.lookupTlsa("_25._tcp.mx1.example.org")).records, [
    { usage: 3, selector: 1, matchingType: 1, data: Uint8Array.of(0xab, 0xcd) },
  ]);
});

Deno.test("Resolver.lookup() follows a CNAME chain, with the least TTL of the chain", async () => {
  const { resolver } = setup({
    reply: (_, answer) => [{
      ...answer,
      answers: answer.answers.map((rr) =>
        rr.type === "CNAME" && rr.name === "alias.example.org" ? { ...rr, ttl: 30 } : rr
      ),
    }],
  });
  assert.deepEqual(await resolver.lookupA("www.example.org"), {
    records: ["192.0.2.1", "192.0.2.2"],
    authentic: false,
    ttl: 30,
  });
});

Deno.test("Resolver.lookupCname() returns the alias target without following it", async () => {
  const { resolver } = setup();
  assert.deepEqual((await resolver.lookupCname("www.example.org")).records, ["alias.example.org"]);
  assert.deepEqual((await resolver.lookupCname("example.org")).records, []);
});

Deno.test("Resolver.lookup() treats a CNAME loop in the answer as Malformed", async () => {
  const { resolver } = setup();
  await rejectsWith(resolver.lookupA("loop1.example.org"), "Malformed");
});

Deno.test("Resolver.lookup() throws NXDOMAIN, with the AD bit of the denial", async () => {
  const { resolver } = setup({ authentic: true });
  const e = await rejectsWith(resolver.lookupA("nx.example.org"), "NXDOMAIN");
  assert.equal(e.authentic, true);
  assert.equal(e.hostname, "nx.example.org");
  assert.equal(e.rrtype, "A");
  // RFC 6604 §2: NXDOMAIN at the end of a CNAME chain.
  await rejectsWith(resolver.lookupA("gone.example.org"), "NXDOMAIN");
});

Deno.test("Resolver.lookup() returns no data as empty records with the negative TTL", async () => {
  const { resolver } = setup({ authentic: true });
  assert.deepEqual(await resolver.lookupTlsa("example.org"), {
    records: [],
    authentic: true,
    ttl: 60,
  });
  const noSoa = setup({ soa: null }).resolver;
  assert.deepEqual(await noSoa.lookupTlsa("example.org"), {
    records: [],
    authentic: false,
    ttl: 0,
  });
});

Deno.test("Resolver.lookup() caches answers for their TTL, counting down", async () => {
  const { clock, dns, resolver } = setup({ ttl: 10 });
  await resolver.lookupA("example.org");
  await clock.advance(4_500);
  assert.deepEqual(await resolver.lookupA("EXAMPLE.org."), {
    records: ["192.0.2.1", "192.0.2.2"],
    authentic: false,
    ttl: 5,
  });
  assert.equal(dns.calls.length, 1, "same name in other case and with a dot is one key");
  await resolver.lookupAAAA("example.org");
  assert.equal(dns.calls.length, 2, "the type is part of the key");
  await clock.advance(5_500);
  await resolver.lookupA("example.org");
  assert.equal(dns.calls.length, 3, "asked again after the TTL");
});

Deno.test("Resolver.lookup() caches NXDOMAIN and no data by the SOA (RFC 2308 §5)", async () => {
  const soa = { ...defaultSoa, ttl: 30, minimum: 600 }; // the lesser of the two: 30
  const { clock, dns, resolver } = setup({ soa });
  await rejectsWith(resolver.lookupA("nx.example.org"), "NXDOMAIN");
  assert.equal((await resolver.lookupTlsa("example.org")).ttl, 30);
  await clock.advance(29_000);
  await rejectsWith(resolver.lookupA("nx.example.org"), "NXDOMAIN");
  assert.deepEqual((await resolver.lookupTlsa("example.org")).records, []);
  assert.equal(dns.calls.length, 2);
  await clock.advance(1_000);
  await rejectsWith(resolver.lookupA("nx.example.org"), "NXDOMAIN");
  assert.equal(dns.calls.length, 3);
});

Deno.test("Resolver.lookup() does not cache a negative answer without SOA", async () => {
  const { dns, resolver } = setup({ soa: null });
  await rejectsWith(resolver.lookupA("nx.example.org"), "NXDOMAIN");
  await rejectsWith(resolver.lookupA("nx.example.org"), "NXDOMAIN");
  assert.equal(dns.calls.length, 2);
});

Deno.test("Resolver.lookup() clamps TTLs to minTtl, maxTtl and maxNegativeTtl", async () => {
  const long = setup({ ttl: 999_999, soa: { ...defaultSoa, minimum: 999_999, ttl: 999_999 } }, {
    maxTtl: 100,
    maxNegativeTtl: 50,
  }).resolver;
  assert.equal((await long.lookupA("example.org")).ttl, 100);
  assert.equal((await long.lookupTlsa("example.org")).ttl, 50);
  const short = setup({ ttl: 0 }, { minTtl: 5 });
  assert.equal((await short.resolver.lookupA("example.org")).ttl, 5);
  await short.resolver.lookupA("example.org");
  assert.equal(short.dns.calls.length, 1, "a TTL of 0 raised to minTtl is cached");
});

Deno.test("Resolver.lookup() caches nothing with cacheEntries 0, nor a TTL of 0", async () => {
  const off = setup({}, { cacheEntries: 0 });
  await off.resolver.lookupA("example.org");
  await off.resolver.lookupA("example.org");
  assert.equal(off.dns.calls.length, 2);
  const zero = setup({ ttl: 0 });
  await zero.resolver.lookupA("example.org");
  await zero.resolver.lookupA("example.org");
  assert.equal(zero.dns.calls.length, 2);
});

Deno.test("Resolver.lookup() shares one query among concurrent identical lookups", async () => {
  const { dns, resolver } = setup();
  const results = await Promise.all([
    resolver.lookupMx("example.org"),
    resolver.lookupMx("Example.Org."),
    resolver.lookupMx("example.org"),
  ]);
  assert.equal(dns.calls.length, 1);
  assert.deepEqual(results[0], results[2]);
  assert.notEqual(results[0]!.records, results[1]!.records, "each caller gets its own array");
});

Deno.test("Resolver.lookup() drops replies with another id or question and waits on", async () => {
  const { dns, resolver } = setup({
    reply: (call, answer) => [
      { ...answer, id: (answer.id + 1) & 0xffff },
      { ...answer, questions: [{ ...call.query.questions[0]!, name: "evil.example" }] },
      { ...answer, questions: [{ ...call.query.questions[0]!, type: RRType.AAAA }] },
      { ...answer, flags: answer.flags & ~HeaderFlag.QR },
      { ...answer, questions: [] },
      {
        ...answer,
        answers: [{ name: "example.org", class: 1, ttl: 1, type: "A", address: "6.6.6.6" }],
      },
    ],
  });
  // The last candidate is the first that matches; the forgeries before it were dropped.
  assert.deepEqual((await resolver.lookupA("example.org")).records, ["6.6.6.6"]);
  assert.equal(dns.calls.length, 1);
});

Deno.test("Resolver.lookup() matches the reply's question case-insensitively", async () => {
  const { resolver } = setup({
    reply: (
      call,
      answer,
    ) => [{ ...answer, questions: [{ ...call.query.questions[0]!, name: "EXAMPLE.ORG" }] }],
  });
  assert.equal((await resolver.lookupA("example.org")).records.length, 2);
});

Deno.test("Resolver.lookup() asks again over TCP when the UDP reply is truncated (RFC 7766)", async () => {
  const big: FakeZone = {
    "big.example.org": Array.from({ length: 12 }, (_, i) => ({
      type: "TXT" as const,
      strings: [enc(`${i}`.padStart(3, "0") + "x".repeat(200))],
    })),
  };
  const dns = new FakeDns(big);
  const resolver = new Resolver(dns, { nameservers: servers, clock: new FakeClock() });
  const { records } = await resolver.lookupTxt("big.example.org");
  assert.equal(records.length, 12);
  assert.deepEqual(dns.calls.map((c) => c.tcp), [false, true]);
});

Deno.test("Resolver.lookup() times out per try and moves through servers and rounds", async () => {
  const { clock, dns, resolver } = setup({ reply: () => "silent" }, { attempts: 2 });
  const p = rejectsWith(resolver.lookupA("example.org"), "Timeout");
  for (let i = 0; i < 4; i++) {
    await settle();
    assert.equal(dns.calls.length, i + 1);
    await clock.advance(1000);
  }
  await p;
  assert.deepEqual(dns.calls.map((c) => c.server.host), [
    "192.0.2.53",
    "192.0.2.54",
    "192.0.2.53",
    "192.0.2.54",
  ]);
  assert.equal(clock.pending, 0, "no timer left behind");
});

Deno.test("Resolver.lookup() uses the second server when the first is silent", async () => {
  const { clock, dns, resolver } = setup({
    reply: (call) => call.server.host === "192.0.2.53" ? "silent" : undefined,
  });
  const p = resolver.lookupA("example.org");
  await clock.advance(1000);
  assert.equal((await p).records.length, 2);
  assert.equal(dns.calls.length, 2);
});

Deno.test("Resolver.lookup() moves on after SERVFAIL and REFUSED and reports the last", async () => {
  const all = (rcode: number) =>
    setup({ reply: (_, a) => [{ ...a, rcode, answers: [] }] }, { attempts: 1 });
  await rejectsWith(all(Rcode.ServFail).resolver.lookupA("example.org"), "ServFail");
  await rejectsWith(all(Rcode.Refused).resolver.lookupA("example.org"), "Refused");
  await rejectsWith(all(Rcode.NotImp).resolver.lookupA("example.org"), "ServFail");
  const first = setup({
    reply: (call, a) =>
      call.server.host === "192.0.2.53" ? [{ ...a, rcode: Rcode.ServFail }] : undefined,
  });
  assert.equal((await first.resolver.lookupA("example.org")).records.length, 2);
  assert.equal(first.dns.calls.length, 2);
});

Deno.test("Resolver.lookup() reports a reply that matches but does not decode as Malformed", async () => {
  const { resolver } = setup({
    reply: (_, a) => {
      const bytes = encodeMessage(a);
      return [bytes.subarray(0, bytes.length - 3)];
    },
  }, { attempts: 1 });
  await rejectsWith(resolver.lookupA("example.org"), "Malformed");
});

Deno.test("Resolver.lookup() retries without EDNS0 after FORMERR without OPT (RFC 6891 §6.2.2)", async () => {
  const { dns, resolver } = setup({
    reply: (call, a) =>
      call.query.edns ? [{ ...a, rcode: Rcode.FormErr, answers: [], edns: undefined }] : undefined,
  });
  assert.equal((await resolver.lookupA("example.org")).records.length, 2);
  assert.deepEqual(dns.calls.map((c) => c.query.edns !== undefined), [true, false]);
});

Deno.test("Resolver.lookup() reports transport failures as Unreachable", async () => {
  const resolver = new Resolver({
    exchange: () => Promise.reject(new Error("connection refused")),
  }, { nameservers: servers, clock: new FakeClock() });
  const e = await rejectsWith(resolver.lookupA("example.org"), "Unreachable");
  assert.match(e.message, /connection refused/);
});

Deno.test("Resolver.lookup() refuses bad names as BadName without asking", async () => {
  const { dns, resolver } = setup();
  await rejectsWith(resolver.lookupA("a..example.org"), "BadName");
  await rejectsWith(resolver.lookupTxt(`${"a".repeat(64)}.example.org`), "BadName");
  assert.equal(dns.calls.length, 0);
});

Deno.test("Resolver.lookup() asks for U-labels as A-labels", async () => {
  const { dns, resolver } = setup();
  assert.deepEqual((await resolver.lookupA("bücher.example")).records, ["192.0.2.9"]);
  assert.deepEqual(dns.questions, ["xn--bcher-kva.example A"]);
});

Deno.test("Resolver.lookupIp() returns IPv4 then IPv6 addresses", async () => {
  const { resolver } = setup({ authentic: true });
  assert.deepEqual(await resolver.lookupIp("example.org"), {
    records: ["192.0.2.1", "192.0.2.2", "2001:db8::1"],
    authentic: true,
    ttl: 300,
  });
  await rejectsWith(resolver.lookupIp("nx.example.org"), "NXDOMAIN");
});

Deno.test("Resolver.lookupIp() returns one family's addresses when the other fails", async () => {
  const { resolver } = setup({
    authentic: true,
    reply: (call, a) =>
      call.question.endsWith("AAAA") ? [{ ...a, rcode: Rcode.ServFail, answers: [] }] : undefined,
  }, { attempts: 1 });
  assert.deepEqual(await resolver.lookupIp("example.org"), {
    records: ["192.0.2.1", "192.0.2.2"],
    authentic: false,
    ttl: 300,
  });
  await rejectsWith(resolver.lookupIp("1.2.0.192.in-addr.arpa"), "ServFail");
});

Deno.test("new Resolver() refuses an empty server list and bad options", () => {
  const dns = new FakeDns({});
  assert.throws(() => new Resolver(dns, { nameservers: [] }), RangeError);
  assert.throws(() => new Resolver(dns, { nameservers: servers, attempts: 0 }), RangeError);
  assert.throws(() => new Resolver(dns, { nameservers: servers, timeoutMs: 0 }), RangeError);
});
