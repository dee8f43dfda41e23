/**
 * Parsers for the structured MIME header values: Content-Type, Content-Disposition,
 * Content-Transfer-Encoding, Content-Language. They take the unfolded value text and
 * never throw: what does not parse is skipped and reported in `found`.
 *
 * Implementation notes:
 * - RFC 2045 §5.1 grammar with RFC 5322 §3.2.2 CFWS (comments nest, quoted-pairs) allowed
 *   between tokens. Tolerance beyond the grammar, as real mail needs it: an unquoted
 *   parameter value may hold tspecials other than `;` `"` `(` and WSP (unquoted
 *   `boundary=----=_Part_1` is common), and an unterminated quoted string or comment
 *   runs to the end of the value.
 * - RFC 2231 §3-§4: `name*=charset'lang'%XX`, `name*0=`, `name*1*=` … are joined and
 *   decoded; the decoded value replaces a plain parameter of the same name (§4.1 leaves
 *   the choice open; the extended form is the more precise one). The language part
 *   is dropped: `Part.params` has no place for it.
 * - Parameter names are lower-cased (RFC 2045 §5.1: case-insensitive); values keep case.
 *   The result is built with `Object.fromEntries`, so a parameter called `__proto__`
 *   is an ordinary key.
 */

import { type Problem, problems } from "./problem.ts";

/** RFC 2045 §5.1 tspecials, plus SPACE; CTLs and non-ASCII are checked by code. */
const tspecials = new Set([...'()<>@,;:\\"/[]?= ']);

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && !tspecials.has(c);
}

function isWsp(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/** A cursor over one header value, named after the RFC 5322 / RFC 2045 grammar. */
class ValueCursor {
  pos = 0;
  constructor(readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text.charAt(this.pos);
  }

  tryChar(c: string): boolean {
    if (this.text.charAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  /** RFC 5322 §3.2.2 CFWS: whitespace and (possibly nested) comments. */
  skipCFWS(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charAt(this.pos);
      if (isWsp(c)) {
        this.pos++;
      } else if (c === "(") {
        let depth = 0;
        while (this.pos < t.length) {
          const d = t.charAt(this.pos++);
          if (d === "\\") this.pos++;
          else if (d === "(") depth++;
          else if (d === ")" && --depth === 0) break;
        }
      } else {
        return;
      }
    }
  }

  /** RFC 2045 §5.1 token. */
  tryToken(): string | undefined {
    const start = this.pos;
    while (this.pos < this.text.length && isTokenChar(this.text.charAt(this.pos))) this.pos++;
    return this.pos > start ? this.text.slice(start, this.pos) : undefined;
  }

  /** RFC 5322 §3.2.4 quoted-string, quoted-pairs resolved. */
  tryQuotedString(): string | undefined {
    if (!this.tryChar('"')) return undefined;
    let out = "";
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charAt(this.pos++);
      if (c === '"') return out;
      if (c === "\\" && this.pos < t.length) out += t.charAt(this.pos++);
      else out += c;
    }
    return out; // unterminated: tolerated, runs to the end
  }

  /** A parameter value written without quotes; tolerant, see the notes above. */
  tryLooseValue(): string {
    const start = this.pos;
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charAt(this.pos);
      if (c === ";" || c === '"' || c === "(" || isWsp(c)) break;
      this.pos++;
    }
    return t.slice(start, this.pos);
  }

  /** Skips to the next `c` outside quoted strings and comments (or the end). */
  skipTo(c: string): void {
    while (!this.atEnd && this.peek() !== c) {
      if (this.peek() === '"') this.tryQuotedString();
      else if (this.peek() === "(") this.skipCFWS();
      else this.pos++;
    }
  }
}

/** A parsed Content-Type value. */
export interface MediaType {
  type: string;
  subtype: string;
  params: Record<string, string>;
}

/** RFC 2045 §5.1: `type "/" subtype *(";" parameter)`; undefined when type/subtype do not parse. */
export function parseContentType(text: string, found: Set<Problem>): MediaType | undefined {
  const cur = new ValueCursor(text);
  cur.skipCFWS();
  const type = cur.tryToken();
  cur.skipCFWS();
  if (type === undefined || !cur.tryChar("/")) return undefined;
  cur.skipCFWS();
  const subtype = cur.tryToken();
  if (subtype === undefined) return undefined;
  return {
    type: type.toLowerCase(),
    subtype: subtype.toLowerCase(),
    params: parseParams(cur, found),
  };
}

/** RFC 2183 §2: `disposition-type *(";" disposition-parm)`. */
export function parseDisposition(
  text: string,
  found: Set<Problem>,
): { type: string; params: Record<string, string> } | undefined {
  const cur = new ValueCursor(text);
  cur.skipCFWS();
  const type = cur.tryToken();
  if (type === undefined) return undefined;
  return { type: type.toLowerCase(), params: parseParams(cur, found) };
}

/** RFC 2045 §6.1: `mechanism` is a token, case-insensitive; undefined when absent. */
export function parseMechanism(text: string): string | undefined {
  const cur = new ValueCursor(text);
  cur.skipCFWS();
  const token = cur.tryToken();
  cur.skipCFWS();
  return token !== undefined && cur.atEnd ? token.toLowerCase() : undefined;
}

