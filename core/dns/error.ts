/**
 * The one error type of DNS lookups. Callers tell outcomes apart by its stable `code`,
 * never by the message.
 *
 * "No data" (the name exists but has no records of the asked type) is not an error: a
 * lookup then resolves with `records: []`. SPF (RFC 7208 §4.6.4 void lookups), DMARC
 * and MX fallback (RFC 5321 §5.1) all need to tell it from NXDOMAIN, which throws.
 */

/** Why a lookup failed. */
export type DnsErrorCode =
  /** RCODE 3: the name does not exist (RFC 1035 §4.1.1; RFC 6604 §2 after CNAMEs). */
  | "NXDOMAIN"
  /** Every server answered SERVFAIL (also DNSSEC bogus, RFC 4035 §5.5), NOTIMP or BADVERS. */
  | "ServFail"
  /** No acceptable reply arrived in time from any server. */
  | "Timeout"
  /** Every server answered REFUSED (RFC 1035 §4.1.1). */
  | "Refused"
  /** A reply that matched our query could not be decoded or used. */
  | "Malformed"
  /** The name to look up is not a valid DNS name (RFC 1035 §2.3.4) or IDNA label. */
  | "BadName"
  /** The transport failed: connection refused, network unreachable, oversized reply. */
  | "Unreachable";

const descriptions: Record<DnsErrorCode, string> = {
  NXDOMAIN: "no such domain",
  ServFail: "server failure",
  Timeout: "timed out",
  Refused: "refused by server",
  Malformed: "malformed reply",
  BadName: "invalid name",
  Unreachable: "name server unreachable",
};

/** A failed lookup, with a stable {@linkcode DnsErrorCode}. */
export class DnsError extends Error {
  /**
   * @param code why it failed
   * @param hostname the name asked for, as the caller gave it
   * @param rrtype the record type asked for ("A", "MX", …)
   * @param authentic for NXDOMAIN: whether the resolver validated the denial (AD bit),
   *   which DANE needs (RFC 7672 §2.1); false for every other code
   * @param detail appended to the message
   */
  constructor(
    readonly code: DnsErrorCode,
    readonly hostname: string,
    readonly rrtype: string,
    readonly authentic = false,
    detail?: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot resolve ${hostname} ${rrtype}: ${descriptions[code]}${detail ? `: ${detail}` : ""}`,
      options,
    );
    this.name = "DnsError";
  }
}
