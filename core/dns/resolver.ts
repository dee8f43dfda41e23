/**
 * The stub resolver every part of Postern uses (SPF, DKIM, DMARC, MX, DANE, MTA-STS): it
 * asks a recursive, DNSSEC-validating resolver through a {@linkcode DnsTransport} and
 * returns typed records with the AD bit.
 *
 * Contract:
 * - A lookup resolves with `{ records, authentic, ttl }`. `records: []` means "no data":
 *   the name exists but has no records of that type (RFC 2308 §2.2). Everything else
 *   that is not an answer throws a {@linkcode DnsError} with a stable `code`; NXDOMAIN
 *   is one of those, so callers can tell it from no data (RFC 7208 §4.6.4, RFC 5321
 *   §5.1).
 * - `authentic` is the AD bit of the reply (RFC 4035 §3.2.3): the resolver validated
 *   the answer. It means something only when the path to the resolver is trusted
 *   (RFC 4035 §4.9.3, RFC 7672 §2.1.3) — a validating resolver on localhost.
 * - Names may come with or without a trailing dot and with U-labels; they are sent as
 *   A-labels. Returned names are in text form without the trailing dot (see name.ts).
 *
 * Implementation notes:
 * - Each try sends a query with a fresh random id to one server over UDP and waits for
 *   a reply that matches id and question; other datagrams are dropped (RFC 5452 §9.1).
 *   A truncated reply is asked again over TCP (RFC 7766 §5). SERVFAIL, REFUSED, a
 *   malformed reply, a transport failure or a timeout moves on to the next server;
 *   after `attempts` rounds the last failure is thrown. FORMERR to a query with EDNS0
 *   from a server that sent no OPT is retried once without it (RFC 6891 §6.2.2).
 * - CNAME chains inside the answer section are followed (see _answer.ts).
 * - Answers are cached by (lower-cased name, type) for the least TTL of the RRset and
 *   the CNAMEs leading to it, negative answers (NXDOMAIN, no data) for the SOA's TTL or
 *   MINIMUM (RFC 2308 §5), both clamped by the options; failures are not cached.
 *   Concurrent lookups of the same (name, type) share one query.
 * - Callers get their own `records` array, but the record objects in it are shared with
 *   the cache and other callers: do not mutate them.
 *
 * @module
 */

import { extractAnswer } from "./_answer.ts";
import { TtlCache } from "./cache.ts";
import { DnsError } from "./error.ts";
import { dnsLimits } from "./limits.ts";
import { nameKey, normalizeName } from "./name.ts";
import { answersQuery, encodeQuery, type QuerySpec, randomId } from "./query.ts";
import { type Clock, type DnsServer, type DnsTransport, systemClock } from "./transport.ts";
import { HeaderFlag, Rcode, RRType } from "./types.ts";
import { decodeMessage, type Message, type ResourceRecord } from "./wire.ts";

/** An MX record (RFC 1035 §3.3.9). `exchange` is "" for a null MX (RFC 7505). */
export interface MxRecord {
  exchange: string;
  preference: number;
}

/** A TLSA record (RFC 6698 §2.1). */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  /** Certificate association data. */
  data: Uint8Array;
}

/** The record shape each lookup type returns. */
export interface LookupRecords {
  /** IPv4 address in dotted-quad form. */
  A: string;
  /** IPv6 address in RFC 5952 form. */
  AAAA: string;
  /** Sorted by preference, ties in the server's order. */
  MX: MxRecord;
  /**
   * One string per record: its character-strings concatenated without separator (RFC
   * 7208 §3.3, RFC 6376 §3.6.2.2), decoded as UTF-8 (invalid octets become U+FFFD).
   */
  TXT: string;
  /** Target name. */
  PTR: string;
  /** Target name of the CNAME at the asked name itself; the chain is not followed. */
  CNAME: string;
  TLSA: TlsaRecord;
}

/** A record type the resolver can look up. */
export type LookupType = keyof LookupRecords;