/** RFC 3282 §2: `Content-Language: 1#Language-tag`, comments removed. */
export function parseLanguages(text: string): string[] {
  const cur = new ValueCursor(text);
  const tags: string[] = [];
  while (!cur.atEnd) {
    cur.skipCFWS();
    const start = cur.pos;
    while (!cur.atEnd && !isWsp(cur.peek()) && cur.peek() !== "," && cur.peek() !== "(") cur.pos++;
    if (cur.pos > start) tags.push(cur.text.slice(start, cur.pos));
    cur.skipCFWS();
    cur.skipTo(",");
    cur.tryChar(",");
  }
  return tags;
}

/** RFC 2045 §5.1 `*(";" parameter)` after the type, then RFC 2231 assembly. */
function parseParams(cur: ValueCursor, found: Set<Problem>): Record<string, string> {
  const raw: [string, string][] = [];
  while (true) {
    cur.skipCFWS();
    if (cur.atEnd) break;
    if (!cur.tryChar(";")) {
      found.add(problems.invalidParameter); // junk after a value or after the subtype
      cur.skipTo(";");
      continue;
    }
    cur.skipCFWS();
    if (cur.atEnd || cur.peek() === ";") continue; // empty parameter: tolerated
    const name = cur.tryToken();
    cur.skipCFWS();
    if (name === undefined || !cur.tryChar("=")) {
      found.add(problems.invalidParameter);
      cur.skipTo(";");
      continue;
    }
    cur.skipCFWS();
    const value = cur.tryQuotedString() ?? cur.tryLooseValue();
    raw.push([name.toLowerCase(), value]);
  }
  return assembleRfc2231(raw, found);
}

interface Segment {
  value: string;
  extended: boolean;
}

/** RFC 2231 §3: `name*N` sections; §4: `name*` / `name*N*` are charset'lang'%XX encoded. */
function assembleRfc2231(raw: [string, string][], found: Set<Problem>): Record<string, string> {
  const order = new Map<string, string | undefined>();
  const plain = new Map<string, string>();
  const groups = new Map<string, Map<number, Segment>>();
  for (const [name, value] of raw) {
    const m = /^(.+?)(?:\*(\d{1,6}))?(\*)?$/.exec(name);
    const base = m?.[1] ?? name;
    if (!order.has(base)) order.set(base, undefined);
    const section = m?.[2];
    const extended = m?.[3] !== undefined;
    if (section === undefined && !extended) {
      if (plain.has(name)) found.add(problems.invalidParameter);
      else plain.set(name, value);
      continue;
    }
    let group = groups.get(base);
    if (group === undefined) groups.set(base, group = new Map());
    const n = section === undefined ? 0 : Number(section);
    if (group.has(n)) found.add(problems.invalidParameter);
    else group.set(n, { value, extended });
  }
  for (const [name, value] of plain) order.set(name, value);
  for (const [base, group] of groups) {
    const segments: Segment[] = [];
    for (let n = 0; group.has(n); n++) segments.push(group.get(n)!);
    if (segments.length !== group.size) found.add(problems.invalidParameter); // a gap
    if (segments.length > 0) order.set(base, decodeSegments(segments, found));
  }
  const entries: [string, string][] = [];
  for (const [name, value] of order) if (value !== undefined) entries.push([name, value]);
  return Object.fromEntries(entries);
}

const encoder = new TextEncoder();

function decodeSegments(segments: Segment[], found: Set<Problem>): string {
  let charset = "utf-8";
  const chunks: Uint8Array[] = [];
  segments.forEach((segment, i) => {
    let value = segment.value;
    if (!segment.extended) {
      chunks.push(encoder.encode(value));
      return;
    }
    if (i === 0) {
      // RFC 2231 §4: the first section starts with charset'language'.
      const q1 = value.indexOf("'");
      const q2 = q1 < 0 ? -1 : value.indexOf("'", q1 + 1);
      if (q2 < 0) found.add(problems.invalidParameter);
      else {
        if (q1 > 0) charset = value.slice(0, q1);
        value = value.slice(q2 + 1);
      }
    }
    chunks.push(percentDecode(value));
  });
  let length = 0;
  for (const c of chunks) length += c.length;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const decoder = decoderFor(charset);
  if (decoder === undefined) found.add(problems.unknownCharset);
  return (decoder ?? decoderFor("utf-8")!).decode(bytes);
}

/** RFC 2231 §4 extended-other-values: `%XX` octets; a malformed escape stays as written. */
function percentDecode(value: string): Uint8Array {
  const bytes = encoder.encode(value);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length) {
      const hex = String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out[n++] = parseInt(hex, 16);
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

const decoders = new Map<string, TextDecoder | undefined>();

function decoderFor(charset: string): TextDecoder | undefined {
  const label = charset.trim().toLowerCase();
  if (decoders.has(label)) return decoders.get(label);
  let decoder: TextDecoder | undefined;
  try {
    decoder = new TextDecoder(label, { fatal: false });
  } catch {
    decoder = undefined; // RangeError: a label the Encoding Standard does not know
  }
  if (decoders.size < 64) decoders.set(label, decoder);
  return decoder;
}
