/**
 * The DATA framer: {@linkcode DataReader} reads dot-stuffed message data ended by
 * CRLF.CRLF (bdat.ts reads BDAT chunks). It is fed bytes as they arrive, enforces the
 * size limit while reading, and hands back the bytes that follow the data so the
 * session can parse them as commands. {@linkcode ReceivedCounter} counts Received
 * fields for loop detection.
 *
 * Implementation notes:
 * - RFC 5321 §4.1.1.4: the data ends only at CRLF "." CRLF. The 354 reply counts as
 *   the first CRLF, so data that starts with ".\r\n" is an empty message.
 * - RFC 5321 §4.5.2: a line that starts with "." (after CRLF) loses that dot.
 * - SMTP smuggling: a "." line with a bare LF or bare CR on either side (`\n.\n`,
 *   `\r\n.\n`, `\n.\r\n`, `\r.\r\n`, …) ends the data for some servers and not for
 *   others; a sender's relay and its next hop then disagree on where the message ends,
 *   and the tail is run as commands. We never end there: we read on to the real
 *   CRLF.CRLF, so the session stays in step, and report "smuggling".
 * - RFC 5321 §2.3.8: CR and LF occur in data only as CRLF. Any other bare CR or LF is
 *   reported ("bare-cr", "bare-lf") and the session refuses the message, as mox does
 *   (Postfix's smtpd_forbid_bare_newline does the same): accepting bare LF lets a
 *   message mean one thing to us and another to the next hop.
 * - Once a problem is found, or the message passes the size limit, nothing more is
 *   buffered; reading continues to the end, counting, and the problems are reported.
 * - Content is collected as chunks and joined once at the end (no O(n²) copying); the
 *   state machine jumps to the next CR or LF with indexOf instead of stepping bytes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.5.2
 */

import { smtpLimits } from "./limits.ts";

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** Why message data must be refused, most serious first. */
export type DataProblem =
  /** A "." line delimited by something other than CRLF on one side (codes.ts `smuggling`). */
  | "smuggling"
  /** A CR not followed by LF (codes.ts `bareLineEnding`). */
  | "bare-cr"
  /** An LF not preceded by CR (codes.ts `bareLineEnding`). */
  | "bare-lf"
  /** A line longer than the cap, limits.ts `dataLineOctetsMax` (codes.ts `dataLineTooLong`). */
  | "line-too-long"
  /** More octets than the size limit (codes.ts `messageTooBig`). */
  | "too-big";

const severity: readonly DataProblem[] = [
  "smuggling",
  "bare-cr",
  "bare-lf",
  "line-too-long",
  "too-big",
];

interface DataEnd {
  /** Octets of message content after dot-unstuffing, all of them even when too big. */
  size: number;
  /** Received header fields in the header section (RFC 5321 §6.3 loop detection). */
  received: number;
  /** The bytes after the terminating CRLF.CRLF: pipelined commands (RFC 2920). */
  rest: Uint8Array;
}

/** How the data of one DATA command ended. */
export type DataResult =
  | DataEnd & {
    ok: true;
    /** The message, dot-unstuffed, without the terminating ".\r\n". */
    message: Uint8Array;
  }
  | DataEnd & {
    ok: false;
    /** The most serious problem; the one to answer with. */
    problem: DataProblem;
    /** Every problem found, most serious first. */
    problems: readonly DataProblem[];
  };

export interface DataReaderOptions {
  /** Largest message, in octets after dot-unstuffing; limits.ts `messageOctets` by default. */
  maxSize?: number;
  /** Longest line, counting the CRLF; limits.ts `dataLineOctetsMax` by default. */
  maxLineLength?: number;
}

// DataReader states.
/** At the start of a line; `#lineBreak` says what ended the previous one. */
const lineStart = 0;
/** Inside a line. */
const inLine = 1;
/** After a CR inside a line. */
const afterCr = 2;
/** After "." at the start of a line. */
const afterDot = 3;
/** After "." CR at the start of a line. */
const afterDotCr = 4;

