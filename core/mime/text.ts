/**
 * The text of a message for full-text indexing and plain display: its top-level header
 * fields with encoded words decoded, and the decoded text of its inline text parts.
 *
 * Contract: {@linkcode extractText} takes the message and the {@linkcode Part} tree that
 * {@linkcode parseStructure} made of it and never throws; whatever cannot be decoded is
 * decoded leniently (replacement characters, undecodable words left as written), since
 * an index that loses a message for being odd is worse than one with some noise. Each
 * of `headers` and `body` is capped at `maxOctets` octets of UTF-8, cut at a character
 * boundary, and the work done is bounded by a small multiple of that cap per part.
 *
 * Implementation notes:
 * - `headers` is one line per top-level field, `Name: value` joined with "\n": the name
 *   as written, the value unfolded (RFC 5322 §2.2.3), UTF-8 decoded (RFC 6532 §3.2),
 *   encoded words decoded (RFC 2047 §6) and any CR/LF they produced made spaces, so
 *   every line is exactly one field. The search index relies on this shape.
 * - `body` holds text/plain and text/html parts in document order, joined with "\n";
 *   a part with Content-Disposition: attachment (RFC 2183 §2.2) is skipped with
 *   everything inside it. Both alternatives of a multipart/alternative are kept: the
 *   text is for searching, where a duplicate costs nothing and a missed word does.
 * - Transfer encodings (RFC 2045 §6.7, §6.8) and charsets are decoded leniently: a
 *   charset TextDecoder does not know is read as UTF-8; a us-ascii part (the RFC 2045
 *   §5.2 default) with 8-bit bytes is read as UTF-8 when it is valid UTF-8, else as
 *   windows-1252, which is what such mail nearly always is.
 * - HTML is reduced roughly, not parsed: tags dropped (block-level ones become line
 *   breaks), comments, script and style dropped, common entities decoded, whitespace
 *   collapsed. Scanning is linear: every search moves forward.
 *
 * @module
 */

import { headerFields, type Part } from "./structure.ts";

/** Options for {@linkcode extractText}. */
export interface TextOptions {
  /** Cap on each of `headers` and `body`, in UTF-8 octets; default 1 MiB. */
  maxOctets?: number;
}

/** The text of a message, see {@linkcode extractText}. */
export interface MessageText {
  /** Top-level header fields, one `Name: value` line each, joined with "\n". */
  headers: string;
  /** Decoded text of the inline text/plain and text/html parts, joined with "\n". */
  body: string;
}

/** The default of {@linkcode TextOptions.maxOctets}: 1 MiB. */
export const defaultMaxTextOctets = 1024 * 1024;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const windows1252 = new TextDecoder("windows-1252", { fatal: false });

/**
 * The header and body text of a message for indexing and display; never throws.
 * `root` is the message's {@linkcode parseStructure} result.
 *
 * @see https://www.rfc-editor.org/rfc/rfc2045#section-6
 * @see https://www.rfc-editor.org/rfc/rfc2047#section-6
 */
export function extractText(
  message: Uint8Array,
  root: Part,
  options: TextOptions = {},
): MessageText {
  const max = options.maxOctets;
  const cap = typeof max === "number" && max >= 0 ? Math.floor(max) : defaultMaxTextOctets;
  let headers = "";
  let body = "";
  try {
    headers = headerText(message, root, cap);
  } catch {
    // A Part that is not what parseStructure makes (e.g. from damaged JSON): no headers.
  }
  try {
    body = bodyText(message, root, cap);
  } catch {
    // As above: no body text rather than an exception in the delivery path.
  }
  return { headers, body };
}

function headerText(message: Uint8Array, root: Part, cap: number): string {
  const lines: string[] = [];
  let units = 0;
  for (const { name, value } of headerFields(message, root)) {
    // UTF-16 units never exceed UTF-8 octets, so past `cap` units the cap is reached.
    if (units >= cap) break;
    const line = `${name}: ${decodeEncodedWords(value).replace(/[\r\n]/g, " ")}`;
    lines.push(line);
    units += line.length + 1;
  }
  return capOctets(lines.join("\n"), cap);
}

