/**
 * Message flags as stored: IMAP system flags as bits of an integer, keywords as a
 * JSON array. The API speaks IMAP's own spelling ("\\Seen", "$Junk").
 *
 * RFC 9051 §2.3.2: system flags \Seen \Answered \Flagged \Deleted \Draft (\Recent is
 * gone in IMAP4rev2); keywords are atoms, compared case-insensitively.
 */

import { isKeyword } from "../../core/imap/keyword.ts";

export const systemFlags = {
  "\\seen": 1,
  "\\answered": 2,
  "\\flagged": 4,
  "\\deleted": 8,
  "\\draft": 16,
} as const;

const spelled: Record<number, string> = {
  1: "\\Seen",
  2: "\\Answered",
  4: "\\Flagged",
  8: "\\Deleted",
  16: "\\Draft",
};

/** The bit of \Seen, for unseen counts. */
export const seenBit = systemFlags["\\seen"];
/** The bit of \Deleted, for EXPUNGE. */
export const deletedBit = systemFlags["\\deleted"];

export class FlagError extends Error {
  readonly code = "BadFlag";
  constructor(readonly flag: string) {
    super(`Cannot set flag: ${JSON.stringify(flag.slice(0, 100))} is not a flag or keyword`);
    this.name = "FlagError";
  }
}

/**
 * Splits IMAP flags into system bits and keywords (deduplicated case-insensitively,
 * first spelling kept).
 * @throws FlagError for an unknown system flag or a keyword that is not an atom
 */
export function encodeFlags(flags: readonly string[]): { bits: number; keywords: string[] } {
  let bits = 0;
  const keywords: string[] = [];
  const seen = new Set<string>();
  for (const flag of flags) {
    const lower = flag.toLowerCase();
    if (flag.startsWith("\\")) {
      const bit = systemFlags[lower as keyof typeof systemFlags];
      if (bit === undefined) throw new FlagError(flag);
      bits |= bit;
    } else {
      if (!isKeyword(flag)) throw new FlagError(flag);
      if (!seen.has(lower)) {
        seen.add(lower);
        keywords.push(flag);
      }
    }
  }
  return { bits, keywords };
}

/** IMAP flags from stored bits and keywords. */
export function decodeFlags(bits: number, keywords: readonly string[]): string[] {
  const out: string[] = [];
  for (let bit = 1; bit <= 16; bit <<= 1) if (bits & bit) out.push(spelled[bit]!);
  return [...out, ...keywords];
}

/** Keywords after adding or removing some (case-insensitive). */
export function mergeKeywords(
  current: readonly string[],
  change: readonly string[],
  op: "add" | "remove" | "replace",
): string[] {
  if (op === "replace") return [...change];
  const lower = new Set(change.map((k) => k.toLowerCase()));
  if (op === "remove") return current.filter((k) => !lower.has(k.toLowerCase()));
  const have = new Set(current.map((k) => k.toLowerCase()));
  return [...current, ...change.filter((k) => !have.has(k.toLowerCase()))];
}
