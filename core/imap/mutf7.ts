/**
 * Modified UTF-7, the mailbox name encoding of IMAP4rev1 (RFC 3501 §5.1.3; RFC 9051
 * Appendix A keeps it for IMAP4rev1 clients, IMAP4rev2 uses UTF-8). Printable ASCII
 * but "&" stands for itself; "&" is "&-"; everything else is UTF-16BE in base64 with ","
 * for "/", without padding, between "&" and "-".
 */

/** A mailbox name that is not canonical modified UTF-7. */
export class Mutf7Error extends Error {
  readonly code = "BadMutf7";
  constructor(detail: string) {
    super(`Cannot decode mailbox name: ${detail}`);
    this.name = "Mutf7Error";
  }
}

const isPrintable = (c: number) => c >= 0x20 && c <= 0x7e;

/**
 * Encodes a mailbox name in modified UTF-7.
 * @see https://www.rfc-editor.org/rfc/rfc3501#section-5.1.3
 */
export function encodeModifiedUtf7(name: string): string {
  let out = "";
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (isPrintable(c)) {
      out += c === 0x26 ? "&-" : name[i];
      i++;
      continue;
    }
    let j = i;
    let binary = "";
    for (; j < name.length && !isPrintable(name.charCodeAt(j)); j++) {
      const unit = name.charCodeAt(j);
      binary += String.fromCharCode(unit >> 8, unit & 0xff);
    }
    out += `&${btoa(binary).replace(/=+$/, "").replaceAll("/", ",")}-`;
    i = j;
  }
  return out;
}

/**
 * Decodes a mailbox name from modified UTF-7. Only the canonical encoding is accepted
 * (RFC 3501 §5.1.3: printable ASCII is never encoded, a shifted run is not split, no
 * stray bits), so each name has one spelling.
 * @throws Mutf7Error when `text` is not canonical modified UTF-7
 * @see https://www.rfc-editor.org/rfc/rfc3501#section-5.1.3
 */
export function decodeModifiedUtf7(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (!isPrintable(c)) throw new Mutf7Error("character outside printable ASCII");
    if (c !== 0x26) {
      out += text[i];
      i++;
      continue;
    }
    const end = text.indexOf("-", i + 1);
    if (end < 0) throw new Mutf7Error("unterminated base64");
    out += end === i + 1 ? "&" : decodeRun(text.slice(i + 1, end));
    i = end + 1;
  }
  if (encodeModifiedUtf7(out) !== text) throw new Mutf7Error("not canonical");
  return out;
}

/** One base64 run between "&" and "-": UTF-16BE code units, well-formed. */
function decodeRun(run: string): string {
  if (!/^[A-Za-z0-9+,]+$/.test(run)) throw new Mutf7Error("bad base64");
  let binary: string;
  try {
    binary = atob(run.replaceAll(",", "/") + "=".repeat((4 - run.length % 4) % 4));
  } catch {
    throw new Mutf7Error("bad base64");
  }
  if (binary.length % 2 !== 0) throw new Mutf7Error("odd number of octets");
  let out = "";
  for (let k = 0; k < binary.length; k += 2) {
    out += String.fromCharCode((binary.charCodeAt(k) << 8) | binary.charCodeAt(k + 1));
  }
  // Surrogates must pair: a high one followed by a low one.
  for (let k = 0; k < out.length; k++) {
    const unit = out.charCodeAt(k);
    if (unit >= 0xdc00 && unit <= 0xdfff) throw new Mutf7Error("lone surrogate");
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = out.charCodeAt(k + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new Mutf7Error("lone surrogate");
      k++;
    }
  }
  return out;
}
