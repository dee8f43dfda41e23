/**
 * Header fields as FETCH rendering needs them: raw octets, not decoded text. ENVELOPE and
 * BODYSTRUCTURE return header values as written (RFC 9051 §7.5.2), so values here are
 * octet strings (see _render_quote.ts) cut from the stored bytes.
 *
 * Implementation notes:
 * - The header block's extent comes from core/mime (`Part.headerStart/headerEnd`), so
 *   inside it every line is a field start or a folded continuation (RFC 5322 §2.2.3).
 * - `value` is the field body as Dovecot's header parser gives it ("full value"):
 *   whitespace after the colon skipped (all of it, or one octet when the first line is
 *   only whitespace), continuation lines kept with their line breaks, trailing
 *   whitespace kept, NUL made U+FFFD. Consumers unfold as their IMAP form requires.
 * - Content-Type/-Disposition parameters keep their names' case and raw RFC 2231 form:
 *   continuations are joined and an extended value stays `charset'lang'%XX` under the
 *   name with a trailing `*` (Dovecot rfc2231-parser.c), so a client sees what the
 *   sender wrote and decodes it itself. Unquoted values are read as tolerantly as
 *   core/mime/_params.ts reads them, so BODYSTRUCTURE shows the boundary we split at.
 */

/** One header field: name as written, value as an octet string, `[start, end)` its lines. */
export interface RawField {
  name: string;
  value: string;
  start: number;
  end: number;
}

const LF = 0x0a;
const CR = 0x0d;

function isWsp(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

function octetString(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return out;
}

/**
 * The fields of the header block `[start, end)` of `bytes`, in order. A line that is
 * neither a field nor a continuation (which core/mime never puts inside a header block)
 * is skipped.
 */
export function rawFields(bytes: Uint8Array, start: number, end: number): RawField[] {
  const fields: RawField[] = [];
  let current: { name: string; valueStart: number; start: number; end: number } | undefined;
  const finish = () => {
    if (current === undefined) return;
    // The value ends before the line break of the field's last line.
    let ve = current.end;
    if (ve > current.valueStart && bytes[ve - 1] === LF) ve--;
    if (ve > current.valueStart && bytes[ve - 1] === CR) ve--;
    fields.push({
      name: current.name,
      value: fullValue(bytes, current.valueStart, Math.max(ve, current.valueStart)),
      start: current.start,
      end: current.end,
    });
    current = undefined;
  };
  const block = bytes.subarray(0, end); // no search runs past the header block
  let ls = start;
  while (ls < end) {
    let lf = block.indexOf(LF, ls);
    if (lf === -1) lf = end - 1;
    const next = lf + 1;
    if (isWsp(bytes[ls])) {
      if (current !== undefined) current.end = next;
    } else {
      finish();
      const colon = block.subarray(0, next).indexOf(0x3a, ls);
      if (colon !== -1) {
        let nameEnd = colon;
        while (nameEnd > ls && isWsp(bytes[nameEnd - 1])) nameEnd--;
        current = {
          name: octetString(bytes, ls, nameEnd),
          valueStart: colon + 1,
          start: ls,
          end: next,
        };
      }
    }
    ls = next;
  }
  finish();
  return fields;
}

/** Dovecot's full value of a field body `[vs, ve)`; see the notes above. */
function fullValue(bytes: Uint8Array, vs: number, ve: number): string {
  let firstEnd = bytes.indexOf(LF, vs);
  if (firstEnd === -1 || firstEnd > ve) firstEnd = ve;
  else if (firstEnd > vs && bytes[firstEnd - 1] === CR) firstEnd--;
  let pos = vs;
  while (pos < firstEnd && isWsp(bytes[pos])) pos++;
  if (pos === firstEnd && firstEnd > vs) pos = vs + 1; // only whitespace: skip one octet
  return octetString(bytes, pos, ve).replaceAll("\0", "\xef\xbf\xbd");
}

/** The first field called `name` (ASCII case-insensitive), or undefined. */
export function firstField(fields: RawField[], name: string): RawField | undefined {
  const wanted = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === wanted);
}

/** A parameter as written: name keeps its case, value is unquoted. */
export interface RawParam {
  name: string;
  value: string;
}

/** A Content-Type or Content-Disposition value split into its tokens and parameters. */
export interface RawMedia {
  /** The type (or disposition type) token as written; "" when there is none. */
  type: string;
  /** The subtype as written; undefined when the value has no `/subtype` (or for dispositions). */
  subtype?: string;
  params: RawParam[];
}