/** The outcome of a successful lookup. */
export interface DnsResult<T> {
  /** The records; empty when the name exists without records of the type (no data). */
  records: T[];
  /** The AD bit: the resolver validated the answer with DNSSEC (see the module notes). */
  authentic: boolean;
  /**
   * Seconds the answer stays valid, clamped to the resolver's TTL options; it counts
   * down for answers from the cache. For no data: the negative TTL (0 without SOA).
   */
  ttl: number;
}

/** Options of a {@linkcode Resolver}. */
export interface ResolverOptions {
  /** Recursive resolvers to ask, in order (at least one). */
  nameservers: readonly DnsServer[];
  /** Milliseconds to wait for each reply (default {@linkcode dnsLimits.timeoutMs}). */
  timeoutMs?: number;
  /** Rounds over the server list (default {@linkcode dnsLimits.attempts}). */
  attempts?: number;
  /** Most cached answers; 0 disables caching (default {@linkcode dnsLimits.cacheEntries}). */
  cacheEntries?: number;
  /** Least seconds an answer is cached (default 0). */
  minTtl?: number;
  /** Most seconds a positive answer is cached (default {@linkcode dnsLimits.maxTtl}). */
  maxTtl?: number;
  /** Most seconds a negative answer is cached (default {@linkcode dnsLimits.maxNegativeTtl}). */
  maxNegativeTtl?: number;
  /** Time source (default: the system clock). */
  clock?: Clock;
}

type Cached =
  | { nxdomain: false; records: unknown[]; authentic: boolean; ttl: number }
  | { nxdomain: true; authentic: boolean; ttl: number };

const timedOut = Symbol("timeout");

/**
 * A caching stub resolver. See the module documentation for the contract.
 * @see https://www.rfc-editor.org/rfc/rfc1035
 */
export class Resolver {
  readonly #transport: DnsTransport;
  readonly #servers: readonly DnsServer[];
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #minTtl: number;
  readonly #maxTtl: number;
  readonly #maxNegativeTtl: number;
  readonly #clock: Clock;
  readonly #cache: TtlCache<Cached>;
  readonly #inflight = new Map<string, Promise<Cached>>();

