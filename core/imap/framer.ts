/**
 * The IMAP command framer: bytes in as they arrive, complete commands out, with every
 * literal's data kept out of band. Limits from limits.ts are enforced here, as octets
 * arrive, so nothing past a limit is ever buffered.
 *
 * Implementation notes:
 * - {@linkcode ImapFramer.push} stops after each `command` or `line` event and keeps the
 *   rest of the input buffered: the session handles the event (perhaps calling
 *   {@linkcode ImapFramer.expectLine} for AUTHENTICATE or IDLE, or
 *   {@linkcode ImapFramer.reset} after STARTTLS or COMPRESS) and then calls `push()`
 *   again, with no chunk, until it returns no events. This makes the events independent
 *   of how the input was split into chunks.
 * - RFC 9051 §4.3, RFC 7888 §3: a line ending in `{n}`, `{n+}` or `~{n}` (RFC 3516
 *   literal8) announces n octets of literal data, after which the same command goes on.
 *   A synchronising `{n}` gets a `continue` event (the session sends `+ …`) before the
 *   client sends the data; RFC 9051 §7.5 lets a server refuse instead, which the framer
 *   does when the literal is over a limit, and then it does not expect the data.
 * - RFC 7888 §4: a non-synchronising literal over a limit is reported at once (the RFC
 *   allows the tagged reply before the data is read), then its data and the rest of its
 *   command are read and dropped, so the stream stays in sync.
 * - Pushed chunks are kept by reference (literal data and command parts are views into
 *   them), so callers must not reuse a chunk's buffer after pushing it. A literal
 *   arriving in several chunks is joined once, when complete.
 */

import { type ImapLimits, imapLimits } from "./limits.ts";

/** What a framer reports; see {@linkcode ImapFramer.push}. */
export type FramerEvent =
  /** A complete command, ready for parseCommand(). */
  | { kind: "command"; command: FramedCommand }
  /**
   * The client announced a synchronising literal within limits and waits: the session
   * must send `+ ${text}` before the client sends the literal (RFC 9051 §7.5).
   */
  | { kind: "continue"; text: string }
  /** A raw line requested with {@linkcode ImapFramer.expectLine}, ending removed. */
  | { kind: "line"; line: Uint8Array; bareLf: boolean }
  /** A limit or syntax failure; see {@linkcode FramerError}. */
  | { kind: "error"; error: FramerError };

/**
 * One command with its literals out of band. `parts[i]` ends with the marker (`{n}`,
 * `{n+}` or `~{n}`) of `literals[i]`, and `parts[i + 1]` is the text that followed the
 * literal's data, so there is always one more part than literals. Line endings are
 * removed; parts are views into pushed chunks.
 */
export interface FramedCommand {
  parts: Uint8Array[];
  literals: FramedLiteral[];
  /** True when a line of the command ended in a bare LF rather than CRLF. */
  bareLf: boolean;
}

/** A literal's data and the form it was sent in. */
export interface FramedLiteral {
  data: Uint8Array;
  /** `~{n}`: a literal8 (RFC 3516 §4.4), which may contain NUL. */
  binary: boolean;
  /** `{n}`: the client waited for a continuation; false for `{n+}` (RFC 7888). */
  sync: boolean;
}

/** Stable codes of framing failures. */
export type FramerErrorCode =
  /** A command's text (or a line-mode line) passed its limit. */
  | "LineTooLong"
  /** A literal is larger than allowed for where it appears. */
  | "LiteralTooLarge"
  /** A literal would take the command past its total size limit. */
  | "CommandTooLarge"
  /** A command announced more literals than allowed. */
  | "TooManyLiterals"
  /** A literal's octet count is not a number64 (RFC 9051 §9). */
  | "BadLiteral";

/**
 * A framing failure. The session replies (RFC 4469 §4 TOOBIG, RFC 7889 §4): for a
 * literal of APPEND's message data `tag NO [TOOBIG]` when `sync`, `tag BAD [TOOBIG]`
 * otherwise (RFC 7888 §5); for other commands `tag BAD`; when `fatal`, `* BYE` and
 * close, since the stream cannot be resynchronised.
 */
