/**
 * Reads the answer to one question out of a decoded reply: follows the CNAME chain in
 * the answer section, picks the RRset of the asked type at its end, and works out how
 * long the answer — positive or negative — may be cached.
 */

import { dnsLimits } from "./limits.ts";
import { nameKey, sameName } from "./name.ts";
import { Rcode, RRClass, RRType, rrTypeName } from "./types.ts";
import type { Message, ResourceRecord } from "./wire.ts";

/** The answer to one question. */
export interface Extracted {
  /** RCODE was NXDOMAIN: the name, or the last name of its CNAME chain, does not exist. */
  nxdomain: boolean;
  /** Records of the asked type at the end of the chain; empty for NXDOMAIN and no data. */
  records: ResourceRecord[];
  /**
   * Seconds the answer may be cached, before clamping: the least TTL of the records and
   * the CNAMEs that led to them; for a negative answer the SOA's TTL or MINIMUM,
   * whichever is less (RFC 2308 §5), also bounded by the CNAMEs. Undefined for a
   * negative answer without SOA, which RFC 2308 §5 says not to cache.
   */
  ttl: number | undefined;
}

/**
 * Extracts the answer for `qname`/`qtype` from a NOERROR or NXDOMAIN reply.
 * @throws {SyntaxError} when the CNAME chain loops or exceeds {@linkcode dnsLimits.cnameChain}
 */
export function extractAnswer(msg: Message, qname: string, qtype: number): Extracted {
  const answers = msg.answers.filter((rr) => rr.class === RRClass.IN);
  let current = qname;
  let chainTtl = Infinity;
  const seen = new Set([nameKey(qname)]);
  let records: ResourceRecord[] = [];
  for (let links = 0;; links++) {
    records = answers.filter((rr) => isType(rr, qtype) && sameName(rr.name, current));
    if (records.length > 0 || qtype === RRType.CNAME) break;
    // RFC 1034 §3.6.2, RFC 2181 §10.1.1: a CNAME at the name stands for the whole name.
    const alias = answers.find((rr) => rr.type === "CNAME" && sameName(rr.name, current));
    if (!alias || alias.type !== "CNAME") break;
    if (links >= dnsLimits.cnameChain) {
      throw new SyntaxError(`Cannot follow CNAME chain: more than ${dnsLimits.cnameChain} links`);
    }
    chainTtl = Math.min(chainTtl, alias.ttl);
    current = alias.target;
    if (seen.has(nameKey(current))) throw new SyntaxError("Cannot follow CNAME chain: loop");
    seen.add(nameKey(current));
  }
  // RFC 6604 §2: with CNAMEs, NXDOMAIN is about the last name of the chain.
  const nxdomain = msg.rcode === Rcode.NXDomain;
  if (!nxdomain && records.length > 0) {
    return { nxdomain, records, ttl: Math.min(chainTtl, ...records.map((rr) => rr.ttl)) };
  }
  const soa = msg.authorities.find((rr) => rr.type === "SOA" && rr.class === RRClass.IN);
  const negative = soa?.type === "SOA" ? Math.min(soa.ttl, soa.minimum, chainTtl) : undefined;
  return { nxdomain, records: [], ttl: negative };
}

function isType(rr: ResourceRecord, qtype: number): boolean {
  return rr.type === "Unknown" ? rr.code === qtype : rrTypeName(qtype) === rr.type;
}
