/**
 * The real {@linkcode DnsTransport}: UDP through node:dgram and TCP through
 * `Deno.connect`, for the resolver in core/dns. It needs outbound network permission
 * only.
 *
 * - UDP: one socket per exchange, bound to an ephemeral port on 0.0.0.0 or [::] by the
 *   server's address family, so each query has a fresh random source port (RFC 5452
 *   §9.2). Only datagrams from the server's address and port are passed to `accept`;
 *   the first accepted one ends the exchange.
 * - TCP: one connection per exchange, messages framed with a 2-octet length (RFC 1035
 *   §4.2.2, RFC 7766 §8); replies are read until one is accepted.
 * - Replies are capped at 65535 octets (the TCP length prefix cannot say more; a larger
 *   UDP datagram is dropped). An aborted signal closes the socket and rejects with its
 *   reason.
 *
 * node:dgram rather than `Deno.listenDatagram`: the latter still needs `--unstable-net`
 * in Deno 2.9, which the server is not started with.
 *
 * @module
 */

import dgram from "node:dgram";
import type { DnsServer, DnsTransport, ExchangeOptions } from "../../core/dns/mod.ts";
import { dnsLimits, parseIPv4, parseIPv6 } from "../../core/dns/mod.ts";

/** Exchanges DNS messages over UDP and TCP sockets. */
export class SocketDnsTransport implements DnsTransport {
  /** @throws the signal's reason when aborted, a socket error otherwise */
  exchange(query: Uint8Array, server: DnsServer, opts: ExchangeOptions): Promise<Uint8Array> {
    return opts.tcp ? tcpExchange(query, server, opts) : udpExchange(query, server, opts);
  }
}

function sameAddress(a: string, b: string): boolean {
  const x = parseIPv4(a) ?? parseIPv6(a);
  const y = parseIPv4(b) ?? parseIPv6(b);
  return x !== undefined && y !== undefined && x.length === y.length &&
    x.every((v, i) => v === y[i]);
}

function udpExchange(
  query: Uint8Array,
  server: DnsServer,
  { signal, accept }: ExchangeOptions,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const v6 = parseIPv6(server.host) !== undefined;
    const sock = dgram.createSocket({ type: v6 ? "udp6" : "udp4" });
    let done = false;
    const finish = (err: unknown, reply?: Uint8Array) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      sock.removeAllListeners("message");
      // Settle once the socket is closed, so no resource outlives the exchange.
      sock.close(() => reply ? resolve(reply) : reject(err));
    };
    const onAbort = () => finish(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    sock.on("error", (e) => finish(e));
    sock.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      if (rinfo.port !== server.port || !sameAddress(rinfo.address, server.host)) return;
      if (msg.length > dnsLimits.messageOctets) return;
      const reply = Uint8Array.from(msg);
      if (accept(reply)) finish(undefined, reply);
    });
    sock.bind(0, v6 ? "::" : "0.0.0.0", () => {
      if (done) return;
      sock.send(query, server.port, server.host, (err) => {
        if (err) finish(err);
      });
    });
  });
}

async function tcpExchange(
  query: Uint8Array,
  server: DnsServer,
  { signal, accept }: ExchangeOptions,
): Promise<Uint8Array> {
  signal.throwIfAborted();
  if (query.length > dnsLimits.messageOctets) {
    throw new RangeError("Cannot send DNS query: too long");
  }
  const conn = await Deno.connect({ hostname: server.host, port: server.port, signal });
  const onAbort = () => conn.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const framed = new Uint8Array(2 + query.length);
    framed[0] = query.length >> 8;
    framed[1] = query.length & 0xff;
    framed.set(query, 2);
    for (let sent = 0; sent < framed.length;) sent += await conn.write(framed.subarray(sent));
    // RFC 7766 §8: the length prefix says how much follows; replies come one by one.
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(16 * 1024);
    for (;;) {
      while (buf.length >= 2) {
        const len = (buf[0]! << 8) | buf[1]!;
        if (buf.length < 2 + len) break;
        const reply = buf.slice(2, 2 + len);
        buf = buf.slice(2 + len);
        if (accept(reply)) return reply;
      }
      const n = await conn.read(chunk);
      if (n === null) throw new Error("Cannot read DNS reply: connection closed by server");
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
    }
  } catch (e) {
    throw signal.aborted ? signal.reason : e;
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!signal.aborted) conn.close();
  }
}

/**
 * The name servers in resolv.conf text (resolv.conf(5)): each `nameserver` line's
 * address, port 53, at most 3 (glibc's MAXNS); lines with a scoped or invalid address
 * are skipped. Without any, the local machine's server (127.0.0.1), as resolv.conf(5)
 * says. Pure: the caller reads /etc/resolv.conf (the queue worker cannot).
 */
export function nameserversFromResolvConf(text: string): DnsServer[] {
  const servers: DnsServer[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [keyword, address] = line.split(/\s+/);
    if (keyword !== "nameserver" || address === undefined) continue;
    if (!parseIPv4(address) && !parseIPv6(address)) continue;
    servers.push({ host: address, port: 53 });
    if (servers.length === 3) break;
  }
  return servers.length > 0 ? servers : [{ host: "127.0.0.1", port: 53 }];
}
