/**
 * Strict base64 (RFC 4648 §4, standard alphabet, padded), as SASL uses it: RFC 5802
 * §7 `base64` and RFC 4422 §5 / RFC 4954 §4 / RFC 9051 §6.2.2 responses. Decoding
 * rejects whitespace, missing or misplaced padding, and non-zero pad bits, so one
 * value has exactly one encoding.
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const reverse = new Int16Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) reverse[alphabet.charCodeAt(i)] = i;

/**
 * Encodes bytes as padded standard base64.
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-4
 */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! +
      alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + "=";
  }
  return out;
}

function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? reverse[c]! : -1;
}

/**
 * Decodes padded standard base64, or returns undefined when `text` is not exactly
 * the canonical encoding of some bytes. The empty string decodes to no bytes.
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-4
 */
export function tryDecodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 !== 0) return undefined;
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = last && pad === 2 ? 0 : sextet(text, i + 2);
    const d = last && pad >= 1 ? 0 : sextet(text, i + 3);
    if (a < 0 || b < 0 || c < 0 || d < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    if (last && pad === 2) {
      // RFC 4648 §3.5: pad bits must be zero for the encoding to be canonical.
      if ((n & 0xffff) !== 0) return undefined;
      break;
    }
    out[o++] = (n >> 8) & 255;
    if (last && pad === 1) {
      if ((n & 0xff) !== 0) return undefined;
      break;
    }
    out[o++] = n & 255;
  }
  return out;
}