export class FramerError extends Error {
  /** The framer reads nothing more; the session must close. */
  readonly fatal: boolean;
  /** The literal was synchronising: the client did not send it. */
  readonly sync: boolean;
  /** The literal was message data of APPEND (RFC 7889 applies). */
  readonly append: boolean;

  constructor(
    readonly code: FramerErrorCode,
    /** The command's tag when its first line started with a valid one. */
    readonly tag: string | undefined,
    /** The limit passed, in octets or literals. */
    readonly limit: number,
    /** The size seen; limit + 1 for LineTooLong, which is reported as soon as passed. */
    readonly actual: number,
    options: { fatal: boolean; sync: boolean; append: boolean },
  ) {
    super(`Cannot read command: ${describe[code]}`);
    this.name = "FramerError";
    this.fatal = options.fatal;
    this.sync = options.sync;
    this.append = options.append;
  }
}

const describe: Record<FramerErrorCode, string> = {
  LineTooLong: "line too long",
  LiteralTooLarge: "literal too large",
  CommandTooLarge: "command too large",
  TooManyLiterals: "too many literals",
  BadLiteral: "literal size is not a number",
};

/** How an {@linkcode ImapFramer} is configured. */
export interface ImapFramerOptions {
  /** Largest APPEND message accepted: the APPENDLIMIT we advertise (RFC 7889). */
  appendLimit: number;
  /** Overrides of {@linkcode imapLimits}, for tests. */
  limits?: Partial<ImapLimits>;
}

/** Text of the continuation request for a synchronising literal (RFC 9051 §7.5). */
export const literalContinueText = "Ready for literal data";

type Mode = "command" | "literal" | "closed";

interface Marker {
  /** Offset of `{` or `~` in the line. */
  start: number;
  /** Octet count, or undefined when it is not a number64. */
  size: number | undefined;
  sync: boolean;
  binary: boolean;
}

const empty = new Uint8Array(0);
// RFC 9051 §9 number64: at most 2^63 - 1, 19 digits.
const maxNumber64 = 2n ** 63n - 1n;

/** Frames IMAP commands from a byte stream; see the module notes. */
export class ImapFramer {
  readonly #limits: ImapLimits;
  readonly #appendLimit: number;
  #mode: Mode = "command";
  // Unconsumed input: #input[0] from #offset on, then the rest.
  #input: Uint8Array[] = [];
  #offset = 0;
  // The line being read.
  #line: Uint8Array[] = [];
  #lineOctets = 0;
  // The command being read.
  #parts: Uint8Array[] = [];
  #literals: FramedLiteral[] = [];
  #textOctets = 0;
  #literalOctets = 0;
  #bareLf = false;
  #tag: string | undefined;
  #append = false;
  /** After a non-fatal error within a command: read the rest of it, keep nothing. */
  #discarding = false;
  // The literal being read.
  #literalLeft = 0;
  #literalChunks: Uint8Array[] = [];
  #literal: Omit<FramedLiteral, "data"> = { binary: false, sync: false };
  // Line mode (expectLine()).
  #lineMode = false;
  #skipLine = false;

  constructor(options: ImapFramerOptions) {
    this.#limits = { ...imapLimits, ...options.limits };
    this.#appendLimit = options.appendLimit;
  }