function bodyText(message: Uint8Array, root: Part, cap: number): string {
  const texts: string[] = [];
  let units = 0;
  // Document order with an explicit stack: no recursion on attacker-shaped trees.
  const stack: Part[] = [root];
  while (stack.length > 0 && units < cap) {
    const part = stack.pop()!;
    // RFC 2183 §2.2: an attachment is not part of the main body; skip what it holds.
    if (part.disposition?.type === "attachment") continue;
    const children = Array.isArray(part.parts) ? part.parts : [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    if (part.type !== "text" || (part.subtype !== "plain" && part.subtype !== "html")) continue;
    const html = part.subtype === "html";
    // Output is at most `cap - units` octets; an input character (1-4 bytes) yields at
    // least one octet, a transfer encoding at most triples the size (QP "=XX"), and
    // markup can outweigh HTML text many times. Reading further cannot add output.
    const remaining = cap - units;
    const end = Math.min(part.bodyEnd, part.bodyStart + remaining * (html ? 48 : 12));
    let bytes = message.subarray(part.bodyStart, Math.max(part.bodyStart, end));
    if (part.encoding === "base64") bytes = decodeBase64Lenient(bytes);
    else if (part.encoding === "quoted-printable") bytes = decodeQuotedPrintable(bytes);
    let text = decodeCharset(bytes, part.params?.["charset"]);
    if (html) text = htmlToText(text);
    texts.push(text);
    units += text.length + 1;
  }
  return capOctets(texts.join("\n"), cap);
}

/** `s` cut to at most `cap` UTF-8 octets, at a character boundary. */
function capOctets(s: string, cap: number): string {
  if (s.length * 3 <= cap) return s; // a UTF-16 unit is at most 3 octets
  const { read } = encoder.encodeInto(s, new Uint8Array(cap));
  return s.slice(0, read);
}

// ---- charsets ----

/** TextDecoders by charset label; only labels TextDecoder knows, so the map is bounded. */
const decoders = new Map<string, TextDecoder>();

/** A decoder for a MIME charset label, or undefined when TextDecoder does not know it. */
function decoderFor(label: string): TextDecoder | undefined {
  const key = label.trim().toLowerCase();
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(key, { fatal: false });
    } catch {
      return undefined; // RangeError: not a label of the Encoding Standard
    }
    decoders.set(key, decoder);
  }
  return decoder;
}

function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? "us-ascii").trim().toLowerCase();
  if (label === "us-ascii" || label === "ascii" || label === "") {
    // RFC 2045 §5.2 default; 8-bit bytes mean the sender did not say: guess.
    if (bytes.every((b) => b < 0x80)) return utf8.decode(bytes);
    try {
      return utf8Strict.decode(bytes);
    } catch {
      return windows1252.decode(bytes);
    }
  }
  return (decoderFor(label) ?? utf8).decode(bytes);
}

// ---- transfer encodings ----

/** Base64 alphabet value of each byte (RFC 4648 §4, and §5's URL-safe "-" "_"), else -1. */
const base64Values = (() => {
  const table = new Int8Array(256).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  table[0x2d] = 62; // "-"
  table[0x5f] = 63; // "_"
  return table;
})();

/**
 * Base64 decoded the way mail needs (RFC 2045 §6.8: "any characters outside of the
 * base64 alphabet are to be ignored"): line breaks, spaces and garbage are skipped; "="
 * ends a quantum, so several padded encodings run together decode one after another; a
 * trailing partial quantum yields the whole bytes it holds. Never throws.
 *
 * @see https://www.rfc-editor.org/rfc/rfc2045#section-6.8
 */
