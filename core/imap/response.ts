/**
 * Encoding of IMAP response data (RFC 9051 §4, §9 formal syntax): atoms, quoted
 * strings, literals, NIL, flag lists. Everything the server sends goes through these,
 * so a value from a message or a client can never break the response framing.
 *
 * Contract: a string that cannot be a quoted string (CR, LF, NUL, or 8-bit without
 * UTF-8 permission, or longer than {@linkcode maxQuoted}) becomes a literal `{n}\r\n…`,
 * counted in octets of its UTF-8 form.
 */

const encoder = new TextEncoder();

/** Longest value sent as a quoted string; longer ones go as literals (easier on clients). */
export const maxQuoted = 1024;

// RFC 9051 §9: ATOM-CHAR excludes atom-specials: ( ) { SP CTL % * " \ ] and 8-bit.
const atomChars = /^[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/;

/** True when `s` may be sent as an atom (RFC 9051 §9 `atom`). */
export function isAtom(s: string): boolean {
  return atomChars.test(s);
}

/**
 * `s` as an IMAP string: quoted when possible, else a literal.
 * @param utf8 the client enabled UTF8=ACCEPT (RFC 6855 §3: UTF-8 in quoted strings)
 */
export function str(s: string, utf8 = false): string {
  const needsLiteral = /[\r\n\0]/.test(s) || (!utf8 && /[^ -~\t]/.test(s)) ||
    s.length > maxQuoted;
  if (needsLiteral) return `{${encoder.encode(s).length}}\r\n${s}`;
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `s` as an astring: an atom when it is one, else {@linkcode str}. */
export function astr(s: string, utf8 = false): string {
  return isAtom(s) ? s : str(s, utf8);
}

/** `s` as an nstring: NIL for null/undefined. */
export function nstr(s: string | null | undefined, utf8 = false): string {
  return s === null || s === undefined ? "NIL" : str(s, utf8);
}

/** A parenthesised flag list, e.g. `(\Seen $Junk)`. */
export function flagList(flags: readonly string[]): string {
  return `(${flags.join(" ")})`;
}

/** Octets of a literal header for `n` octets: `{n}\r\n`. */
export function literalHeader(n: number, binary = false): string {
  // RFC 3516 §4.3: literal8 for BINARY content that may contain NUL.
  return `${binary ? "~" : ""}{${n}}\r\n`;
}

/** RFC 9051 §9 date-time: "dd-Mon-yyyy hh:mm:ss +0000" (we serve UTC). */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `"${p2(d.getUTCDate())}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ${
    p2(d.getUTCHours())
  }:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000"`;
}