  /** @throws {RangeError} when no name server is given or an option is out of range */
  constructor(transport: DnsTransport, options: ResolverOptions) {
    if (options.nameservers.length === 0) {
      throw new RangeError("Cannot create resolver: no name servers");
    }
    this.#transport = transport;
    this.#servers = [...options.nameservers];
    this.#timeoutMs = options.timeoutMs ?? dnsLimits.timeoutMs;
    this.#attempts = options.attempts ?? dnsLimits.attempts;
    this.#minTtl = options.minTtl ?? dnsLimits.minTtl;
    this.#maxTtl = options.maxTtl ?? dnsLimits.maxTtl;
    this.#maxNegativeTtl = options.maxNegativeTtl ?? dnsLimits.maxNegativeTtl;
    this.#clock = options.clock ?? systemClock;
    this.#cache = new TtlCache(options.cacheEntries ?? dnsLimits.cacheEntries);
    if (!(this.#timeoutMs > 0) || !(this.#attempts >= 1) || this.#minTtl > this.#maxTtl) {
      throw new RangeError(
        "Cannot create resolver: timeoutMs, attempts or TTL bounds out of range",
      );
    }
  }

  /**
   * Looks up the records of `type` at `name`.
   * @throws {DnsError} NXDOMAIN, ServFail, Timeout, Refused, Malformed, BadName, Unreachable
   */
  async lookup<T extends LookupType>(name: string, type: T): Promise<DnsResult<LookupRecords[T]>> {
    let qname: string;
    try {
      qname = normalizeName(name);
    } catch (e) {
      throw new DnsError("BadName", name, type, false, (e as Error).message, { cause: e });
    }
    const key = `${type} ${nameKey(qname)}`;
    const now = this.#clock.now();
    const hit = this.#cache.get(key, now);
    let got: Cached;
    if (hit) {
      got = { ...hit.value, ttl: Math.floor((hit.expires - now) / 1000) };
    } else {
      let pending = this.#inflight.get(key);
      if (!pending) {
        pending = this.#resolve(name, qname, type, key);
        this.#inflight.set(key, pending);
        pending.then(() => this.#inflight.delete(key), () => this.#inflight.delete(key));
      }
      got = await pending;
    }
    if (got.nxdomain) throw new DnsError("NXDOMAIN", name, type, got.authentic);
    return {
      records: [...got.records] as LookupRecords[T][],
      authentic: got.authentic,
      ttl: got.ttl,
    };
  }

  /** IPv4 addresses of `name`. @throws {DnsError} as {@linkcode Resolver.lookup} */
  lookupA(name: string): Promise<DnsResult<string>> {
    return this.lookup(name, "A");
  }

  /** IPv6 addresses of `name`. @throws {DnsError} as {@linkcode Resolver.lookup} */
  lookupAAAA(name: string): Promise<DnsResult<string>> {
    return this.lookup(name, "AAAA");
  }

  /**
   * IPv4 then IPv6 addresses of `name`, asked in parallel. When one family fails and the
   * other has addresses, those are returned with `authentic: false`; otherwise NXDOMAIN
   * from either wins, then the IPv4 failure, then the IPv6 one.
   * @throws {DnsError} as {@linkcode Resolver.lookup}
   */
  async lookupIp(name: string): Promise<DnsResult<string>> {
    const [a, aaaa] = await Promise.allSettled([this.lookupA(name), this.lookupAAAA(name)]);
    const ok = [a, aaaa].filter((r) => r.status === "fulfilled").map((r) => r.value);
    const failed = [a, aaaa].filter((r) => r.status === "rejected").map((r) => r.reason);
    const records = ok.flatMap((r) => r.records);
    if (failed.length === 0 || records.length > 0) {
      return {
        records,
        authentic: failed.length === 0 && ok.every((r) => r.authentic),
        ttl: Math.min(...ok.map((r) => r.ttl)),
      };
    }
    throw failed.find((e) => e instanceof DnsError && e.code === "NXDOMAIN") ?? failed[0];
  }

  /** MX records of `name`, sorted by preference. @throws {DnsError} as {@linkcode Resolver.lookup} */
  lookupMx(name: string): Promise<DnsResult<MxRecord>> {
    return this.lookup(name, "MX");
  }

  /** TXT records of `name`, one string each. @throws {DnsError} as {@linkcode Resolver.lookup} */
  lookupTxt(name: string): Promise<DnsResult<string>> {
    return this.lookup(name, "TXT");
  }

  /**
   * PTR records of `name` (for an address, pass `reverseName(ip)`).
   * @throws {DnsError} as {@linkcode Resolver.lookup}
   */
  lookupPtr(name: string): Promise<DnsResult<string>> {
    return this.lookup(name, "PTR");
  }

  /** TLSA records of `name` ("_25._tcp.mx.example"). @throws {DnsError} as {@linkcode Resolver.lookup} */
  lookupTlsa(name: string): Promise<DnsResult<TlsaRecord>> {
    return this.lookup(name, "TLSA");
  }

  /** The CNAME target of `name` itself. @throws {DnsError} as {@linkcode Resolver.lookup} */
  lookupCname(name: string): Promise<DnsResult<string>> {
    return this.lookup(name, "CNAME");
  }

  /** Forgets every cached answer. */
  clearCache(): void {
    this.#cache.clear();
  }

  async #resolve(name: string, qname: string, type: LookupType, key: string): Promise<Cached> {
    const code = RRType[type];
    let last: DnsError | undefined;
    for (let round = 0; round < this.#attempts; round++) {
      for (const server of this.#servers) {
        try {
          let msg = await this.#ask(server, qname, code, true);
          // RFC 6891 §6.2.2: a server that answers FORMERR without OPT may not know EDNS0.
          if (msg.rcode === Rcode.FormErr && !msg.edns) {
            msg = await this.#ask(server, qname, code, false);
          }
          if (msg.rcode === Rcode.NoError || msg.rcode === Rcode.NXDomain) {
            return this.#store(key, type, msg, qname);
          }
          last = new DnsError(msg.rcode === Rcode.Refused ? "Refused" : "ServFail", name, type);
        } catch (e) {
          last = this.#failure(e, name, type);
        }
      }
    }
    throw last;
  }

  /** One query to one server, over UDP and, when truncated, again over TCP. */
  async #ask(server: DnsServer, qname: string, type: number, edns: boolean): Promise<Message> {
    const q: QuerySpec = { id: randomId(), name: qname, type, edns };
    const query = encodeQuery(q);
    const accept = (reply: Uint8Array) => answersQuery(reply, q);
    const udp = decodeMessage(await this.#exchange(query, server, false, accept));
    // RFC 7766 §5 (RFC 1035 §4.2.1): a truncated reply is asked again over TCP.
    if ((udp.flags & HeaderFlag.TC) === 0) return udp;
    const tcp = decodeMessage(await this.#exchange(query, server, true, accept));
    if (tcp.flags & HeaderFlag.TC) throw new SyntaxError("Cannot use reply: truncated over TCP");
    return tcp;
  }

  /** One transport exchange, bounded by the per-try timeout even if the transport hangs. */
  async #exchange(
    query: Uint8Array,
    server: DnsServer,
    tcp: boolean,
    accept: (reply: Uint8Array) => boolean,
  ): Promise<Uint8Array> {
    const ac = new AbortController();
    let cancel = () => {};
    const timer = new Promise<never>((_, reject) => {
      cancel = this.#clock.setTimer(this.#timeoutMs, () => {
        reject(timedOut);
        ac.abort(new DOMException("DNS query timed out", "TimeoutError"));
      });
    });
    try {
      const reply = await Promise.race([
        this.#transport.exchange(query, server, { tcp, signal: ac.signal, accept }),
        timer,
      ]);
      // A transport need not filter; a reply it returns must still answer the query.
      if (!accept(reply)) throw new SyntaxError("Cannot use reply: it does not answer the query");
      return reply;
    } catch (e) {
      throw ac.signal.aborted ? timedOut : e;
    } finally {
      cancel();
    }
  }

  #failure(e: unknown, name: string, type: LookupType): DnsError {
    if (e === timedOut) return new DnsError("Timeout", name, type);
    if (e instanceof SyntaxError) {
      return new DnsError("Malformed", name, type, false, e.message, { cause: e });
    }
    const detail = e instanceof Error ? e.message : String(e);
    return new DnsError("Unreachable", name, type, false, detail, { cause: e });
  }

  #store(key: string, type: LookupType, msg: Message, qname: string): Cached {
    const x = extractAnswer(msg, qname, RRType[type]);
    const authentic = (msg.flags & HeaderFlag.AD) !== 0;
    const negative = x.nxdomain || x.records.length === 0;
    const ttl = x.ttl === undefined
      ? 0
      : Math.min(Math.max(x.ttl, this.#minTtl), negative ? this.#maxNegativeTtl : this.#maxTtl);
    const value: Cached = x.nxdomain
      ? { nxdomain: true, authentic, ttl }
      : { nxdomain: false, records: convert(type, x.records), authentic, ttl };
    if (ttl > 0) this.#cache.set(key, value, this.#clock.now() + ttl * 1000);
    return value;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

function convert(type: LookupType, rrs: ResourceRecord[]): unknown[] {
  const out: unknown[] = [];
  for (const rr of rrs) {
    switch (rr.type) {
      case "A":
      case "AAAA":
        out.push(rr.address);
        break;
      case "CNAME":
      case "PTR":
        out.push(rr.target);
        break;
      case "MX":
        out.push({ exchange: rr.exchange, preference: rr.preference } satisfies MxRecord);
        break;
      case "TXT": {
        // RFC 7208 §3.3: the character-strings are concatenated with no spaces.
        const joined = new Uint8Array(rr.strings.reduce((n, s) => n + s.length, 0));
        let at = 0;
        for (const s of rr.strings) {
          joined.set(s, at);
          at += s.length;
        }
        out.push(utf8.decode(joined));
        break;
      }
      case "TLSA":
        out.push(
          {
            usage: rr.usage,
            selector: rr.selector,
            matchingType: rr.matchingType,
            data: rr.data,
          } satisfies TlsaRecord,
        );
        break;
      default:
        break;
    }
  }
  if (type === "MX") {
    // Array.prototype.sort is stable: equal preferences keep the server's order.
    (out as MxRecord[]).sort((a, b) => a.preference - b.preference);
  }
  return out;
}