  /** Octets pushed but not yet consumed. */
  get buffered(): number {
    let n = 0;
    for (const chunk of this.#input) n += chunk.length;
    return n - this.#offset;
  }

  /**
   * Adds `chunk` (if any) to the input and frames as much as possible, stopping after
   * the first `command` or `line` event. Call again without a chunk until it returns
   * no events.
   */
  push(chunk?: Uint8Array): FramerEvent[] {
    if (this.#mode === "closed") return [];
    if (chunk !== undefined && chunk.length > 0) this.#input.push(chunk);
    const events: FramerEvent[] = [];
    while (this.#input.length > 0 && !this.#closed()) {
      const stop = this.#mode === "literal" ? this.#readLiteral() : this.#readLine(events);
      if (stop) break;
    }
    return events;
  }

  /**
   * Reads the next line raw, without literal parsing, as a `line` event: a SASL
   * response (RFC 9051 §6.2.2) or IDLE's DONE (RFC 9051 §6.3.13). Call it between
   * commands, after handling the command event that asks for it.
   * @throws Error when a command is partly read (a bug in the caller)
   */
  expectLine(): void {
    if (this.#closed()) return;
    if (
      this.#mode === "literal" || this.#parts.length > 0 || this.#discarding ||
      this.#lineOctets > 0
    ) {
      throw new Error("Cannot expect a line: a command is partly read");
    }
    this.#lineMode = true;
  }

  /**
   * Drops all state and returns the input not yet consumed: after STARTTLS it must be
   * discarded (RFC 9051 §6.2.1); after COMPRESS it is compressed data (RFC 4978 §3).
   */
  reset(): Uint8Array {
    const rest = this.#input.map((c, i) => i === 0 ? c.subarray(this.#offset) : c);
    this.#input = [];
    this.#offset = 0;
    this.#line = [];
    this.#lineOctets = 0;
    this.#endCommand();
    this.#lineMode = false;
    this.#skipLine = false;
    if (this.#mode !== "closed") this.#mode = "command";
    return concat(rest, rest.reduce((n, c) => n + c.length, 0));
  }

  // A method, so that the compiler does not narrow #mode across calls that change it.
  #closed(): boolean {
    return this.#mode === "closed";
  }

  /** Consumes input up to the end of a line. Returns true to stop push(). */
  #readLine(events: FramerEvent[]): boolean {
    const chunk = this.#input[0]!;
    const lf = chunk.indexOf(0x0a, this.#offset);
    const end = lf < 0 ? chunk.length : lf + 1;
    const piece = chunk.subarray(this.#offset, end);
    this.#consume(end);
    if (this.#skipLine) {
      if (lf >= 0) this.#skipLine = false;
      return false;
    }
    const octets = this.#lineOctets + piece.length;
    const limit = this.#lineMode ? this.#limits.lineModeOctets : this.#limits.commandLineOctets;
    const used = this.#lineMode ? octets : this.#textOctets + octets;
    if (used > limit) return this.#lineTooLong(events, piece, limit, lf >= 0);
    this.#line.push(piece);
    this.#lineOctets = octets;
    if (lf < 0) return false;

    const whole = concat(this.#line, octets);
    this.#line = [];
    this.#lineOctets = 0;
    const crlf = whole.length >= 2 && whole[whole.length - 2] === 0x0d;
    const line = whole.subarray(0, whole.length - (crlf ? 2 : 1));
    if (this.#lineMode) {
      this.#lineMode = false;
      events.push({ kind: "line", line, bareLf: !crlf });
      return true;
    }
    const first = this.#parts.length === 0 && !this.#discarding;
    if (first) {
      this.#tag = tagOf(line);
      this.#append = verbOf(line) === "APPEND";
    }
    this.#textOctets += whole.length;
    this.#bareLf ||= !crlf;
    return this.#endOfLine(events, line, first);
  }

  #lineTooLong(
    events: FramerEvent[],
    piece: Uint8Array,
    limit: number,
    sawLf: boolean,
  ): boolean {
    // Reported as soon as the limit is passed, whatever the chunking.
    const actual = limit + 1;
    if (this.#lineMode) {
      // A raw line has no literals: skip to its end and carry on.
      this.#lineMode = false;
      this.#line = [];
      this.#lineOctets = 0;
      this.#skipLine = !sawLf;
      this.#error(events, "LineTooLong", undefined, limit, actual, false, false);
      return false;
    }
    // The rest of the line may announce a literal we cannot see: stop reading.
    const tag = this.#parts.length > 0 || this.#discarding
      ? this.#tag
      : tagOf(concat([...this.#line, piece], this.#lineOctets + piece.length));
    this.#mode = "closed";
    this.#error(events, "LineTooLong", tag, limit, actual, true, false);
    return true;
  }

  /** A line of the current command is complete. Returns true to stop push(). */
  #endOfLine(events: FramerEvent[], line: Uint8Array, first: boolean): boolean {
    const marker = findMarker(line);
    if (marker === undefined) {
      if (this.#discarding) {
        this.#endCommand();
        return false;
      }
      this.#parts.push(line);
      const command = { parts: this.#parts, literals: this.#literals, bareLf: this.#bareLf };
      this.#endCommand();
      events.push({ kind: "command", command });
      return true;
    }
    const { size, sync } = marker;
    if (this.#discarding) {
      // A synchronising literal waits for a continuation we will not send: the client
      // has the tagged error and gives up the command. A non-synchronising one comes.
      if (sync) this.#endCommand();
      else if (size !== undefined) this.#startLiteral(size, marker, false);
      else {
        this.#error(events, "BadLiteral", this.#tag, Number(maxNumber64), Infinity, true, false);
        this.#mode = "closed";
        return true;
      }
      return false;
    }
    // RFC 3502: APPEND's message data may be up to APPENDLIMIT; its mailbox name is a
    // plain literal, recognised as the first literal directly after "tag APPEND ".
    const append = this.#append && !(first && marker.start === appendMailboxAt(line));
    const literalLimit = append ? this.#appendLimit : this.#limits.literalOctets;
    const totalLimit = this.#append
      ? Math.max(this.#appendLimit, this.#limits.appendCommandOctets)
      : this.#limits.commandOctets;
    const total = this.#textOctets + this.#literalOctets + (size ?? 0);
    let failure: [FramerErrorCode, number, number] | undefined;
    if (size === undefined) failure = ["BadLiteral", Number(maxNumber64), Infinity];
    else if (this.#literals.length >= this.#limits.literals) {
      failure = ["TooManyLiterals", this.#limits.literals, this.#literals.length + 1];
    } else if (size > literalLimit) failure = ["LiteralTooLarge", literalLimit, size];
    else if (total > totalLimit) failure = ["CommandTooLarge", totalLimit, total];
    if (failure === undefined) {
      this.#parts.push(line);
      this.#startLiteral(size!, marker, true);
      if (sync) events.push({ kind: "continue", text: literalContinueText });
      return false;
    }
    const [code, limit, actual] = failure;
    // A non-synchronising literal of unknown size cannot be skipped.
    const fatal = !sync && size === undefined;
    this.#error(events, code, this.#tag, limit, actual, fatal, sync, append);
    if (fatal) {
      this.#mode = "closed";
      return true;
    }
    if (sync) this.#endCommand();
    else {
      this.#discarding = true;
      this.#parts = [];
      this.#literals = [];
      this.#startLiteral(size!, marker, false);
    }
    return false;
  }

  #startLiteral(size: number, marker: Marker, keep: boolean): void {
    this.#literalLeft = size;
    this.#literalChunks = [];
    this.#literal = { binary: marker.binary, sync: marker.sync };
    if (keep) this.#literalOctets += size;
    this.#mode = "literal";
    if (size === 0) this.#endLiteral();
  }

  /** Consumes literal data. Returns true to stop push() (never). */
  #readLiteral(): boolean {
    const chunk = this.#input[0]!;
    const take = Math.min(this.#literalLeft, chunk.length - this.#offset);
    if (!this.#discarding) {
      this.#literalChunks.push(chunk.subarray(this.#offset, this.#offset + take));
    }
    this.#consume(this.#offset + take);
    this.#literalLeft -= take;
    if (this.#literalLeft === 0) this.#endLiteral();
    return false;
  }

  #endLiteral(): void {
    this.#mode = "command";
    if (this.#discarding) return;
    const size = this.#literalChunks.reduce((n, c) => n + c.length, 0);
    this.#literals.push({ data: concat(this.#literalChunks, size), ...this.#literal });
    this.#literalChunks = [];
  }

  #endCommand(): void {
    this.#parts = [];
    this.#literals = [];
    this.#textOctets = 0;
    this.#literalOctets = 0;
    this.#bareLf = false;
    this.#tag = undefined;
    this.#append = false;
    this.#discarding = false;
    this.#literalLeft = 0;
    this.#literalChunks = [];
  }

  #error(
    events: FramerEvent[],
    code: FramerErrorCode,
    tag: string | undefined,
    limit: number,
    actual: number,
    fatal: boolean,
    sync: boolean,
    append = false,
  ): void {
    const error = new FramerError(code, tag, limit, actual, { fatal, sync, append });
    events.push({ kind: "error", error });
  }

  /** Marks input consumed up to `end` of the first chunk. */
  #consume(end: number): void {
    const chunk = this.#input[0]!;
    if (end >= chunk.length) {
      this.#input.shift();
      this.#offset = 0;
    } else this.#offset = end;
  }
}

/** Joins chunks whose lengths add up to `size`, without copying a single chunk. */
function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 0) return empty;
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The literal marker ending `line`, if any (RFC 9051 §9 literal, RFC 7888 §8,
 * RFC 3516 §4.4 literal8). Scans back from the end only over the marker itself.
 */
function findMarker(line: Uint8Array): Marker | undefined {
  let i = line.length - 1;
  if (i < 2 || line[i] !== 0x7d) return undefined; // "}"
  i--;
  const sync = line[i] !== 0x2b; // "+"
  if (!sync) i--;
  const digitsEnd = i + 1;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) i--;
  const digits = digitsEnd - (i + 1);
  if (digits === 0 || i < 0 || line[i] !== 0x7b) return undefined; // "{"
  const binary = i > 0 && line[i - 1] === 0x7e; // "~"
  const start = binary ? i - 1 : i;
  let first = i + 1;
  while (first < digitsEnd - 1 && line[first] === 0x30) first++; // leading zeros
  let size: number | undefined;
  if (digitsEnd - first <= 19) {
    let text = "";
    for (let j = first; j < digitsEnd; j++) text += String.fromCharCode(line[j]!);
    if (BigInt(text) <= maxNumber64) size = Number(text);
  }
  return { start, size, sync, binary };
}

/**
 * The tag at the start of a command line, or undefined when there is none: RFC 9051 §9
 * tag = 1*<any ASTRING-CHAR except "+">. DEVIATION(RFC 9051 §9): "]" is refused too,
 * as the session does.
 */
export function tagOf(line: Uint8Array): string | undefined {
  let tag = "";
  for (let i = 0; i < line.length && line[i] !== 0x20; i++) {
    const c = line[i]!;
    if (!isTagChar(c) || tag.length >= 64) return undefined;
    tag += String.fromCharCode(c);
  }
  return tag === "" ? undefined : tag;
}

/** ASTRING-CHAR except "+" and "]" (see {@linkcode tagOf}). */
export function isTagChar(c: number): boolean {
  if (c <= 0x20 || c >= 0x7f) return false;
  // "(" ")" "{" "%" "*" DQUOTE "\" "]" "+"
  return c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x25 && c !== 0x2a && c !== 0x22 &&
    c !== 0x5c && c !== 0x5d && c !== 0x2b;
}

/** The upper-cased second word of a command line, if its first is a tag. */
function verbOf(line: Uint8Array): string {
  const sp = line.indexOf(0x20);
  if (sp < 0) return "";
  let verb = "";
  for (let i = sp + 1; i < line.length && line[i] !== 0x20 && verb.length < 16; i++) {
    verb += String.fromCharCode(line[i]!);
  }
  return verb.toUpperCase();
}

/** Where a literal mailbox name of APPEND would start: after "tag APPEND ". */
function appendMailboxAt(line: Uint8Array): number {
  const sp = line.indexOf(0x20);
  return sp + 1 + "APPEND ".length;
}
