/**
 * The resolver (core/dns) over the real socket transport (workers/queue) against unbound
 * on loopback, with a DNSSEC-signed zone it validates (see _dns_server.ts), plus a silent
 * UDP socket and a lying UDP server of our own for timeouts and forged replies.
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import {
  decodeMessage,
  DnsError,
  type DnsErrorCode,
  type DnsServer,
  type DnsTransport,
  encodeMessage,
  type ExchangeOptions,
  HeaderFlag,
  Resolver,
  type ResolverOptions,
  systemClock,
  toMailauthResolver,
} from "../core/dns/mod.ts";
import { FakeClock } from "../core/dns/_fake_dns.ts";
import { SocketDnsTransport } from "../workers/queue/dns_transport.ts";
import { startUnbound, type TestZone } from "./_dns_server.ts";

const tlsaHex = "0123456789abcdef".repeat(4);

const zones: TestZone[] = [
  {
    origin: "plain.test",
    records: [
      "@ IN A 192.0.2.20",
      "@ IN AAAA 2001:db8::20",
      "@ IN MX 20 mx2",
      "@ IN MX 10 mx1",
      '@ IN TXT "v=spf1 " "ip4:192.0.2.0/24 " "-all"',
      '@ IN TXT "second record"',
      "mx1 IN A 192.0.2.21",
      "www IN CNAME alias",
      "alias IN CNAME @",
      "dangling IN CNAME nowhere",
      "ttl10 10 IN A 192.0.2.30",
      `_25._tcp.mx1 IN TLSA 3 1 1 ${tlsaHex}`,
      "xn--bcher-kva IN A 192.0.2.40",
      // 12 × ~200 octets: far over the 1232 we advertise, so UDP replies are truncated.
      ...Array.from(
        { length: 12 },
        (_, i) => `big IN TXT "${String(i).padStart(2, "0")}${"x".repeat(200)}"`,
      ),
    ],
  },
  {
    origin: "signed.test",
    signed: true,
    records: [
      "@ IN A 192.0.2.10",
      "@ IN MX 10 mx",
      "mx IN A 192.0.2.11",
      `_25._tcp.mx IN TLSA 3 1 1 ${tlsaHex}`,
      '@ IN TXT "v=spf1 -all"',
      'bogus IN TXT "original"',
    ],
    // Changed after signing: its RRSIG no longer verifies, so the answer is bogus.
    tamper: (zone) => zone.replace('"original"', '"tampered"'),
  },
  { origin: "2.0.192.in-addr.arpa", records: ["20 IN PTR plain.test."] },
];

/** The socket transport, recording each exchange. */
class RecordingTransport implements DnsTransport {
  readonly calls: { server: DnsServer; tcp: boolean }[] = [];
  readonly #inner = new SocketDnsTransport();
  exchange(query: Uint8Array, server: DnsServer, opts: ExchangeOptions): Promise<Uint8Array> {
    this.calls.push({ server, tcp: opts.tcp });
    return this.#inner.exchange(query, server, opts);
  }
}

async function rejectsWith(p: Promise<unknown>, code: DnsErrorCode): Promise<DnsError> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof DnsError, `expected DnsError ${code}, got ${e}`);
  assert.equal(e.code, code, e.message);
  return e;
}

