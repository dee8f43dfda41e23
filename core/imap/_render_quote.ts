/**
 * IMAP string forms for FETCH rendering (RFC 9051 §4.3): NIL, quoted string or literal,
 * chosen the way Dovecot's imap-quote.c chooses them, so our output matches a widely
 * deployed server octet for octet.
 *
 * Implementation notes:
 * - Strings here are "octet strings": one UTF-16 code unit per octet (0x00-0xFF), as
 *   {@linkcode latin1} makes them from header bytes. 8-bit header octets therefore pass
 *   through unchanged whatever their charset, and a literal's length is `s.length`.
 * - Without UTF8=ACCEPT an octet >= 0x80 forces a literal (RFC 9051 §4.3 quoted strings
 *   are 7-bit; RFC 3501 §4.3 likewise). With it (RFC 6855 §3, RFC 9051 §4.3 QUOTED-CHAR
 *   includes UTF8-2/3/4) valid UTF-8 may be quoted; invalid UTF-8 still goes literal.
 * - CR, LF and NUL are never quoted (RFC 9051 §4.3 TEXT-CHAR); a NUL, which no literal
 *   may hold either, is sent as U+FFFD (as Dovecot does with header values).
 */

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** Octets as an octet string: one char per octet. */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
  }
  return out;
}

/** An octet string back to octets. */
export function octets(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** True when the octet string has an octet >= 0x80 that UTF8=ACCEPT cannot quote. */
function has8bit(s: string, utf8: boolean): boolean {
  if (!/[\x80-\xff]/.test(s)) return false;
  if (!utf8) return true;
  try {
    utf8Strict.decode(octets(s));
    return false;
  } catch {
    return true; // invalid UTF-8: only a literal carries it as written
  }
}

/** `{n}\r\n` and the octets: RFC 9051 §4.3 literal. */
export function literal(s: string): string {
  return `{${s.length}}\r\n${s}`;
}

/** `"…"` with `"` and `\` escaped (RFC 9051 §4.3 quoted-specials). */
export function quoted(s: string): string {
  return `"${s.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Dovecot switches to a literal after this many quoted-specials, where a literal gets
 * shorter than the escapes (imap-quote.c QUOTED_MAX_ESCAPE_CHARS).
 */
const maxEscapes = 4;

/**
 * An nstring (RFC 9051 §4.3): NIL for undefined; quoted when the value has no CR, LF or
 * (without `utf8`) 8-bit octet and at most four `"`/`\`; otherwise a literal.
 */
export function nstring(value: string | undefined, utf8: boolean): string {
  if (value === undefined) return "NIL";
  const s = value.replaceAll("\0", "\xef\xbf\xbd"); // NUL fits neither form: U+FFFD
  let escapes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      if (++escapes > maxEscapes) return literal(s);
    } else if (c === 0x0d || c === 0x0a) {
      return literal(s);
    }
  }
  return has8bit(s, utf8) ? literal(s) : quoted(s);
}

/**
 * An nstring of an unfolded header value: CR and LF are removed, and a space is put in
 * where a line break was not followed by whitespace, so words never run together
 * (RFC 5322 §2.2.3 unfolding; Dovecot imap_append_nstring_nolf).
 */
export function nstringNoLf(s: string | undefined, utf8: boolean): string {
  if (s === undefined || !/[\r\n]/.test(s)) return nstring(s, utf8);
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c !== "\r" && c !== "\n") {
      out += c;
      continue;
    }
    const next = s.charAt(i + 1);
    if (next !== "" && next !== " " && next !== "\t" && next !== "\r" && next !== "\n") out += " ";
  }
  return nstring(out, utf8);
}

/**
 * A string meant for people (ENVELOPE subject and display names), written as Dovecot's
 * imap_append_string_for_humans writes it: line breaks removed, runs of SP/HTAB made
 * one SP, leading and trailing whitespace dropped, NUL made 0x80. When nothing needs
 * changing the value is quoted as is; otherwise the cleaned value goes as a literal
 * (also whenever it holds `"`, `\` or, without `utf8`, 8-bit octets).
 */
export function humanString(s: string, utf8: boolean): string {
  let modify = false;
  let removed = 0;
  let lastLwsp = true;
  let wsPrefix = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x00:
        lastLwsp = false;
        modify = true;
        break;
      case 0x09:
      case 0x20:
        if (c === 0x09) modify = true;
        if (lastLwsp) {
          modify = true;
          removed++;
        }
        lastLwsp = true;
        break;
      case 0x0d:
      case 0x0a:
        removed++;
        modify = true;
        break;
      case 0x22:
      case 0x5c:
        modify = true;
        lastLwsp = false;
        break;
      default:
        lastLwsp = false;
    }
    if (!lastLwsp) wsPrefix = false;
  }
  if (lastLwsp && s.length > 0 && !wsPrefix) {
    modify = true;
    removed++;
  }
  if (!modify && has8bit(s, utf8)) modify = true;
  if (!modify) return `"${s}"`;
  if (removed === s.length) return '""';

  let out = "";
  lastLwsp = true;
  wsPrefix = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    switch (c) {
      case "\0":
        out += "\x80";
        lastLwsp = false;
        break;
      case "\t":
      case " ":
        if (!lastLwsp) out += " ";
        lastLwsp = true;
        break;
      case "\r":
      case "\n":
        break;
      default:
        lastLwsp = false;
        out += c;
    }
    if (!lastLwsp) wsPrefix = false;
  }
  if (lastLwsp && s.length > 0 && !wsPrefix) out = out.slice(0, -1);
  return literal(out);
}
