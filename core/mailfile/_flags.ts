/**
 * IMAP flags as mbox and maildir carry them: validation of keywords, a canonical order,
 * and the Status / X-Status / X-Keywords header fields of mbox writers (mutt, Dovecot,
 * Thunderbird's export, UW IMAP).
 *
 * @module
 */

import { isKeyword } from "../imap/keyword.ts";
import { latin1 } from "./_bytes.ts";

/**
 * The IMAP system flags an mbox or maildir file can carry, in the order we list them.
 * \Recent is a session property (RFC 9051 §2.3.2 dropped it) and is never stored.
 */
export const systemFlags = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"] as const;

/** One of {@linkcode systemFlags}. */
export type SystemFlag = typeof systemFlags[number];

const systemByLower = new Map<string, SystemFlag>(systemFlags.map((f) => [f.toLowerCase(), f]));

export { isKeyword };

/**
 * Orders and de-duplicates flags: system flags in {@linkcode systemFlags} order with their
 * canonical spelling, then keywords in first-seen order. Keywords compare
 * case-insensitively (RFC 9051 §2.3.2); the first spelling wins. Anything else (unknown
 * system flags such as \Recent, invalid keywords) is returned in `rejected`.
 */
export function canonicalFlags(flags: Iterable<string>): { flags: string[]; rejected: string[] } {
  const system = new Set<SystemFlag>();
  const keywords = new Map<string, string>();
  const rejected: string[] = [];
  for (const flag of flags) {
    if (flag.startsWith("\\")) {
      const known = systemByLower.get(flag.toLowerCase());
      if (known === undefined) rejected.push(flag);
      else system.add(known);
    } else if (isKeyword(flag)) {
      const key = flag.toLowerCase();
      if (!keywords.has(key)) keywords.set(key, flag);
    } else {
      rejected.push(flag);
    }
  }
  return {
    flags: [...systemFlags.filter((f) => system.has(f)), ...keywords.values()],
    rejected,
  };
}

/** The header fields that carry flags in mbox files, lower-cased. */
export const flagFieldNames = ["status", "x-status", "x-keywords"] as const;

// Status: R = read (\Seen), O = old (not \Recent: meaningless for an import). X-Status as
// written by mutt, Dovecot and UW IMAP: A = answered, F = flagged, T = draft, D = deleted.
const statusLetters: Record<string, SystemFlag | null> = { R: "\\Seen", O: null };
const xStatusLetters: Record<string, SystemFlag> = {
  A: "\\Answered",
  F: "\\Flagged",
  T: "\\Draft",
  D: "\\Deleted",
};

/**
 * Flags from the Status, X-Status and X-Keywords fields of a message's header. Repeated
 * fields add up. Unknown letters and invalid keywords are dropped with a problem each.
 */
export function headerFlags(message: Uint8Array): { flags: string[]; problems: string[] } {
  const collected: string[] = [];
  const problems: string[] = [];
  for (const [name, value] of headerFields(message, flagFieldNames)) {
    if (name === "x-keywords") {
      for (const word of value.split(/[\s,]+/)) {
        if (word === "") continue;
        if (isKeyword(word)) collected.push(word);
        else problems.push(`Invalid keyword in X-Keywords dropped: ${JSON.stringify(word)}`);
      }
      continue;
    }
    const table: Record<string, SystemFlag | null> = name === "status"
      ? statusLetters
      : xStatusLetters;
    const field = name === "status" ? "Status" : "X-Status";
    for (const letter of value.replace(/\s+/g, "")) {
      const flag = table[letter];
      if (flag === undefined) {
        problems.push(`Unknown ${field} letter dropped: ${JSON.stringify(letter)}`);
      } else if (flag !== null) collected.push(flag);
    }
  }
  return { flags: canonicalFlags(collected).flags, problems };
}

/**
 * The unfolded values of the named fields (lower-case names) in the header section,
 * which ends at the first empty line (CRLF or LF endings). RFC 5322 §2.2.3: unfolding
 * removes the CRLF before each continuation line's whitespace.
 */
export function headerFields(
  message: Uint8Array,
  names: readonly string[],
): Array<[name: string, value: string]> {
  const fields: Array<[string, string]> = [];
  let current: [string, string] | undefined;
  for (const line of headerLines(message)) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (current !== undefined) current[1] += line;
      continue;
    }
    current = undefined;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trimEnd().toLowerCase();
    if (!names.includes(name)) continue;
    current = [name, line.slice(colon + 1)];
    fields.push(current);
  }
  return fields.map(([name, value]) => [name, value.trim()]);
}

/** The header section's lines, as Latin-1 text without their line endings. */
function headerLines(message: Uint8Array): string[] {
  return latin1(message.subarray(0, headerEnd(message))).split(/\r?\n/).filter((l, i, all) =>
    i < all.length - 1 || l !== ""
  );
}

/**
 * Offset just past the header section's last line ending (where the empty line starts),
 * or the message length when there is no empty line.
 */
export function headerEnd(message: Uint8Array): number {
  let lineStart = 0;
  while (lineStart < message.length) {
    const first = message[lineStart];
    if (first === 0x0a) return lineStart;
    if (first === 0x0d && message[lineStart + 1] === 0x0a) return lineStart;
    const lf = message.indexOf(0x0a, lineStart);
    if (lf < 0) return message.length;
    lineStart = lf + 1;
  }
  return message.length;
}
