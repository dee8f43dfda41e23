/**
 * Domain names: the text form callers pass and the resolver returns, and the label list
 * of the wire form.
 *
 * Implementation notes: the text form is RFC 1035 §5.1 presentation format without the
 * trailing dot — the root is "". A label octet is written as itself when it is a
 * printable ASCII character other than "." and "\\", as `\.` or `\\` for those two, and
 * as `\DDD` (decimal) otherwise, so every label list has exactly one text form and two
 * names are equal when their text forms are equal after ASCII lower-casing (RFC 4343
 * §2: case-insensitive for ASCII letters only). {@linkcode normalizeName} turns any
 * input (trailing dot or not, other escapes, U-labels) into that one form.
 */

import { dnsLimits } from "./limits.ts";

/**
 * The canonical text form of a name a caller wants to look up: U-labels converted to
 * A-labels (IDNA, RFC 5890 §2.3.2.1, using the WHATWG URL host rules, i.e. UTS #46
 * non-transitional), a trailing dot removed, escapes in canonical form. Case is kept.
 * @throws {SyntaxError} when the name has an empty label, a label over 63 octets, more
 *   than 255 octets in wire form (RFC 1035 §2.3.4), a bad escape, or fails IDNA
 * @see https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4
 */
export function normalizeName(name: string): string {
  // deno-lint-ignore no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(name) ? name : toALabels(name);
  return labelsToText(textToLabels(ascii));
}

/**
 * Compares two names in text form as DNS does: ASCII case-insensitively.
 */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

/** The key of a name in text form for maps and caches: its ASCII lower-case form. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/**
 * Splits a name in text form into its labels' octets (the root is `[]`).
 * @throws {SyntaxError} on an empty label, a bad escape, or a name or label over the
 *   limits of RFC 1035 §2.3.4
 */
export function textToLabels(text: string): Uint8Array[] {
  if (text === "" || text === ".") return [];
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let wire = 1; // the root label's length octet
  let afterDot = false;
  const finish = () => {
    if (cur.length === 0) throw new SyntaxError(`Cannot parse DNS name: empty label in ${text}`);
    if (cur.length > dnsLimits.labelOctets) {
      throw new SyntaxError(`Cannot parse DNS name: label longer than 63 octets in ${text}`);
    }
    wire += cur.length + 1;
    labels.push(Uint8Array.from(cur));
    cur = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    afterDot = c === 0x2e;
    if (c === 0x2e) {
      finish();
    } else if (c === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d) && Number(d) <= 255) {
        cur.push(Number(d));
        i += 3;
      } else if (i + 1 < text.length && /^[\x20-\x2f\x3a-\x7e]$/.test(text[i + 1]!)) {
        cur.push(text.charCodeAt(i + 1));
        i += 1;
      } else {
        throw new SyntaxError(`Cannot parse DNS name: bad escape in ${text}`);
      }
    } else if (c > 0x7f) {
      throw new SyntaxError(`Cannot parse DNS name: non-ASCII character in ${text}`);
    } else {
      cur.push(c);
    }
  }
  // A final unescaped dot marks an absolute name; otherwise the last label ends here.
  if (!afterDot) finish();
  if (wire > dnsLimits.nameOctets) {
    throw new SyntaxError(`Cannot parse DNS name: longer than 255 octets: ${text}`);
  }
  return labels;
}

/** The canonical text form of a label list (see the module notes). */
export function labelsToText(labels: readonly Uint8Array[]): string {
  let out = "";
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ".";
    for (const b of labels[i]!) {
      if (b === 0x2e) out += "\\.";
      else if (b === 0x5c) out += "\\\\";
      else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
      else out += `\\${String(b).padStart(3, "0")}`;
    }
  }
  return out;
}

// Characters that end a host in a URL, or may not appear in one: a name holding them
// cannot go through the URL parser's IDNA step without changing meaning.
// deno-lint-ignore no-control-regex
const notInHost = /[\x00-\x20/?#@:\\%[\]<>^|]/;

function toALabels(name: string): string {
  if (notInHost.test(name)) {
    throw new SyntaxError(`Cannot parse DNS name: invalid character in ${name}`);
  }
  let host: string;
  try {
    host = new URL(`http://${name}/`).hostname;
  } catch {
    throw new SyntaxError(`Cannot parse DNS name: IDNA conversion failed for ${name}`);
  }
  // The URL parser maps some characters to dots (U+3002) and lower-cases; anything it
  // left outside ASCII is refused by textToLabels.
  return host;
}
