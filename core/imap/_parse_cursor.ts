/**
 * The parser's cursor over one framed command: the command text with literal markers
 * in place, an ASCII-upper-cased copy at the same offsets for case-insensitive matching,
 * and the literals' data keyed by where their markers start. `tryX()` returns undefined
 * (or false) without moving when X is not next; `expectX()` throws a positioned
 * {@linkcode ParseError}.
 *
 * RFC 9051 §9 names the productions; rule 2 there: SP is exactly one space.
 */

import { ParseError, type ParseErrorCode } from "./command.ts";
import { type FramedCommand, type FramedLiteral, isTagChar } from "./framer.ts";
import type { ImapLimits } from "./limits.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const latin1 = new TextDecoder("latin1");

const maxUint32 = 0xffff_ffff;
const maxNumber64 = 2n ** 63n - 1n;

/** Where a literal's marker ends and its data. */
interface LiteralAt {
  literal: FramedLiteral;
  end: number;
}

/** Uppercases ASCII letters only, so that offsets stay the same. */
function upperAscii(text: string): string {
  return text.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

/** RFC 9051 §9 ATOM-CHAR: CHAR except atom-specials ( ) { SP CTL % * " \ ]. */
export function isAtomChar(c: number): boolean {
  if (c <= 0x20 || c >= 0x7f) return false;
  return c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x25 && c !== 0x2a && c !== 0x22 &&
    c !== 0x5c && c !== 0x5d;
}

/** RFC 9051 §9 ASTRING-CHAR: ATOM-CHAR or "]". */
function isAstringChar(c: number): boolean {
  return c === 0x5d || isAtomChar(c);
}

/** RFC 9051 §9 list-char: ATOM-CHAR, "%", "*" or "]". */
function isListChar(c: number): boolean {
  return c === 0x25 || c === 0x2a || isAstringChar(c);
}

/** A position in one command, with the primitives of RFC 9051 §9. */
export class Cursor {
  readonly text: string;
  readonly upper: string;
  pos = 0;
  /** Set once read, for errors. */
  tag: string | undefined;
  verb: string | undefined;
  #depth = 0;
  readonly #literals = new Map<number, LiteralAt>();

  /** @throws ParseError (BadUtf8) when a part of the text is not UTF-8 */
  constructor(command: FramedCommand, readonly limits: ImapLimits) {
    const texts: string[] = [];
    let at = 0;
    for (const [i, part] of command.parts.entries()) {
      let text: string;
      try {
        text = utf8.decode(part);
      } catch {
        const tag = /^[^ ]*/.exec(latin1.decode(command.parts[0]!.subarray(0, 64)))![0];
        const valid = tag !== "" && [...tag].every((ch) => isTagChar(ch.charCodeAt(0)));
        throw new ParseError("BadUtf8", valid ? tag : undefined, undefined, at, "text not UTF-8");
      }
      texts.push(text);
      const literal = command.literals[i];
      if (literal !== undefined) {
        // The framer ends each part but the last with the literal's marker.
        const marker = /~?\{\d+\+?\}$/.exec(text)!;
        this.#literals.set(at + marker.index, { literal, end: at + text.length });
      }
      at += text.length;
    }
    this.text = texts.join("");
    this.upper = upperAscii(this.text);
  }

  fail(detail: string, code: ParseErrorCode = "Syntax", at = this.pos): ParseError {
    return new ParseError(code, this.tag, this.verb, at, detail);
  }

  /** A LimitExceeded error for `limit`. */
  overLimit(limit: keyof ImapLimits, detail: string): ParseError {
    return new ParseError("LimitExceeded", this.tag, this.verb, this.pos, detail, limit);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** The next character, or "" at the end. */
  peek(): string {
    return this.text[this.pos] ?? "";
  }

  #code(at = this.pos): number {
    return this.text.charCodeAt(at);
  }

  tryChar(ch: string): boolean {
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  expectChar(ch: string): void {
    if (!this.tryChar(ch)) throw this.fail(`expected "${ch}"`);
  }

  trySP(): boolean {
    return this.tryChar(" ");
  }

  expectSP(): void {
    if (!this.tryChar(" ")) throw this.fail("expected a space");
  }

  expectEnd(): void {
    if (!this.atEnd()) throw this.fail("unexpected text at end of command");
  }

  /** Counts one level of nesting: a parenthesised list or a NOT/OR operand. */
  enter(): void {
    if (++this.#depth > this.limits.nestingDepth) {
      throw this.overLimit("nestingDepth", "nested too deeply");
    }
  }

  leave(): void {
    this.#depth--;
  }

  /**
   * Matches `word` case-insensitively when a delimiter (not an ATOM-CHAR) or the end
   * follows it.
   */
  tryWord(word: string): boolean {
    if (!this.upper.startsWith(word, this.pos)) return false;
    const after = this.pos + word.length;
    if (after < this.text.length && isAtomChar(this.#code(after))) return false;
    this.pos = after;
    return true;
  }

  expectWord(word: string): void {
    if (!this.tryWord(word)) throw this.fail(`expected ${word}`);
  }

  #scan(accept: (c: number) => boolean): number {
    let end = this.pos;
    while (end < this.text.length && accept(this.#code(end))) end++;
    return end;
  }

  /** RFC 9051 §9 atom, as sent; undefined when no ATOM-CHAR is next. */
  tryAtom(): string | undefined {
    const end = this.#scan(isAtomChar);
    if (end === this.pos) return undefined;
    const atom = this.text.slice(this.pos, end);
    this.pos = end;
    return atom;
  }

  expectAtom(what = "an atom"): string {
    return this.tryAtom() ?? this.#expected(what);
  }

  /** An atom upper-cased: a keyword of the grammar. */
  expectKeyword(what = "a keyword"): string {
    const start = this.pos;
    const end = this.#scan(isAtomChar);
    if (end === start) this.#expected(what);
    this.pos = end;
    return this.upper.slice(start, end);
  }

  /** Upper-cased run of characters accepted by `accept`, possibly empty. */
  takeUpper(accept: (c: number) => boolean): string {
    const start = this.pos;
    this.pos = this.#scan(accept);
    return this.upper.slice(start, this.pos);
  }

  #expected(what: string): never {
    throw this.fail(`expected ${what}`);
  }

  /** The literal whose marker is next, consumed with its marker. */
  tryLiteral(): FramedLiteral | undefined {
    const ch = this.peek();
    if (ch !== "{" && ch !== "~") return undefined;
    const at = this.#literals.get(this.pos);
    if (at === undefined) {
      // "~" is also an ATOM-CHAR; "{" is not.
      if (ch === "~") return undefined;
      throw this.fail("malformed literal");
    }
    this.pos = at.end;
    return at.literal;
  }

  /** RFC 9051 §9 quoted, unescaped; non-ASCII UTF-8 allowed (utf8-quoted). */
  tryQuoted(): string | undefined {
    if (this.peek() !== '"') return undefined;
    const start = this.pos;
    let out = "";
    let i = this.pos + 1;
    let from = i;
    for (; i < this.text.length; i++) {
      const c = this.#code(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const next = this.#code(i + 1);
        if (next !== 0x22 && next !== 0x5c) {
          throw this.fail("bad escape in quoted string", "Syntax", i);
        }
        out += this.text.slice(from, i);
        i++;
        from = i;
      } else if (c === 0x00 || c === 0x0d || c === 0x0a) {
        throw this.fail("control character in quoted string", "Syntax", i);
      }
    }
    if (i >= this.text.length) throw this.fail("unterminated quoted string", "Syntax", start);
    out += this.text.slice(from, i);
    this.pos = i + 1;
    return out;
  }

  /** RFC 9051 §9 string: quoted or literal (not literal8), as text. */
  tryString(): string | undefined {
    const quoted = this.tryQuoted();
    if (quoted !== undefined) return quoted;
    const start = this.pos;
    const literal = this.tryLiteral();
    if (literal === undefined) return undefined;
    if (literal.binary) throw this.fail("literal8 not allowed here", "Syntax", start);
    // RFC 9051 §9 CHAR8 excludes NUL.
    if (literal.data.includes(0)) throw this.fail("NUL in literal", "Syntax", start);
    try {
      return utf8.decode(literal.data);
    } catch {
      throw this.fail("literal not UTF-8", "BadUtf8", start);
    }
  }

  expectString(what = "a string"): string {
    return this.tryString() ?? this.#expected(what);
  }

  /** RFC 9051 §9 astring: 1*ASTRING-CHAR or string. */
  expectAstring(what = "a string"): string {
    const s = this.tryString();
    if (s !== undefined) return s;
    const end = this.#scan(isAstringChar);
    if (end === this.pos) this.#expected(what);
    const atom = this.text.slice(this.pos, end);
    this.pos = end;
    return atom;
  }

  /** RFC 9051 §9 nstring: null for NIL. */
  expectNstring(what = "a string or NIL"): string | null {
    if (this.tryWord("NIL")) return null;
    return this.expectString(what);
  }

  /** RFC 9051 §9 list-mailbox: 1*list-char or string. */
  expectListMailbox(): string {
    const s = this.tryString();
    if (s !== undefined) return s;
    const end = this.#scan(isListChar);
    if (end === this.pos) this.#expected("a mailbox pattern");
    const pattern = this.text.slice(this.pos, end);
    this.pos = end;
    return pattern;
  }

  /** 1*DIGIT, at most 19 significant digits (beyond any number64). */
  #digits(what: string): string {
    const start = this.pos;
    const end = this.#scan((c) => c >= 0x30 && c <= 0x39);
    if (end === start) this.#expected(what);
    const digits = this.text.slice(start, end).replace(/^0+(?=\d)/, "");
    if (digits.length > 19) throw this.fail(`${what} out of range`, "Syntax", start);
    this.pos = end;
    return digits;
  }

  /** RFC 9051 §9 number: unsigned 32-bit. */
  expectNumber(what = "a number"): number {
    const start = this.pos;
    const n = Number(this.#digits(what));
    if (n > maxUint32) throw this.fail(`${what} out of range`, "Syntax", start);
    return n;
  }

  /** RFC 9051 §9 nz-number: non-zero unsigned 32-bit, no leading zero. */
  expectNzNumber(what = "a non-zero number"): number {
    if (this.peek() === "0") throw this.fail(`expected ${what}`);
    return this.expectNumber(what);
  }

  /**
   * RFC 9051 §9 number64: unsigned 63-bit. Values past 2^53 lose precision, which only
   * matters for sizes no message reaches.
   */
  expectNumber64(what = "a number"): number {
    return Number(this.#bigint(what));
  }

  /**
   * RFC 7162 §7 mod-sequence-value (1 to 2^63 - 1), or mod-sequence-valzer when
   * `zero` (0 too).
   */
  expectModSeq(zero: boolean): bigint {
    const start = this.pos;
    const n = this.#bigint("a mod-sequence");
    if (n === 0n && !zero) throw this.fail("mod-sequence must not be 0", "Syntax", start);
    return n;
  }

  #bigint(what: string): bigint {
    const start = this.pos;
    const n = BigInt(this.#digits(what));
    if (n > maxNumber64) throw this.fail(`${what} out of range`, "Syntax", start);
    return n;
  }

  /**
   * "(" item *(SP item) ")", counted as one level of nesting; `empty` allows "()".
   */
  expectList<T>(item: () => T, empty: boolean): T[] {
    this.expectChar("(");
    this.enter();
    const items: T[] = [];
    if (!(empty && this.peek() === ")")) {
      do items.push(item()); while (this.trySP());
    }
    this.expectChar(")");
    this.leave();
    return items;
  }
}