Deno.test("Resolver against unbound on loopback", async (t) => {
  await using dns = await startUnbound(zones);
  const make = (opts: Partial<ResolverOptions> = {}) => {
    const transport = new RecordingTransport();
    const resolver = new Resolver(transport, {
      nameservers: [dns.v4],
      timeoutMs: 3000,
      attempts: 1,
      ...opts,
    });
    return { transport, resolver };
  };
  const { resolver } = make();

  await t.step("lookupA() and lookupAAAA() return addresses over UDP", async () => {
    assert.deepEqual(await resolver.lookupA("plain.test"), {
      records: ["192.0.2.20"],
      authentic: false,
      ttl: 300,
    });
    assert.deepEqual((await resolver.lookupAAAA("plain.test.")).records, ["2001:db8::20"]);
  });

  await t.step("lookupA() asks unbound over ::1 as well", async () => {
    const v6 = make({ nameservers: [dns.v6] }).resolver;
    assert.deepEqual((await v6.lookupA("plain.test")).records, ["192.0.2.20"]);
  });

  await t.step("lookupMx() sorts by preference", async () => {
    assert.deepEqual((await resolver.lookupMx("plain.test")).records, [
      { exchange: "mx1.plain.test", preference: 10 },
      { exchange: "mx2.plain.test", preference: 20 },
    ]);
  });

  await t.step("lookupTxt() joins each record's strings", async () => {
    assert.deepEqual((await resolver.lookupTxt("plain.test")).records.sort(), [
      "second record",
      "v=spf1 ip4:192.0.2.0/24 -all",
    ]);
  });

  await t.step("lookupPtr() and lookupTlsa() return their records", async () => {
    assert.deepEqual((await resolver.lookupPtr("20.2.0.192.in-addr.arpa")).records, ["plain.test"]);
    const tlsa = await resolver.lookupTlsa("_25._tcp.mx1.plain.test");
    assert.equal(tlsa.records.length, 1);
    const r = tlsa.records[0]!;
    assert.deepEqual([r.usage, r.selector, r.matchingType], [3, 1, 1]);
    assert.equal([...r.data].map((b) => b.toString(16).padStart(2, "0")).join(""), tlsaHex);
  });

  await t.step("lookupA() follows a CNAME chain; lookupCname() does not", async () => {
    assert.deepEqual((await resolver.lookupA("www.plain.test")).records, ["192.0.2.20"]);
    assert.deepEqual((await resolver.lookupCname("www.plain.test")).records, ["alias.plain.test"]);
  });

  await t.step("lookup() tells NXDOMAIN from no data", async () => {
    const e = await rejectsWith(resolver.lookupA("nx.plain.test"), "NXDOMAIN");
    assert.equal(e.authentic, false);
    await rejectsWith(resolver.lookupA("dangling.plain.test"), "NXDOMAIN");
    assert.deepEqual(await resolver.lookupMx("mx1.plain.test"), {
      records: [],
      authentic: false,
      ttl: 60, // the SOA MINIMUM (RFC 2308 §5)
    });
  });

  await t.step("lookupA() converts U-labels to A-labels", async () => {
    assert.deepEqual((await resolver.lookupA("bücher.plain.test")).records, ["192.0.2.40"]);
  });

  await t.step("lookup() caches by TTL on the resolver's clock", async () => {
    // Fake time for the cache, real timers so a stalled reply still times out.
    const clock = new FakeClock();
    const { transport, resolver } = make({
      clock: { now: () => clock.now(), setTimer: systemClock.setTimer },
    });
    assert.equal((await resolver.lookupA("ttl10.plain.test")).ttl, 10);
    await clock.advance(9_000);
    assert.deepEqual(await resolver.lookupA("TTL10.plain.test"), {
      records: ["192.0.2.30"],
      authentic: false,
      ttl: 1,
    });
    assert.equal(transport.calls.length, 1);
    await clock.advance(1_000);
    await resolver.lookupA("ttl10.plain.test");
    assert.equal(transport.calls.length, 2);
  });

  await t.step("lookupTxt() retries over TCP when the UDP reply is truncated", async () => {
    const { transport, resolver } = make();
    const { records } = await resolver.lookupTxt("big.plain.test");
    assert.equal(records.length, 12);
    assert.ok(records.every((r) => r.length === 202));
    assert.deepEqual(transport.calls.map((c) => c.tcp), [false, true]);
  });

  await t.step("lookup() reports authentic for the signed zone only", async () => {
    assert.deepEqual(await resolver.lookupA("signed.test"), {
      records: ["192.0.2.10"],
      authentic: true,
      ttl: 300,
    });
    const tlsa = await resolver.lookupTlsa("_25._tcp.mx.signed.test");
    assert.equal(tlsa.authentic, true);
    assert.equal(tlsa.records.length, 1);
    assert.equal((await resolver.lookupMx("signed.test")).authentic, true);
    assert.equal((await resolver.lookupA("plain.test")).authentic, false);
    // Authenticated denial: NSEC proves the name and the TLSA RRset do not exist.
    const nx = await rejectsWith(resolver.lookupA("nx.signed.test"), "NXDOMAIN");
    assert.equal(nx.authentic, true);
    assert.equal(
      (await rejectsWith(resolver.lookupTlsa("_25._tcp.signed.test"), "NXDOMAIN")).authentic,
      true,
    );
    const nodata = await resolver.lookupTlsa("signed.test");
    assert.deepEqual([nodata.records, nodata.authentic], [[], true]);
  });

  await t.step("lookup() fails with ServFail for a bogus signature", async () => {
    await rejectsWith(resolver.lookupTxt("bogus.signed.test"), "ServFail");
    assert.match(dns.log(), /validation failure <bogus\.signed\.test\. TXT IN>/);
  });

  await t.step("toMailauthResolver() gives node's shapes from unbound", async () => {
    const resolve = toMailauthResolver(resolver);
    assert.deepEqual(await resolve("signed.test", "TXT"), [["v=spf1 -all"]]);
    assert.deepEqual(await resolve("plain.test", "MX"), [
      { exchange: "mx1.plain.test", priority: 10 },
      { exchange: "mx2.plain.test", priority: 20 },
    ]);
    const e = await resolve("nx.plain.test", "TXT").catch((e) => e);
    assert.equal(e.code, "ENOTFOUND");
    const nodata = await resolve("mx1.plain.test", "TXT").catch((e) => e);
    assert.equal(nodata.code, "ENODATA");
  });
});

