/**
 * Code points of the DNS wire format Postern uses: record types, classes, response codes
 * and header flags, each with the RFC that defines it.
 */

/** Resource record TYPE values (16 bits) by mnemonic. */
export const RRType = {
  /** RFC 1035 §3.4.1: IPv4 host address. */
  A: 1,
  /** RFC 1035 §3.3.11: authoritative name server. */
  NS: 2,
  /** RFC 1035 §3.3.1: canonical name of an alias. */
  CNAME: 5,
  /** RFC 1035 §3.3.13: start of a zone of authority; negative caching (RFC 2308 §4). */
  SOA: 6,
  /** RFC 1035 §3.3.12: domain name pointer (reverse lookups). */
  PTR: 12,
  /** RFC 1035 §3.3.9: mail exchange. */
  MX: 15,
  /** RFC 1035 §3.3.14: text strings. */
  TXT: 16,
  /** RFC 3596 §2.1: IPv6 host address. */
  AAAA: 28,
  /** RFC 6891 §6.1.1: EDNS0 pseudo-record. */
  OPT: 41,
  /** RFC 6698 §2.1: TLS certificate association (DANE). */
  TLSA: 52,
} as const;

/** Mnemonic of a record type this codec knows. */
export type RRTypeName = keyof typeof RRType;

const typeNames = new Map<number, RRTypeName>(
  (Object.entries(RRType) as [RRTypeName, number][]).map(([k, v]) => [v, k]),
);

/** The mnemonic for a TYPE value, or undefined for types this codec does not know. */
export function rrTypeName(code: number): RRTypeName | undefined {
  return typeNames.get(code);
}

/** CLASS values. RFC 1035 §3.2.4: only IN is used on the Internet. */
export const RRClass = {
  /** RFC 1035 §3.2.4: the Internet. */
  IN: 1,
} as const;

/** RCODE values (4 bits in the header, 12 with the EDNS0 extension). */
export const Rcode = {
  /** RFC 1035 §4.1.1: no error condition. */
  NoError: 0,
  /** RFC 1035 §4.1.1: the server could not interpret the query. */
  FormErr: 1,
  /** RFC 1035 §4.1.1: the server failed (also: DNSSEC validation failed, RFC 4035 §5.5). */
  ServFail: 2,
  /** RFC 1035 §4.1.1: the name does not exist. */
  NXDomain: 3,
  /** RFC 1035 §4.1.1: the kind of query is not supported. */
  NotImp: 4,
  /** RFC 1035 §4.1.1: the server refuses for policy reasons. */
  Refused: 5,
  /** RFC 6891 §9: the server does not implement our EDNS version. */
  BadVers: 16,
} as const;

/** Header flag bits in the second 16-bit word (RFC 1035 §4.1.1). */
export const HeaderFlag = {
  /** RFC 1035 §4.1.1: this message is a response. */
  QR: 0x8000,
  /** RFC 1035 §4.1.1: authoritative answer. */
  AA: 0x0400,
  /** RFC 1035 §4.1.1: truncated; RFC 7766 §5: ask again over TCP. */
  TC: 0x0200,
  /** RFC 1035 §4.1.1: recursion desired. */
  RD: 0x0100,
  /** RFC 1035 §4.1.1: recursion available. */
  RA: 0x0080,
  /** RFC 4035 §3.2.3, RFC 6840 §5.7: authentic data (DNSSEC validated). */
  AD: 0x0020,
  /** RFC 4035 §3.2.2: checking disabled. */
  CD: 0x0010,
} as const;

/** RFC 3225 §3: the DO ("DNSSEC OK") bit in the EDNS0 flags. */
export const EDNS_DO = 0x8000;
