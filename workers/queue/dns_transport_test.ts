import assert from "node:assert/strict";
import dgram from "node:dgram";
import {
  answersQuery,
  decodeMessage,
  encodeMessage,
  encodeQuery,
  HeaderFlag,
  type QuerySpec,
  RRType,
} from "../../core/dns/mod.ts";
import { nameserversFromResolvConf, SocketDnsTransport } from "./dns_transport.ts";

const spec: QuerySpec = { id: 4242, name: "example.org", type: RRType.A, edns: true };
const query = encodeQuery(spec);
const accept = (b: Uint8Array) => answersQuery(b, spec);

/** The reply to `q` with one A record, optionally with another id or address. */
function reply(q: Uint8Array, id?: number, address = "192.0.2.1"): Uint8Array {
  const m = decodeMessage(q);
  return encodeMessage({
    ...m,
    id: id ?? m.id,
    flags: HeaderFlag.QR | HeaderFlag.RD | HeaderFlag.RA,
    answers: [{ name: "example.org", class: 1, ttl: 60, type: "A", address }],
  });
}

/** A UDP socket bound on `host`, closed on dispose. */
async function udpSocket(host: string) {
  const sock = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return {
    sock,
    port: sock.address().port,
    [Symbol.asyncDispose]: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

Deno.test("SocketDnsTransport over UDP drops other ids and other source ports", async () => {
  await using server = await udpSocket("127.0.0.1");
  await using other = await udpSocket("127.0.0.1");
  server.sock.on("message", (q: Uint8Array, from: dgram.RemoteInfo) => {
    // A forgery from another port, a wrong id from the right port, then the answer.
    other.sock.send(reply(q, undefined, "6.6.6.6"), from.port, from.address);
    server.sock.send(reply(q, 1), from.port, from.address);
    setTimeout(() => server.sock.send(reply(q), from.port, from.address), 20);
  });
  const signal = AbortSignal.timeout(3000);
  const got = await new SocketDnsTransport().exchange(query, {
    host: "127.0.0.1",
    port: server.port,
  }, {
    tcp: false,
    signal,
    accept,
  });
  assert.deepEqual(decodeMessage(got).answers.map((rr) => rr.type === "A" && rr.address), [
    "192.0.2.1",
  ]);
});

Deno.test("SocketDnsTransport over UDP talks to an IPv6 server", async () => {
  await using server = await udpSocket("::1");
  server.sock.on("message", (q: Uint8Array, from: dgram.RemoteInfo) => {
    server.sock.send(reply(q), from.port, from.address);
  });
  const got = await new SocketDnsTransport().exchange(query, { host: "::1", port: server.port }, {
    tcp: false,
    signal: AbortSignal.timeout(3000),
    accept,
  });
  assert.equal(decodeMessage(got).answers.length, 1);
});

Deno.test("SocketDnsTransport rejects with the signal's reason when aborted", async () => {
  await using silent = await udpSocket("127.0.0.1");
  const ac = new AbortController();
  const p = new SocketDnsTransport().exchange(query, { host: "127.0.0.1", port: silent.port }, {
    tcp: false,
    signal: ac.signal,
    accept,
  });
  setTimeout(() => ac.abort(new Error("gave up")), 30);
  await assert.rejects(p, /gave up/);
});

Deno.test("SocketDnsTransport over TCP reads length-prefixed replies split anyhow", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    using conn = await listener.accept();
    const buf = new Uint8Array(2048);
    let got = new Uint8Array(0);
    while (got.length < 2 || got.length < 2 + ((got[0]! << 8) | got[1]!)) {
      const n = await conn.read(buf);
      if (n === null) return;
      got = Uint8Array.from([...got, ...buf.subarray(0, n)]);
    }
    const q = got.subarray(2);
    const frame = (m: Uint8Array) => [m.length >> 8, m.length & 0xff, ...m];
    // A reply with another id first, then the real one, written one octet at a time.
    const bytes = [...frame(reply(q, 7)), ...frame(reply(q))];
    for (const b of bytes) await conn.write(Uint8Array.of(b));
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  const got = await new SocketDnsTransport().exchange(query, { host: "127.0.0.1", port }, {
    tcp: true,
    signal: AbortSignal.timeout(3000),
    accept,
  });
  await served;
  assert.equal(decodeMessage(got).id, 4242);
});

Deno.test("SocketDnsTransport over TCP fails when the server closes without a reply", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(512));
    conn.close();
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  await assert.rejects(
    new SocketDnsTransport().exchange(query, { host: "127.0.0.1", port }, {
      tcp: true,
      signal: AbortSignal.timeout(3000),
      accept,
    }),
    /connection closed/,
  );
  await served;
});

Deno.test("SocketDnsTransport over TCP closes the connection when aborted", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    using conn = await listener.accept();
    // Hold the connection open without answering until the client closes it.
    while ((await conn.read(new Uint8Array(512))) !== null) { /* drain */ }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  const ac = new AbortController();
  const p = new SocketDnsTransport().exchange(query, { host: "127.0.0.1", port }, {
    tcp: true,
    signal: ac.signal,
    accept,
  });
  setTimeout(() => ac.abort(new Error("gave up")), 30);
  await assert.rejects(p, /gave up/);
  await served;
});

Deno.test("nameserversFromResolvConf() reads nameserver lines", () => {
  const text = [
    "# generated",
    "search example.org",
    "nameserver 127.0.0.53 # local stub",
    "; nameserver 10.0.0.1",
    "nameserver   ::1",
    "nameserver fe80::1%eth0",
    "nameserver not-an-ip",
    "options edns0 trust-ad",
    "nameserver 192.0.2.1",
    "nameserver 192.0.2.2",
  ].join("\n");
  assert.deepEqual(nameserversFromResolvConf(text), [
    { host: "127.0.0.53", port: 53 },
    { host: "::1", port: 53 },
    { host: "192.0.2.1", port: 53 },
  ]);
});

Deno.test("nameserversFromResolvConf() falls back to 127.0.0.1 without nameservers", () => {
  assert.deepEqual(nameserversFromResolvConf("search example.org\r\n"), [{
    host: "127.0.0.1",
    port: 53,
  }]);
  assert.deepEqual(nameserversFromResolvConf(""), [{ host: "127.0.0.1", port: 53 }]);
});