/** A UDP socket on 127.0.0.1 that calls `onQuery` for each datagram; closed on dispose. */
async function udpServer(
  onQuery: (sock: dgram.Socket, q: Uint8Array, from: dgram.RemoteInfo) => void,
) {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
  sock.on("message", (q: Uint8Array, from: dgram.RemoteInfo) => onQuery(sock, q, from));
  return {
    server: { host: "127.0.0.1", port: sock.address().port },
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

Deno.test("Resolver.lookup() times out against a silent UDP server", async () => {
  await using silent = await udpServer(() => {});
  const resolver = new Resolver(new SocketDnsTransport(), {
    nameservers: [silent.server],
    timeoutMs: 150,
    attempts: 2,
  });
  const start = performance.now();
  await rejectsWith(resolver.lookupA("example.test"), "Timeout");
  const took = performance.now() - start;
  assert.ok(took >= 290 && took < 2000, `two tries of 150 ms took ${took} ms`);
});

Deno.test("Resolver.lookup() ignores a reply with the wrong id and takes the right one", async () => {
  let queries = 0;
  await using liar = await udpServer((sock, q, from) => {
    queries++;
    const m = decodeMessage(q);
    const answer = (id: number, address: string) =>
      encodeMessage({
        ...m,
        id,
        flags: HeaderFlag.QR | HeaderFlag.RD | HeaderFlag.RA,
        answers: [{ name: m.questions[0]!.name, class: 1, ttl: 60, type: "A", address }],
      });
    sock.send(answer((m.id + 1) & 0xffff, "198.51.100.66"), from.port, from.address);
    setTimeout(() => sock.send(answer(m.id, "192.0.2.1"), from.port, from.address), 20);
  });
  const resolver = new Resolver(new SocketDnsTransport(), {
    nameservers: [liar.server],
    timeoutMs: 2000,
    attempts: 1,
  });
  assert.deepEqual((await resolver.lookupA("example.test")).records, ["192.0.2.1"]);
  assert.equal(queries, 1, "the wrong id did not end the try");
});