export function decodeBase64Lenient(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((bytes.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0; // sextets of the current quantum
  let count = 0; // how many
  const flush = () => {
    // 2 sextets hold 1 byte, 3 hold 2 (RFC 4648 §4 padding cases).
    if (count === 2) out[n++] = acc >> 4;
    else if (count === 3) {
      out[n++] = acc >> 10;
      out[n++] = (acc >> 2) & 0xff;
    }
    acc = 0;
    count = 0;
  };
  for (const b of bytes) {
    const v = base64Values[b]!;
    if (v >= 0) {
      acc = (acc << 6) | v;
      if (++count === 4) {
        out[n++] = acc >> 16;
        out[n++] = (acc >> 8) & 0xff;
        out[n++] = acc & 0xff;
        acc = 0;
        count = 0;
      }
    } else if (b === 0x3d) {
      flush(); // "=": padding ends this quantum
    }
  }
  flush();
  return out.subarray(0, n);
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20; // lower-case letters: RFC 2045 §6.7 (1) wants upper, be lenient
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * Quoted-printable decoded leniently: "=XX" (either case) is the octet, "=" at the end of
 * a line (after optional whitespace) is a soft line break, trailing whitespace on a line
 * is dropped (RFC 2045 §6.7 (3)), and an "=" that starts neither stays as it is. Line
 * ends (CRLF or LF) are kept as written. Never throws.
 *
 * @see https://www.rfc-editor.org/rfc/rfc2045#section-6.7
 */
export function decodeQuotedPrintable(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  let keep = 0; // output length up to the last octet that is not trailing whitespace
  const len = bytes.length;
  for (let i = 0; i < len; i++) {
    const b = bytes[i]!;
    if (b === 0x3d) {
      const hi = hexValue(bytes[i + 1]);
      const lo = hexValue(bytes[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        keep = n; // an encoded space is data, not trailing whitespace
        i += 2;
        continue;
      }
      // Soft line break: "=" [WSP...] (CR)LF, or "=" at the very end.
      let j = i + 1;
      while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
      if (j === len) break;
      if (bytes[j] === 0x0a || (bytes[j] === 0x0d && bytes[j + 1] === 0x0a)) {
        i = bytes[j] === 0x0d ? j + 1 : j;
        keep = n;
        continue;
      }
      out[n++] = b;
      keep = n;
    } else if (b === 0x0a) {
      const crlf = n > keep && out[n - 1] === 0x0d;
      n = keep; // RFC 2045 §6.7 (3): trailing whitespace is removed when decoding
      if (crlf) out[n++] = 0x0d;
      out[n++] = 0x0a;
      keep = n;
    } else {
      out[n++] = b;
      if (b !== 0x20 && b !== 0x09 && b !== 0x0d) keep = n;
    }
  }
  return out.subarray(0, n);
}

// ---- RFC 2047 encoded words ----

// RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="; no
// whitespace or "?" inside. The charset may carry an RFC 2231 §5 "*language".
const encodedWord = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Decodes the RFC 2047 encoded words in an (unfolded) header value: B and Q encodings,
 * any charset TextDecoder knows; a word in an unknown charset stays as written.
 * Whitespace between two decoded words is dropped (§6.2), and adjacent words in the
 * same charset are decoded together, so a character split across words survives.
 * Lenient beyond the RFC: words are decoded wherever they appear (also inside quoted
 * strings and next to other text). Never throws.
 *
 * @see https://www.rfc-editor.org/rfc/rfc2047
 */
export function decodeEncodedWords(s: string): string {
  if (!s.includes("=?")) return s;
  let out = "";
  let pos = 0;
  let run: { decoder: TextDecoder; label: string; chunks: Uint8Array[] } | undefined;
  const flush = () => {
    if (run === undefined) return;
    out += run.decoder.decode(concat(run.chunks));
    run = undefined;
  };
  for (const m of s.matchAll(encodedWord)) {
    const gap = s.slice(pos, m.index);
    pos = m.index + m[0].length;
    const label = m[1]!.split("*")[0]!.toLowerCase();
    const decoder = decoderFor(label);
    if (decoder === undefined) {
      flush();
      out += gap + m[0]; // unknown charset: leave the word as written
      continue;
    }
    const text = encoder.encode(m[3]!);
    const bytes = m[2] === "b" || m[2] === "B" ? decodeBase64Lenient(text) : decodeQ(text);
    // RFC 2047 §6.2: linear whitespace between adjacent encoded words is ignored.
    if (run !== undefined && /^[ \t\r\n]*$/.test(gap)) {
      if (run.label === label) {
        run.chunks.push(bytes);
        continue;
      }
      flush();
    } else {
      flush();
      out += gap;
    }
    run = { decoder, label, chunks: [bytes] };
  }
  flush();
  return out + s.slice(pos);
}

/** RFC 2047 §4.2: "Q" encoding: "_" is space, "=XX" an octet, the rest as is. */
function decodeQ(text: Uint8Array): Uint8Array {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === 0x5f) out[n++] = 0x20;
    else if (b === 0x3d && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
      out[n++] = (hexValue(text[i + 1]) << 4) | hexValue(text[i + 2]);
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let n = 0;
  for (const c of chunks) {
    out.set(c, n);
    n += c.length;
  }
  return out;
}

// ---- HTML ----

/** Elements whose start or end means a line break in rendered text. */
const blockElements = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "dd",
  "div",
  "dl",
  "dt",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "ol",
  "p",
  "pre",
  "section",
  "table",
  "title",
  "tr",
  "ul",
]);

/** Elements whose content is not text: dropped with their content. */
const dropElements = new Set(["script", "style", "template"]);

/** Named character references common in mail; the rest stay as written. */
const entities: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  shy: "",
  zwnj: "",
  zwj: "",
  copy: "©",
  reg: "®",
  trade: "™",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  lsquo: "‘",
  rsquo: "’",
  sbquo: "‚",
  ldquo: "“",
  rdquo: "”",
  bdquo: "„",
  laquo: "«",
  raquo: "»",
  bull: "•",
  middot: "·",
  deg: "°",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  sect: "§",
  para: "¶",
  times: "×",
  divide: "÷",
  auml: "ä",
  ouml: "ö",
  uuml: "ü",
  Auml: "Ä",
  Ouml: "Ö",
  Uuml: "Ü",
  szlig: "ß",
  eacute: "é",
  egrave: "è",
  ecirc: "ê",
  Eacute: "É",
  aacute: "á",
  agrave: "à",
  acirc: "â",
  iacute: "í",
  oacute: "ó",
  uacute: "ú",
  ccedil: "ç",
  ntilde: "ñ",
  aring: "å",
  oslash: "ø",
  aelig: "æ",
};

const entityPattern = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/g;

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(entityPattern, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return entities[name] ?? whole;
    const cp = dec !== undefined ? parseInt(dec, 10) : parseInt(hex ?? "", 16);
    if (cp === 0xa0) return " ";
    const valid = cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    return valid ? String.fromCodePoint(cp) : "\ufffd";
  });
}