type LineBreak = "crlf" | "lf" | "cr";

/** First index of `byte` in `chunk` from `from`, or `chunk.length`. */
function indexOr(chunk: Uint8Array, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at < 0 ? chunk.length : at;
}

/** Joins `chunks` (of `total` octets) into one array, copying only when there are several. */
export function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Reads the message after DATA's 354 reply: feed it chunks with {@linkcode push} until
 * it returns the result.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.4
 */
export class DataReader {
  readonly #maxSize: number;
  readonly #maxLine: number;
  readonly #received = new ReceivedCounter();
  #chunks: Uint8Array[] = [];
  #size = 0;
  #lineLength = 0;
  #state = lineStart;
  // RFC 5321 §4.1.1.4: the data starts as if after CRLF.
  #lineBreak: LineBreak = "crlf";
  readonly #problems = new Set<DataProblem>();
  #ended = false;

  constructor(options: DataReaderOptions = {}) {
    this.#maxSize = options.maxSize ?? smtpLimits.messageOctets;
    this.#maxLine = options.maxLineLength ?? smtpLimits.dataLineOctetsMax;
  }

  /** Octets of content read so far, after dot-unstuffing. */
  get size(): number {
    return this.#size;
  }

  /**
   * Feeds the next bytes. Returns undefined while the data goes on, and the result once
   * CRLF.CRLF has been read; the bytes after it are in `rest`. The chunk is copied, so
   * the caller may reuse its buffer.
   * @throws Error when called after the result was returned
   */
  push(chunk: Uint8Array): DataResult | undefined {
    if (this.#ended) throw new Error("Cannot read data: the message already ended");
    const n = chunk.length;
    let i = 0;
    let span = 0; // start of content not yet handed to #content()
    let nextCr = -1;
    let nextLf = -1;
    while (i < n) {
      switch (this.#state) {
        case inLine: {
          if (nextCr < i) nextCr = indexOr(chunk, CR, i);
          if (nextLf < i) nextLf = indexOr(chunk, LF, i);
          const end = Math.min(nextCr, nextLf);
          this.#lineLength += end - i;
          // RFC 5321 §4.5.3.1.6 counts the CRLF in the line length.
          if (this.#lineLength + 2 > this.#maxLine) this.#problem("line-too-long");
          i = end;
          if (i === n) break;
          // Fast path: CRLF and a next line that does not start with "." or a line break.
          if (chunk[i] === CR && chunk[i + 1] === LF && i + 2 < n) {
            const next = chunk[i + 2];
            if (next !== DOT && next !== CR && next !== LF) {
              this.#lineBreak = "crlf";
              this.#lineLength = 0;
              i += 2;
              break;
            }
          }
          if (chunk[i] === CR) {
            this.#state = afterCr;
          } else {
            this.#problem("bare-lf");
            this.#newLine("lf");
          }
          i++;
          break;
        }
        case afterCr:
          if (chunk[i] === LF) {
            i++;
            this.#newLine("crlf");
          } else {
            this.#problem("bare-cr");
            this.#newLine("cr"); // and read this byte at the start of a line
          }
          break;
        case lineStart:
          if (chunk[i] === DOT) {
            // RFC 5321 §4.5.2: after CRLF the dot is either stuffing or the end; drop it.
            if (this.#lineBreak === "crlf") {
              this.#content(chunk, span, i);
              span = i + 1;
            }
            this.#state = afterDot;
            i++;
          } else {
            this.#state = inLine;
          }
          break;
        case afterDot:
          if (chunk[i] === CR) {
            // Hold the CR back: with an LF next, it is part of the end marker.
            if (this.#lineBreak === "crlf") {
              this.#content(chunk, span, i);
              span = i + 1;
            }
            this.#state = afterDotCr;
            i++;
          } else if (chunk[i] === LF) {
            // "\n.\n" or "\r\n.\n": a "." line ended by a bare LF.
            this.#problem("smuggling");
            this.#problem("bare-lf");
            i++;
            this.#newLine("lf");
          } else {
            this.#state = inLine; // a dot-stuffed line
          }
          break;
        case afterDotCr:
          if (chunk[i] === LF) {
            i++;
            // CRLF.CRLF: the end. The dot and the CR were left out of the content.
            if (this.#lineBreak === "crlf") return this.#end(chunk.slice(i));
            // "\n.\r\n" or "\r.\r\n": a "." line after a bare line break.
            this.#problem("smuggling");
            this.#newLine("crlf");
          } else {
            // "." then a bare CR.
            this.#problem("smuggling");
            this.#problem("bare-cr");
            this.#newLine("cr");
          }
          break;
      }
    }
    this.#content(chunk, span, n);
    return undefined;
  }

  #newLine(lineBreak: LineBreak): void {
    this.#state = lineStart;
    this.#lineBreak = lineBreak;
    this.#lineLength = 0;
  }

  #problem(problem: DataProblem): void {
    this.#problems.add(problem);
    this.#chunks = [];
  }

  /** Takes `chunk[start, end)` as message content. */
  #content(chunk: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    const part = chunk.subarray(start, end);
    this.#size += part.length;
    this.#received.push(part);
    if (this.#size > this.#maxSize) this.#problem("too-big");
    if (this.#problems.size === 0) this.#chunks.push(part.slice());
  }

  #end(rest: Uint8Array): DataResult {
    this.#ended = true;
    const end = { size: this.#size, received: this.#received.count, rest };
    const problems = severity.filter((p) => this.#problems.has(p));
    const chunks = this.#chunks;
    this.#chunks = [];
    if (problems.length === 0) return { ok: true, message: concat(chunks, this.#size), ...end };
    return { ok: false, problem: problems[0]!, problems, ...end };
  }
}

// ReceivedCounter states.
const headerLineStart = 0;
const headerLineStartCr = 1;
const headerName = 2;
const headerNameSpace = 3;
const headerSkip = 4;
const headerDone = 5;

const receivedName = "received";

/**
 * Counts the Received header fields of a message fed in chunks: lines of the header
 * section (up to the first empty line) that start with "Received", case-insensitive,
 * then optional WSP (RFC 5322 §4.5.3 obs-optional) and ":". For RFC 5321 §6.3 loop
 * detection; the session compares the count with limits.ts `receivedHeaders`.
 */
export class ReceivedCounter {
  #count = 0;
  #state = headerLineStart;
  #matched = 0;

  /** Received fields counted so far. */
  get count(): number {
    return this.#count;
  }

  /** True once the empty line that ends the header section has been seen. */
  get done(): boolean {
    return this.#state === headerDone;
  }

  /** Feeds the next message bytes (after dot-unstuffing). */
  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length && this.#state !== headerDone) {
      const b = bytes[i]!;
      switch (this.#state) {
        case headerLineStart:
          if (b === LF) this.#state = headerDone;
          else if (b === CR) this.#state = headerLineStartCr;
          else {
            this.#state = headerName;
            this.#matched = 0;
            continue;
          }
          break;
        case headerLineStartCr:
          if (b === LF) this.#state = headerDone;
          else {
            this.#state = headerSkip;
            continue;
          }
          break;
        case headerName:
          if (this.#matched < receivedName.length) {
            if ((b | 0x20) !== receivedName.charCodeAt(this.#matched)) {
              this.#state = headerSkip;
              continue;
            }
            this.#matched++;
          } else {
            this.#state = headerNameSpace;
            continue;
          }
          break;
        case headerNameSpace:
          if (b === 0x3a) {
            this.#count++;
            this.#state = headerSkip;
          } else if (b !== 0x20 && b !== 0x09) {
            this.#state = headerSkip;
            continue;
          }
          break;
        case headerSkip: {
          const lf = bytes.indexOf(LF, i);
          if (lf < 0) return;
          i = lf;
          this.#state = headerLineStart;
          break;
        }
      }
      i++;
    }
  }
}
