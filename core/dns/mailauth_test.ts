import assert from "node:assert/strict";
import { FakeClock, FakeDns } from "./_fake_dns.ts";
import { toMailauthResolver } from "./mailauth.ts";
import { Resolver } from "./resolver.ts";
import { Rcode } from "./types.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function setup(rcode?: number) {
  const dns = new FakeDns({
    "example.org": [
      { type: "A", address: "192.0.2.1" },
      { type: "AAAA", address: "2001:db8::1" },
      { type: "MX", preference: 20, exchange: "mx2.example.org" },
      { type: "MX", preference: 10, exchange: "mx1.example.org" },
      { type: "TXT", strings: [enc("v=spf1 "), enc("-all")] },
      { type: "TXT", strings: [enc("other")] },
    ],
    "www.example.org": [{ type: "CNAME", target: "example.org" }],
    "1.2.0.192.in-addr.arpa": [{ type: "PTR", target: "mail.example.org" }],
  }, rcode === undefined ? {} : { reply: (_, a) => [{ ...a, rcode, answers: [] }] });
  const resolver = new Resolver(dns, {
    nameservers: [{ host: "192.0.2.53", port: 53 }],
    attempts: 1,
    clock: new FakeClock(),
  });
  return toMailauthResolver(resolver);
}

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof Error, "rejects with an Error");
  return (e as Error & { code: string }).code;
}

Deno.test("toMailauthResolver() returns records in node's dns.resolve shapes", async () => {
  const resolve = setup();
  assert.deepEqual(await resolve("example.org", "A"), ["192.0.2.1"]);
  assert.deepEqual(await resolve("example.org", "AAAA"), ["2001:db8::1"]);
  assert.deepEqual(await resolve("example.org", "MX"), [
    { exchange: "mx1.example.org", priority: 10 },
    { exchange: "mx2.example.org", priority: 20 },
  ]);
  assert.deepEqual(await resolve("example.org", "TXT"), [["v=spf1 -all"], ["other"]]);
  assert.deepEqual(await resolve("1.2.0.192.in-addr.arpa", "PTR"), ["mail.example.org"]);
  assert.deepEqual(await resolve("www.example.org", "CNAME"), ["example.org"]);
  assert.deepEqual(await resolve("www.example.org", "a"), ["192.0.2.1"], "rrtype in any case");
});

Deno.test("toMailauthResolver() rejects with ENOTFOUND for NXDOMAIN and ENODATA for no data", async () => {
  const resolve = setup();
  assert.equal(await code(resolve("nx.example.org", "TXT")), "ENOTFOUND");
  assert.equal(await code(resolve("example.org", "PTR")), "ENODATA");
  const e = await resolve("example.org", "CNAME").catch((e) => e);
  assert.deepEqual([e.code, e.hostname, e.syscall], ["ENODATA", "example.org", "queryCname"]);
});

Deno.test("toMailauthResolver() maps failures to node's error codes", async () => {
  assert.equal(await code(setup(Rcode.ServFail)("example.org", "TXT")), "ESERVFAIL");
  assert.equal(await code(setup(Rcode.Refused)("example.org", "TXT")), "EREFUSED");
  assert.equal(await code(setup()("a..b", "TXT")), "EBADNAME");
  await assert.rejects(setup()("example.org", "SRV"), TypeError);
});