/** Text segment: HTML whitespace collapsed (source line breaks mean nothing), entities decoded. */
function htmlSegment(s: string): string {
  return decodeEntities(s.replace(/[ \t\r\n\f]+/g, " "));
}

/** Rough plain text of an HTML document; see the implementation notes. */
function htmlToText(html: string): string {
  const out: string[] = [];
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt < 0) {
      out.push(htmlSegment(html.slice(i)));
      break;
    }
    if (lt > i) out.push(htmlSegment(html.slice(i, lt)));
    const next = html.charCodeAt(lt + 1);
    const letter = (next | 0x20) >= 0x61 && (next | 0x20) <= 0x7a;
    if (!letter && next !== 0x2f && next !== 0x21 && next !== 0x3f) {
      out.push("<"); // "a < b": not a tag
      i = lt + 1;
      continue;
    }
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const gt = html.indexOf(">", lt + 1);
    if (gt < 0) break; // an unterminated tag runs to the end
    i = gt + 1;
    const name = /^\/?([a-zA-Z][a-zA-Z0-9]*)/.exec(html.slice(lt + 1, Math.min(gt, lt + 40)));
    if (name === null) continue; // <!DOCTYPE …>, <?xml …?>
    const tag = name[1]!.toLowerCase();
    if (dropElements.has(tag) && html[lt + 1] !== "/") {
      const close = new RegExp(`</${tag}[\\s>/]`, "gi");
      close.lastIndex = i;
      const found = close.exec(html);
      const end = found === null ? -1 : html.indexOf(">", found.index);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (blockElements.has(tag)) out.push("\n");
    else if (tag === "td" || tag === "th") out.push(" ");
  }
  return out.join("")
    .replace(/ *\n */g, "\n")
    .replace(/\n{2,}/g, "\n")
    .trim();
}
