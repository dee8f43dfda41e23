/**
 * The queries the resolver sends and the check that a reply answers one.
 */

import { dnsLimits } from "./limits.ts";
import { sameName } from "./name.ts";
import { HeaderFlag, RRClass } from "./types.ts";
import { encodeMessage, peekQuestion } from "./wire.ts";

/** What a query asks. */
export interface QuerySpec {
  /** 16-bit message id; random for each query (RFC 5452 §9.2). */
  id: number;
  /** Name in canonical text form (see name.ts). */
  name: string;
  /** TYPE value. */
  type: number;
  /** Whether to add the EDNS0 OPT record (false only to retry after FORMERR). */
  edns: boolean;
}

/**
 * Encodes a recursive query: RD=1 (RFC 1035 §4.1.1), AD=1 (RFC 6840 §5.7: asks the
 * resolver to report whether it validated the answer), and an OPT record with our UDP
 * payload size and DO=1 (RFC 6891 §6.1.2, RFC 3225 §3) so that a validating resolver
 * sets AD on answers it validated.
 * @throws {SyntaxError} when the name cannot be encoded
 */
export function encodeQuery(q: QuerySpec): Uint8Array {
  return encodeMessage({
    id: q.id,
    flags: HeaderFlag.RD | HeaderFlag.AD,
    questions: [{ name: q.name, type: q.type, class: RRClass.IN }],
    ...(q.edns
      ? {
        edns: {
          udpPayloadSize: dnsLimits.udpPayloadOctets,
          version: 0,
          dnssecOk: true,
          options: new Uint8Array(0),
        },
      }
      : {}),
  });
}

/**
 * Whether `reply` answers query `q`: same id, QR=1, OPCODE QUERY, exactly one question
 * equal to ours — name compared ASCII case-insensitively, same type, class IN (RFC 5452
 * §9.1). Anything else is a stray or forged message and must be dropped.
 */
export function answersQuery(reply: Uint8Array, q: QuerySpec): boolean {
  const p = peekQuestion(reply);
  if (!p || p.id !== q.id || (p.flags & HeaderFlag.QR) === 0 || p.qdcount !== 1) return false;
  if (((reply[2]! >> 3) & 0xf) !== 0) return false; // OPCODE must be QUERY
  const question = p.question!;
  return question.type === q.type && question.class === RRClass.IN &&
    sameName(question.name, q.name);
}

/** A random 16-bit message id from the platform's CSPRNG (RFC 5452 §9.2). */
export function randomId(): number {
  return crypto.getRandomValues(new Uint16Array(1))[0]!;
}
