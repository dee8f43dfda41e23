/**
 * The cursor the SMTP command parser reads a line with (STYLE.md §9), and the one error
 * type the parser throws. The cursor keeps the line as sent and a copy with only ASCII
 * a-z upper-cased, so offsets match in both and keywords compare case-insensitively
 * (String.prototype.toUpperCase would turn "ß" into "SS" and shift every offset).
 */

import type { Leniency, SyntaxErrorCode, Verb } from "./command.ts";

/** A command line that is not a valid command. The session maps `code` to a reply. */
export class SmtpSyntaxError extends Error {
  /**
   * @param code what kind of failure; codes.ts `syntaxErrorReplies` gives the reply
   * @param verb the verb, when the line got as far as a known one
   * @param offset where in the line (UTF-16 units) the problem was found
   */
  constructor(
    readonly code: SyntaxErrorCode,
    detail: string,
    readonly verb: Verb | undefined,
    readonly offset: number,
  ) {
    super(`Cannot parse command: ${detail}`);
    this.name = "SmtpSyntaxError";
  }
}

function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/** A position in one command line, with the leniencies used so far. */
export class Cursor {
  readonly upper: string;
  pos = 0;
  verb: Verb | undefined;
  readonly sloppy: Leniency[] = [];

  constructor(readonly orig: string) {
    this.upper = asciiUpper(orig);
  }

  get atEnd(): boolean {
    return this.pos >= this.orig.length;
  }

  /** The UTF-16 code unit at the cursor, or -1 at the end. */
  peekCode(): number {
    return this.pos < this.orig.length ? this.orig.charCodeAt(this.pos) : -1;
  }

  /** Records that `leniency` was used (once per command). */
  lenient(leniency: Leniency): void {
    if (!this.sloppy.includes(leniency)) this.sloppy.push(leniency);
  }

  error(code: SyntaxErrorCode, detail: string, at = this.pos): SmtpSyntaxError {
    return new SmtpSyntaxError(code, detail, this.verb, at);
  }

  /** Consumes `keyword` (upper case) if the line continues with it in any case. */
  tryKeyword(keyword: string): boolean {
    if (!this.upper.startsWith(keyword, this.pos)) return false;
    this.pos += keyword.length;
    return true;
  }

  /** @throws SmtpSyntaxError ("Syntax") unless the line continues with `keyword` */
  expectKeyword(keyword: string): void {
    if (!this.tryKeyword(keyword)) throw this.error("Syntax", `expected ${keyword}`);
  }

  /** Consumes `char` if it comes next, exactly. */
  tryChar(char: string): boolean {
    if (this.orig[this.pos] !== char) return false;
    this.pos++;
    return true;
  }

  /** @throws SmtpSyntaxError ("Syntax") unless `char` comes next */
  expectChar(char: string, what: string): void {
    if (!this.tryChar(char)) throw this.error("Syntax", `expected ${what}`);
  }

  /**
   * Consumes the SPs at the cursor. Returns true when there were some and something
   * follows them; more than one is the leniency "extra-spaces", spaces up to the end
   * of the line are "trailing-space" and return false.
   */
  trySp(): boolean {
    const start = this.pos;
    while (this.orig.charCodeAt(this.pos) === 0x20) this.pos++;
    if (this.pos === start) return false;
    if (this.atEnd) {
      this.lenient("trailing-space");
      return false;
    }
    if (this.pos - start > 1) this.lenient("extra-spaces");
    return true;
  }

  /**
   * Consumes the SP before a required argument.
   * @throws SmtpSyntaxError "BadArguments" at the end of the line, "Syntax" otherwise
   */
  expectSp(what: string): void {
    if (this.trySp()) return;
    if (this.atEnd) throw this.error("BadArguments", `missing ${what}`);
    throw this.error("Syntax", `expected space before ${what}`);
  }

  /**
   * Accepts the end of the line, after trailing spaces ("trailing-space").
   * @throws SmtpSyntaxError (`code`) when anything else follows
   */
  expectEnd(code: SyntaxErrorCode = "Syntax"): void {
    if (this.trySp() || !this.atEnd) throw this.error(code, "unexpected text at end of command");
  }

  /** Consumes code units while `accept` holds and returns them (maybe ""). */
  takeWhile(accept: (code: number) => boolean): string {
    const start = this.pos;
    while (this.pos < this.orig.length && accept(this.orig.charCodeAt(this.pos))) this.pos++;
    return this.orig.slice(start, this.pos);
  }

  /** Consumes and returns the rest of the line. */
  rest(): string {
    const text = this.orig.slice(this.pos);
    this.pos = this.orig.length;
    return text;
  }
}

const encoder = new TextEncoder();

/** Octets of `s` in UTF-8. */
export function utf8Length(s: string): number {
  // Cheap path: ASCII is one octet per unit.
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
}

/** Reports whether `s` has a character outside US-ASCII. */
export function hasNonAscii(s: string): boolean {
  // deno-lint-ignore no-control-regex
  return /[^\x00-\x7f]/.test(s);
}
