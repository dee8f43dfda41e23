/**
 * DNS messages ⇄ bytes (RFC 1035 §4.1), with EDNS0 (RFC 6891) and the record types
 * Postern reads: A, AAAA, NS, CNAME, PTR, MX, TXT, SOA, TLSA. Other types decode as raw
 * RDATA.
 *
 * Implementation notes: decoding is strict, because a reply that does not parse exactly
 * is one we cannot trust — every read is bounds-checked, RDATA must be consumed exactly
 * to its RDLENGTH, compression pointers must point strictly backwards (so a pointer loop
 * is impossible), names stay within 255 octets, and OPT may appear once, only among the
 * additional records. Failures throw a SyntaxError that the resolver reports as
 * "Malformed". Encoding never compresses; it exists for queries and for test servers.
 *
 * Written here rather than taken from npm:dns-packet: that package decodes labels as
 * UTF-8 (losing binary octets), does not check RDLENGTH against what a type's decoder
 * consumed, and has no TLSA; this codec is small and covers exactly what we use.
 *
 * @module
 */

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.ts";
import { labelsToText, textToLabels } from "./name.ts";
import { dnsLimits } from "./limits.ts";
import { EDNS_DO, RRType, rrTypeName } from "./types.ts";

/** RDATA of the types this codec knows, keyed by `type`. */
export type RecordData =
  | { type: "A"; address: string }
  | { type: "AAAA"; address: string }
  | { type: "NS" | "CNAME" | "PTR"; target: string }
  | { type: "MX"; preference: number; exchange: string }
  /** Each character-string's raw octets (RFC 1035 §3.3.14). */
  | { type: "TXT"; strings: Uint8Array[] }
  | {
    type: "SOA";
    mname: string;
    rname: string;
    serial: number;
    refresh: number;
    retry: number;
    expire: number;
    /** RFC 2308 §4: the TTL of negative answers from this zone. */
    minimum: number;
  }
  /** RFC 6698 §2.1. */
  | { type: "TLSA"; usage: number; selector: number; matchingType: number; data: Uint8Array }
  /** Any other type: its TYPE value and raw RDATA (RFC 3597 §3: passed on transparently). */
  | { type: "Unknown"; code: number; data: Uint8Array };

/** A resource record (RFC 1035 §4.1.3); names in canonical text form (see name.ts). */
export type ResourceRecord = { name: string; class: number; ttl: number } & RecordData;

/** A question (RFC 1035 §4.1.2). */
export interface Question {
  name: string;
  type: number;
  class: number;
}

/** The EDNS0 OPT pseudo-record's fields (RFC 6891 §6.1.3). */
export interface Edns {
  udpPayloadSize: number;
  version: number;
  /** RFC 3225 §3: DNSSEC OK. */
  dnssecOk: boolean;
  /** Raw options (RDATA of the OPT record). */
  options: Uint8Array;
}

/** A DNS message. */
export interface Message {
  id: number;
  /** Header flags as in the second header word, with OPCODE and RCODE masked out. */
  flags: number;
  opcode: number;
  /** The full RCODE: the header's 4 bits plus, with EDNS0, 8 more (RFC 6891 §6.1.3). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  /** Additional records, without the OPT pseudo-record (that is `edns`). */
  additionals: ResourceRecord[];
  /** The OPT pseudo-record; undefined when the message has none. */
  edns: Edns | undefined;
}

const FLAG_BITS = 0x87f0; // QR, AA, TC, RD, RA, Z, AD, CD

function malformed(detail: string): never {
  throw new SyntaxError(`Cannot decode DNS message: ${detail}`);
}