/** RFC 2045 §5.1 tspecials plus SP and CTLs end a token; RFC 5322 atext 8-bit is allowed. */
function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code !== 0x7f && !'()<>@,;:\\"/[]?='.includes(c);
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
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  /** RFC 5322 §3.2.2 CFWS, with CR/LF of folding; an unterminated comment runs to the end. */
  skipCFWS(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charAt(this.pos);
      if (c === " " || c === "\t" || c === "\r" || c === "\n") this.pos++;
      else if (c === "(") {
        let depth = 0;
        while (this.pos < t.length) {
          const d = t.charAt(this.pos++);
          if (d === "\\") this.pos++;
          else if (d === "(") depth++;
          else if (d === ")" && --depth === 0) break;
        }
      } else return;
    }
  }

  /** RFC 2045 §5.1 token; "" when none. */
  token(): string {
    const start = this.pos;
    while (!this.atEnd && isTokenChar(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** RFC 5322 §3.2.4 quoted-string with quoted-pairs resolved and folding removed. */
  quotedString(): string {
    this.pos++; // the opening DQUOTE
    let out = "";
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charAt(this.pos++);
      if (c === '"') return out;
      if (c === "\\" && this.pos < t.length) out += t.charAt(this.pos++);
      else if (c !== "\r" && c !== "\n") out += c;
    }
    return out; // unterminated: runs to the end, as core/mime reads it
  }

  /** An unquoted parameter value, read as tolerantly as core/mime/_params.ts does. */
  looseValue(): string {
    const start = this.pos;
    while (!this.atEnd && !';"( \t\r\n'.includes(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  skipTo(c: string): void {
    while (!this.atEnd && this.peek() !== c) {
      if (this.peek() === '"') this.quotedString();
      else if (this.peek() === "(") this.skipCFWS();
      else this.pos++;
    }
  }
}

/**
 * Splits a Content-Type (`withSubtype`) or Content-Disposition value (RFC 2045 §5.1,
 * RFC 2183 §2) into raw tokens and parameters; never throws.
 */
export function parseRawMedia(value: string, withSubtype: boolean): RawMedia {
  const cur = new ValueCursor(value);
  cur.skipCFWS();
  const type = cur.token();
  const media: RawMedia = { type, params: [] };
  if (withSubtype) {
    cur.skipCFWS();
    if (!cur.tryChar("/")) return media;
    cur.skipCFWS();
    const subtype = cur.token();
    if (subtype === "") return media;
    media.subtype = subtype;
  }
  const raw: RawParam[] = [];
  while (true) {
    cur.skipCFWS();
    if (cur.atEnd) break;
    if (!cur.tryChar(";")) {
      cur.skipTo(";");
      continue;
    }
    cur.skipCFWS();
    if (cur.atEnd || cur.peek() === ";") continue;
    const name = cur.token();
    cur.skipCFWS();
    if (name === "" || !cur.tryChar("=")) {
      cur.skipTo(";");
      continue;
    }
    cur.skipCFWS();
    const v = cur.peek() === '"' ? cur.quotedString() : cur.looseValue();
    raw.push({ name, value: v });
  }
  media.params = mergeRfc2231(raw);
  return media;
}

interface Section2231 {
  key: string;
  value: string;
  index: number;
  extended: boolean;
}

/**
 * RFC 2231 §3-§4: `name*N[*]` sections joined into one parameter, kept encoded. Plain
 * parameters keep their order; joined ones follow, sorted by name (Dovecot's order).
 * A group with a missing section number is passed through section by section.
 */
function mergeRfc2231(raw: RawParam[]): RawParam[] {
  const plain: RawParam[] = [];
  const sections: Section2231[] = [];
  for (const p of raw) {
    const m = /^([^*]*)\*(\d*)(\*?)$/.exec(p.name);
    if (m === null) {
      plain.push(p);
      continue;
    }
    const digits = m[2]!;
    // `name*` is one extended section; `name*N` a plain section, `name*N*` an extended one.
    const extended = digits === "" || m[3] === "*";
    sections.push({
      key: m[1]!,
      value: p.value,
      index: digits === "" ? 0 : Number(digits),
      extended,
    });
  }
  if (sections.length === 0) return plain;
  sections.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index);
  const out = [...plain];
  for (let i = 0; i < sections.length;) {
    const first = sections[i]!;
    let j = i;
    let ok = true;
    let anyExtended = false;
    while (j < sections.length && sections[j]!.key.toLowerCase() === first.key.toLowerCase()) {
      if (sections[j]!.index !== j - i) ok = false;
      if (sections[j]!.extended) anyExtended = true;
      j++;
    }
    const group = sections.slice(i, j);
    if (!ok) {
      for (const s of group) {
        out.push({ name: `${s.key}*${s.index}${s.extended ? "*" : ""}`, value: s.value });
      }
    } else {
      let value = !first.extended && anyExtended ? "''" : "";
      for (const s of group) {
        value += !s.extended && anyExtended ? s.value.replaceAll("%", "%25") : s.value;
      }
      out.push({ name: anyExtended ? `${first.key}*` : first.key, value });
    }
    i = j;
  }
  return out;
}

/**
 * RFC 3282 §2 `Content-Language: 1#Language-tag` as written, comments dropped; an
 * empty list when nothing is there.
 */
export function parseRawLanguages(value: string): string[] {
  const cur = new ValueCursor(value);
  const tags: string[] = [];
  while (!cur.atEnd) {
    cur.skipCFWS();
    const start = cur.pos;
    while (!cur.atEnd && !" \t\r\n,(".includes(cur.peek())) cur.pos++;
    if (cur.pos > start) tags.push(cur.text.slice(start, cur.pos));
    cur.skipCFWS();
    cur.skipTo(",");
    cur.tryChar(",");
  }
  return tags;
}
