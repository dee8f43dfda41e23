/**
 * Adapts a {@linkcode Resolver} to the `resolver` option of npm:mailauth (SPF, DKIM,
 * DMARC, ARC, BIMI, MTA-STS), which expects node's `dns.promises.resolve(name, rrtype)`:
 * records in node's shapes, and failures as errors whose `code` is one of node's DNS
 * error codes. mailauth 7.1 tells "no record" apart by `ENOTFOUND` (NXDOMAIN) and
 * `ENODATA` (no data), treats `EBADNAME` as a permanent error, and `ETIMEOUT`,
 * `EREFUSED` and any other code as temporary (lib/spf/index.js, lib/dmarc/…).
 */

import { DnsError, type DnsErrorCode } from "./error.ts";
import type { LookupType, Resolver } from "./resolver.ts";

/** node's shape of an MX record (`dns.resolveMx`). */
export interface NodeMxRecord {
  exchange: string;
  priority: number;
}

/**
 * A `dns.promises.resolve`-like function: A, AAAA, PTR and CNAME give `string[]`, TXT
 * gives `string[][]` (one array per record), MX gives {@linkcode NodeMxRecord}[].
 * mailauth's own `DNSResolver` type omits the MX shape although its SPF code reads
 * `exchange` and `priority`; cast to it where mailauth's typings are needed.
 */
export type MailauthResolver = (
  name: string,
  rrtype: string,
) => Promise<string[] | string[][] | NodeMxRecord[]>;

/** An error like node's DNS errors: `code`, `hostname`, `syscall`. */
export interface NodeDnsError extends Error {
  code: string;
  hostname: string;
  syscall: string;
}

// node's c-ares error codes (lib/internal/errors.js / dns.js) for each DnsError code.
const nodeCodes: Record<DnsErrorCode, string> = {
  NXDOMAIN: "ENOTFOUND",
  ServFail: "ESERVFAIL",
  Timeout: "ETIMEOUT",
  Refused: "EREFUSED",
  Malformed: "EBADRESP",
  BadName: "EBADNAME",
  Unreachable: "ECONNREFUSED",
};

const syscalls: Record<string, string> = {
  A: "queryA",
  AAAA: "queryAaaa",
  MX: "queryMx",
  TXT: "queryTxt",
  PTR: "queryPtr",
  CNAME: "queryCname",
};

function nodeError(code: string, name: string, rrtype: string, cause?: unknown): NodeDnsError {
  const syscall = syscalls[rrtype] ?? "query";
  const err = new Error(`${syscall} ${code} ${name}`, { cause }) as NodeDnsError;
  err.code = code;
  err.hostname = name;
  err.syscall = syscall;
  return err;
}

/**
 * Wraps `resolver` for mailauth: `resolver(name, rrtype)` resolves with node's shapes,
 * rejects with `ENODATA` for an empty answer and with node's code for each
 * {@linkcode DnsError} (NXDOMAIN → ENOTFOUND, ServFail → ESERVFAIL, Timeout → ETIMEOUT,
 * Refused → EREFUSED, Malformed → EBADRESP, BadName → EBADNAME, Unreachable →
 * ECONNREFUSED). TXT strings of a record are already joined, so each inner array has one
 * element; mailauth joins them anyway.
 * @throws {TypeError} (as a rejection) for an rrtype other than A, AAAA, MX, TXT, PTR, CNAME
 * @see https://www.rfc-editor.org/rfc/rfc7208#section-4.4
 */
export function toMailauthResolver(resolver: Resolver): MailauthResolver {
  return async (name, rrtype) => {
    const type = rrtype.toUpperCase();
    if (!(type in syscalls)) {
      throw new TypeError(`Cannot resolve ${name}: unsupported record type ${rrtype}`);
    }
    let records: unknown[];
    try {
      records = (await resolver.lookup(name, type as LookupType)).records;
    } catch (e) {
      if (e instanceof DnsError) throw nodeError(nodeCodes[e.code], name, type, e);
      throw e;
    }
    if (records.length === 0) throw nodeError("ENODATA", name, type);
    switch (type) {
      case "TXT":
        return (records as string[]).map((r) => [r]);
      case "MX":
        return (records as { exchange: string; preference: number }[]).map((r) => ({
          exchange: r.exchange,
          priority: r.preference,
        }));
      default:
        return records as string[];
    }
  };
}
