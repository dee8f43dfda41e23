/**
 * Test fakes for the resolver: a recursive resolver answering from a zone written as an
 * object literal, recording every query it gets, and a clock whose time only moves when
 * told. Not exported from mod.ts.
 */

import type { Clock, DnsServer, DnsTransport, ExchangeOptions } from "./transport.ts";
import { HeaderFlag, Rcode, RRClass, RRType, rrTypeName } from "./types.ts";
import { decodeMessage, encodeMessage, type Message, type RecordData } from "./wire.ts";
import type { ResourceRecord } from "./wire.ts";
import { sameName } from "./name.ts";

/** Records by owner name; the SOA of the zone goes in `options.soa`. */
export type FakeZone = Record<string, RecordData[]>;

/** One query the fake received. */
export interface FakeCall {
  server: DnsServer;
  tcp: boolean;
  query: Message;
  /** Question name and type mnemonic, e.g. "example.org A". */
  question: string;
}

/** What to send for one query: messages in order, or nothing ("silent"). */
export type FakeReplies = (Uint8Array | Message)[] | "silent";

export interface FakeDnsOptions {
  /** TTL of every zone record (default 300). */
  ttl?: number;
  /** Whether replies carry AD (default false). */
  authentic?: boolean;
  /** SOA put in the authority section of negative answers; none when null. */
  soa?: (ResourceRecord & { type: "SOA" }) | null;
  /** Largest UDP reply before TC is set (default: the query's EDNS size or 512). */
  udpLimit?: number;
  /** Per-query override; return undefined to answer from the zone. */
  reply?: (call: FakeCall, answer: Message) => FakeReplies | undefined;
}

/** The SOA used when none is given: TTL 3600, MINIMUM 60. */
export const defaultSoa: ResourceRecord & { type: "SOA" } = {
  name: "example.org",
  class: RRClass.IN,
  ttl: 3600,
  type: "SOA",
  mname: "ns.example.org",
  rname: "hostmaster.example.org",
  serial: 1,
  refresh: 3600,
  retry: 600,
  expire: 86400,
  minimum: 60,
};

/** A {@linkcode DnsTransport} that plays a recursive resolver over a {@linkcode FakeZone}. */
export class FakeDns implements DnsTransport {
  readonly calls: FakeCall[] = [];

  constructor(readonly zone: FakeZone, readonly options: FakeDnsOptions = {}) {}

  /** The questions asked so far, e.g. ["example.org A"]. */
  get questions(): string[] {
    return this.calls.map((c) => c.question);
  }

  exchange(query: Uint8Array, server: DnsServer, opts: ExchangeOptions): Promise<Uint8Array> {
    const q = decodeMessage(query);
    const qq = q.questions[0]!;
    const call: FakeCall = {
      server,
      tcp: opts.tcp,
      query: q,
      question: `${qq.name} ${rrTypeName(qq.type) ?? qq.type}`,
    };
    this.calls.push(call);
    const answer = this.answer(q, opts.tcp);
    const replies = this.options.reply?.(call, answer) ?? [answer];
    if (replies !== "silent") {
      for (const r of replies) {
        const bytes = r instanceof Uint8Array ? r : encodeMessage(r);
        if (opts.accept(bytes)) return Promise.resolve(bytes);
      }
    }
    // Nothing acceptable: wait, as a real socket would, until the resolver gives up.
    return new Promise((_, reject) => {
      if (opts.signal.aborted) reject(opts.signal.reason);
      opts.signal.addEventListener("abort", () => reject(opts.signal.reason), { once: true });
    });
  }

  /** The reply a recursive resolver would give from the zone. */
  answer(q: Message, tcp: boolean): Message {
    const qq = q.questions[0]!;
    const ttl = this.options.ttl ?? 300;
    const answers: ResourceRecord[] = [];
    let name = qq.name;
    let rcode: number = Rcode.NoError;
    for (let hops = 0; hops < 16; hops++) {
      const owner = Object.keys(this.zone).find((k) => sameName(k, name));
      if (owner === undefined) {
        rcode = Rcode.NXDomain;
        break;
      }
      const rrs = this.zone[owner]!;
      const matching = rrs.filter((d) =>
        d.type === "Unknown" ? d.code === qq.type : RRType[d.type] === qq.type
      );
      answers.push(...matching.map((d) => ({ name, class: RRClass.IN, ttl, ...d })));
      const cname = rrs.find((d) => d.type === "CNAME");
      if (matching.length > 0 || !cname || cname.type !== "CNAME") break;
      answers.push({ name, class: RRClass.IN, ttl, ...cname });
      name = cname.target;
    }
    const soa = this.options.soa === undefined ? defaultSoa : this.options.soa;
    const negative = answers.every((rr) => rr.type === "CNAME") && qq.type !== RRType.CNAME;
    let flags = HeaderFlag.QR | HeaderFlag.RD | HeaderFlag.RA |
      (this.options.authentic ? HeaderFlag.AD : 0);
    const reply: Message = {
      id: q.id,
      flags,
      opcode: 0,
      rcode,
      questions: q.questions,
      answers,
      authorities: negative && soa ? [soa] : [],
      additionals: [],
      edns: q.edns ? { ...q.edns, options: new Uint8Array(0) } : undefined,
    };
    const limit = this.options.udpLimit ?? q.edns?.udpPayloadSize ?? 512;
    if (!tcp && encodeMessage(reply).length > limit) {
      flags |= HeaderFlag.TC;
      return { ...reply, flags, answers: [], authorities: [] };
    }
    return reply;
  }
}

/** A {@linkcode Clock} that moves only by {@linkcode FakeClock.advance}. */
export class FakeClock implements Clock {
  #now: number;
  #timers: { at: number; fn: () => void }[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const t = { at: this.#now + ms, fn };
    this.#timers.push(t);
    return () => {
      this.#timers = this.#timers.filter((x) => x !== t);
    };
  }

  /** Number of timers not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward, firing due timers in order; lets promise jobs run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets every pending promise job run (one macrotask turn; no time passes). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