/** A bounds-checked cursor over a message. */
class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  need(n: number, end = this.buf.length): void {
    if (this.pos + n > end) malformed(`truncated at offset ${this.pos}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  bytes(n: number, end = this.buf.length): Uint8Array {
    this.need(n, end);
    const v = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** RFC 1035 §4.1.4: a name, following compression pointers. */
  name(end = this.buf.length): string {
    const labels: Uint8Array[] = [];
    let pos = this.pos;
    let resume = -1;
    let floor = pos; // pointers must point below the labels already read
    let wire = 1;
    for (;;) {
      if (pos >= this.buf.length) malformed("name runs past the end");
      const len = this.buf[pos]!;
      if (len === 0) {
        pos += 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) malformed("name runs past the end");
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= floor) malformed(`compression pointer at ${pos} does not point back`);
        if (resume < 0) resume = pos + 2;
        pos = floor = target;
        continue;
      }
      // RFC 6891 §5: the 0x40 and 0x80 label types are not in use.
      if (len & 0xc0) malformed(`unknown label type at ${pos}`);
      if (pos + 1 + len > this.buf.length) malformed("label runs past the end");
      wire += len + 1;
      if (wire > dnsLimits.nameOctets) malformed("name longer than 255 octets");
      labels.push(this.buf.slice(pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    const next = resume < 0 ? pos : resume;
    if (next > end) malformed("name runs past its record");
    this.pos = next;
    return labelsToText(labels);
  }
}

function readQuestion(r: Reader): Question {
  return { name: r.name(), type: r.u16(), class: r.u16() };
}

function readRdata(r: Reader, code: number, end: number): RecordData {
  const type = rrTypeName(code);
  switch (type) {
    case "A":
      return { type, address: formatIPv4(r.bytes(4, end)) };
    case "AAAA":
      return { type, address: formatIPv6(r.bytes(16, end)) };
    case "NS":
    case "CNAME":
    case "PTR":
      return { type, target: r.name(end) };
    case "MX": {
      r.need(2, end);
      return { type, preference: r.u16(), exchange: r.name(end) };
    }
    case "TXT": {
      const strings: Uint8Array[] = [];
      while (r.pos < end) strings.push(r.bytes(r.u8(), end));
      return { type, strings };
    }
    case "SOA": {
      const mname = r.name(end);
      const rname = r.name(end);
      r.need(20, end);
      return {
        type,
        mname,
        rname,
        serial: r.u32(),
        refresh: r.u32(),
        retry: r.u32(),
        expire: r.u32(),
        minimum: r.u32(),
      };
    }
    case "TLSA": {
      r.need(3, end);
      return {
        type,
        usage: r.u8(),
        selector: r.u8(),
        matchingType: r.u8(),
        data: r.bytes(end - r.pos, end),
      };
    }
    case "OPT":
      return malformed("OPT outside the additional section");
    case undefined:
      return { type: "Unknown", code, data: r.bytes(end - r.pos, end) };
  }
}

function readRecord(r: Reader, section: "answer" | "authority" | "additional") {
  const name = r.name();
  const code = r.u16();
  const klass = r.u16();
  const ttlField = r.u32();
  const rdlength = r.u16();
  r.need(rdlength);
  const end = r.pos + rdlength;
  if (code === RRType.OPT) {
    if (section !== "additional") malformed("OPT outside the additional section");
    if (name !== "") malformed("OPT with a name other than the root");
    const edns: Edns = {
      udpPayloadSize: klass,
      version: (ttlField >>> 16) & 0xff,
      dnssecOk: (ttlField & EDNS_DO) !== 0,
      options: r.bytes(rdlength),
    };
    return { edns, extendedRcode: ttlField >>> 24 };
  }
  const data = readRdata(r, code, end);
  if (r.pos !== end) malformed(`RDATA of ${name} is not ${rdlength} octets`);
  // RFC 2181 §8: a TTL with the most significant bit set is treated as zero.
  const ttl = ttlField >= 0x80000000 ? 0 : ttlField;
  return { record: { name, class: klass, ttl, ...data } as ResourceRecord };
}

/**
 * Decodes a whole message. Octets after the last record are ignored.
 * @throws {SyntaxError} when the message is malformed (see the module notes)
 * @see https://www.rfc-editor.org/rfc/rfc1035#section-4.1
 */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new Reader(bytes);
  const id = r.u16();
  const word = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push(readQuestion(r));
  const sections = [[], [], []] as ResourceRecord[][];
  const names = ["answer", "authority", "additional"] as const;
  let edns: Edns | undefined;
  let extendedRcode = 0;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const got = readRecord(r, names[s]!);
      if ("record" in got) sections[s]!.push(got.record);
      else {
        // RFC 6891 §6.1.1: more than one OPT makes the message malformed.
        if (edns) malformed("more than one OPT record");
        edns = got.edns;
        extendedRcode = got.extendedRcode;
      }
    }
  }
  return {
    id,
    flags: word & FLAG_BITS,
    opcode: (word >> 11) & 0xf,
    rcode: (extendedRcode << 4) | (word & 0xf),
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
    edns,
  };
}

/**
 * Decodes only the header and the first question: enough to tell whether a reply
 * answers a query before decoding the rest.
 * @returns undefined when even that much does not decode
 */
export function peekQuestion(
  bytes: Uint8Array,
): { id: number; flags: number; qdcount: number; question: Question | undefined } | undefined {
  try {
    const r = new Reader(bytes);
    const id = r.u16();
    const flags = r.u16() & FLAG_BITS;
    const qdcount = r.u16();
    r.bytes(6); // ANCOUNT, NSCOUNT, ARCOUNT
    return { id, flags, qdcount, question: qdcount > 0 ? readQuestion(r) : undefined };
  } catch {
    return undefined;
  }
}

/** What {@linkcode encodeMessage} needs; omitted sections are empty. */
export interface MessageInput {
  id: number;
  flags: number;
  opcode?: number;
  rcode?: number;
  questions?: Question[];
  answers?: ResourceRecord[];
  authorities?: ResourceRecord[];
  additionals?: ResourceRecord[];
  edns?: Edns | undefined;
}

class Writer {
  out: number[] = [];
  u8(v: number) {
    this.out.push(v & 0xff);
  }
  u16(v: number) {
    this.out.push((v >> 8) & 0xff, v & 0xff);
  }
  u32(v: number) {
    this.u16(Math.floor(v / 0x10000));
    this.u16(v % 0x10000);
  }
  bytes(b: Uint8Array) {
    for (const x of b) this.out.push(x);
  }
  name(text: string) {
    for (const label of textToLabels(text)) {
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }
}

function writeRdata(w: Writer, rr: RecordData): void {
  switch (rr.type) {
    case "A":
    case "AAAA": {
      const ip = rr.type === "A" ? parseIPv4(rr.address) : parseIPv6(rr.address);
      if (!ip) throw new SyntaxError(`Cannot encode ${rr.type} record: bad address ${rr.address}`);
      return w.bytes(ip);
    }
    case "NS":
    case "CNAME":
    case "PTR":
      return w.name(rr.target);
    case "MX":
      w.u16(rr.preference);
      return w.name(rr.exchange);
    case "TXT":
      for (const s of rr.strings) {
        if (s.length > 255) {
          throw new SyntaxError("Cannot encode TXT record: string over 255 octets");
        }
        w.u8(s.length);
        w.bytes(s);
      }
      return;
    case "SOA":
      w.name(rr.mname);
      w.name(rr.rname);
      for (const v of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) w.u32(v);
      return;
    case "TLSA":
      w.u8(rr.usage);
      w.u8(rr.selector);
      w.u8(rr.matchingType);
      return w.bytes(rr.data);
    case "Unknown":
      return w.bytes(rr.data);
  }
}

function typeCode(rr: RecordData): number {
  return rr.type === "Unknown" ? rr.code : RRType[rr.type];
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(typeCode(rr));
  w.u16(rr.class);
  w.u32(rr.ttl);
  const at = w.out.length;
  w.u16(0);
  writeRdata(w, rr);
  const len = w.out.length - at - 2;
  w.out[at] = len >> 8;
  w.out[at + 1] = len & 0xff;
}

/**
 * Encodes a message, without name compression.
 * @throws {SyntaxError} when a name or an address in it cannot be encoded
 */
export function encodeMessage(m: MessageInput): Uint8Array {
  const w = new Writer();
  const rcode = m.rcode ?? 0;
  w.u16(m.id);
  w.u16((m.flags & FLAG_BITS) | ((m.opcode ?? 0) << 11) | (rcode & 0xf));
  const additionals = m.additionals ?? [];
  for (const n of [m.questions, m.answers, m.authorities]) w.u16(n?.length ?? 0);
  w.u16(additionals.length + (m.edns ? 1 : 0));
  for (const q of m.questions ?? []) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...(m.answers ?? []), ...(m.authorities ?? []), ...additionals]) {
    writeRecord(w, rr);
  }
  if (m.edns) {
    // RFC 6891 §6.1.2-3: root name, TYPE 41, CLASS = payload size, TTL = ext-rcode,
    // version, flags.
    w.u8(0);
    w.u16(RRType.OPT);
    w.u16(m.edns.udpPayloadSize);
    w.u8(rcode >> 4);
    w.u8(m.edns.version);
    w.u16(m.edns.dnssecOk ? EDNS_DO : 0);
    w.u16(m.edns.options.length);
    w.bytes(m.edns.options);
  }
  if (w.out.length > dnsLimits.messageOctets) {
    throw new SyntaxError("Cannot encode DNS message: longer than 65535 octets");
  }
  return Uint8Array.from(w.out);
}
