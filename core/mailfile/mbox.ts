/**
 * Streaming mbox reader for import: bytes in, one record per message out, with memory
 * bounded by the largest message (never by the file). No I/O: the caller reads the file
 * and feeds chunks, split anywhere.
 *
 * Implementation notes:
 * - RFC 4155 Appendix A: a message starts with a From_ line ("From " at the start of a
 *   line) at the start of the file or after an empty line, and the empty line before a
 *   From_ line separates messages and is not part of either. We also end the last
 *   message's one trailing empty line, which writers add as the final separator.
 * - The classic ambiguity: mboxo and mboxcl writers leave body lines starting "From "
 *   unescaped. Such a line after an empty line splits the message (RFC 4155's rule; the
 *   text is kept, in the next record, never lost); after a non-empty line it splits only
 *   when it looks like a real From_ line (an asctime date follows), and the new record
 *   says so in its problems.
 * - mboxrd (default `unescape: "mboxrd"`): a line matching `^>+From ` loses one ">". On an
 *   mboxo file this restores the escaped "From " lines and also strips one ">" from
 *   lines that were ">From " to begin with; that loss is mboxo's, not ours. Content-Length
 *   (mboxcl2) is not honoured: pass `unescape: "none"` for files that never escape.
 * - Line endings: LF and CRLF files both work; every line in the output ends in CRLF
 *   (RFC 5322 §2.1), except a last line without any line ending. A lone CR stays.
 * - Messages are otherwise byte for byte: Status, X-Status and X-Keywords are read into
 *   `flags` and kept in the message.
 * - A line over `maxLineLength` is never a From_ line and never unescaped; its bytes go to
 *   the message as they arrive. A message over `maxMessageSize` (counted after line-ending
 *   normalisation) becomes a problem record and is skipped up to the next From_ line.
 * - Data before the first From_ line is skipped and reported once (offset 0, line 1).
 *
 * @see https://www.rfc-editor.org/rfc/rfc4155
 * @module
 */

import { ascii, ByteBuffer, latin1, startsWith } from "./_bytes.ts";
import { headerFlags } from "./_flags.ts";
import { parseFromLine } from "./_from_line.ts";
import { mailfileLimits } from "./limits.ts";

/** One message read from an mbox. */
export interface MboxMessage {
  kind: "message";
  /** RFC 5322 bytes: From_ line removed, ">From" unescaped, lines ending in CRLF. */
  message: Uint8Array;
  /**
   * IMAP flags from Status / X-Status / X-Keywords: system flags (\Seen \Answered
   * \Flagged \Deleted \Draft) first, then keywords.
   */
  flags: string[];
  /** The From_ line's date in ms since the epoch; absent when it has none or it is invalid. */
  internalDate?: number;
  /** The From_ line's envelope sender as written; "" when it has none. */
  envelopeSender: string;
  /** Byte offset of the From_ line in the file. */
  offset: number;
  /** 1-based line number of the From_ line. */
  line: number;
  /** Oddities found in this message; it is imported all the same. Empty when none. */
  problems: string[];
}

/** Why a stretch of the file produced no message. */
export type MboxProblemCode =
  /** Bytes before the first From_ line (or a file without one) were skipped. */
  | "DataBeforeFirstFrom"
  /** A message over `maxMessageSize` was skipped up to the next From_ line. */
  | "MessageTooLarge";

/** Part of the file that produced no message, reported with its position. */
export interface MboxProblem {
  kind: "problem";
  code: MboxProblemCode;
  /** Byte offset where the skipped data starts (the From_ line of a skipped message). */
  offset: number;
  /** 1-based line number where the skipped data starts. */
  line: number;
  /** A sentence for the import report. */
  message: string;
}

/** What {@linkcode readMbox} yields. */
export type MboxItem = MboxMessage | MboxProblem;

/** Options of {@linkcode readMbox} and {@linkcode MboxReader}. */
export interface MboxReadOptions {
  /** Largest message kept, in octets; default {@linkcode mailfileLimits.maxMessageOctets}. */
  maxMessageSize?: number;
  /**
   * Longest line examined as a line; default {@linkcode mailfileLimits.maxLineOctets}.
   * From_ lines longer than this are not recognised, so keep it well above 100.
   */
  maxLineLength?: number;
  /** "mboxrd" (default): `^>+From ` loses one ">". "none": lines are kept as written. */
  unescape?: "mboxrd" | "none";
}

/**
 * Reads an mbox file from byte chunks (a `ReadableStream<Uint8Array>` works), yielding
 * each message and each skipped stretch in file order. Never throws for content.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4155
 */
export async function* readMbox(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: MboxReadOptions = {},
): AsyncGenerator<MboxItem> {
  const reader = new MboxReader(options);
  for await (const chunk of chunks) yield* reader.push(chunk);
  yield* reader.end();
}

const CR = 0x0d;
const LF = 0x0a;
const GT = 0x3e;
const CRLF = new Uint8Array([CR, LF]);
const FROM_ = ascii("From ");

interface Current {
  offset: number;
  line: number;
  envelopeSender: string;
  internalDate: number | undefined;
  problems: string[];
}

/**
 * The synchronous core of {@linkcode readMbox}: {@linkcode MboxReader.push} takes a chunk
 * and returns the records it completes; {@linkcode MboxReader.end} flushes the last.
 */
export class MboxReader {
  readonly #maxMessage: number;
  readonly #maxLine: number;
  readonly #unescape: boolean;
  /** File offset of the next chunk's first byte. */
  #offset = 0;
  /** 1-based number and file offset of the line being assembled. */
  #lineNo = 1;
  #lineStart = 0;
  /** Start of the line being assembled, while it is within `maxLineLength`. */
  readonly #lineBuf = new ByteBuffer(1024);
  /** The line being assembled passed `maxLineLength`: its bytes go straight through. */
  #long = false;
  /** A long line's last byte so far is a CR, held back in case LF follows. */
  #longHeldCR = false;
  /** The previous line was empty (true at the start of the file). */
  #prevEmpty = true;
  #state: "prefix" | "message" | "skip" | "ended" = "prefix";
  #current: Current | undefined;
  readonly #body = new ByteBuffer();
  /** An empty line was read and not yet written: it may be the separator. */
  #heldBlank = false;
  #out: MboxItem[] = [];

  constructor(options: MboxReadOptions = {}) {
    this.#maxMessage = options.maxMessageSize ?? mailfileLimits.maxMessageOctets;
    this.#maxLine = options.maxLineLength ?? mailfileLimits.maxLineOctets;
    this.#unescape = (options.unescape ?? "mboxrd") === "mboxrd";
  }

  /**
   * Feeds the next chunk; returns the records it completes.
   * @throws Error when called after {@linkcode MboxReader.end}
   */
  push(chunk: Uint8Array): MboxItem[] {
    if (this.#state === "ended") throw new Error("Cannot read mbox: reader has ended");
    const base = this.#offset;
    let pos = 0;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(LF, pos);
      const seg = chunk.subarray(pos, lf < 0 ? chunk.length : lf);
      if (this.#long) this.#longWrite(seg);
      else if (lf >= 0 && this.#lineBuf.length === 0 && seg.length <= this.#maxLine) {
        this.#onLine(seg, true); // fast path: the whole line is in this chunk
      } else if (this.#lineBuf.length + seg.length > this.#maxLine) this.#beginLong(seg);
      else this.#lineBuf.append(seg);
      if (lf < 0) break;
      if (this.#long) this.#endLong();
      else if (this.#lineBuf.length > 0) {
        this.#onLine(this.#lineBuf.view(), true);
        this.#lineBuf.clear();
      }
      this.#lineNo++;
      this.#lineStart = base + lf + 1;
      pos = lf + 1;
    }
    this.#offset = base + chunk.length;
    return this.#drain();
  }

  /** Ends the input; returns the last records. Further calls return nothing. */
  end(): MboxItem[] {
    if (this.#state === "ended") return [];
    if (this.#long) {
      if (this.#longHeldCR && this.#state === "message") this.#write(new Uint8Array([CR]));
      this.#long = false;
    } else if (this.#lineBuf.length > 0) {
      this.#onLine(this.#lineBuf.view(), false);
      this.#lineBuf.clear();
    }
    this.#finish(this.#offset, true);
    this.#state = "ended";
    return this.#drain();
  }

  #drain(): MboxItem[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** A line within `maxLineLength`, without its LF; `terminated` when an LF ended it. */
  #onLine(content: Uint8Array, terminated: boolean): void {
    let text = content;
    if (terminated && text.length > 0 && text[text.length - 1] === CR) {
      text = text.subarray(0, text.length - 1);
    }
    const empty = terminated && text.length === 0;
    if (startsWith(text, FROM_) && this.#isFromLine(text)) {
      this.#prevEmpty = false;
      return;
    }
    this.#prevEmpty = empty;
    if (this.#state !== "message") return;
    if (this.#heldBlank) {
      this.#heldBlank = false;
      if (!this.#write(CRLF)) return;
    }
    if (empty) {
      this.#heldBlank = true;
      return;
    }
    if (this.#unescape && text[0] === GT && isEscapedFrom(text)) text = text.subarray(1);
    if (terminated) this.#write(text, CRLF);
    else this.#write(text);
  }

  /** Starts a message if this "From " line is a From_ line; false if it is body text. */
  #isFromLine(text: Uint8Array): boolean {
    const afterEmpty = this.#prevEmpty;
    if (!afterEmpty && text.length > mailfileLimits.maxFromLineOctets) return false;
    const parsed = parseFromLine(latin1(text.subarray(0, mailfileLimits.maxFromLineOctets)));
    if (!afterEmpty && !parsed.hasDate) return false;
    const problems: string[] = [];
    // RFC 4155 Appendix A: the From_ line follows an empty line (or starts the file).
    if (!afterEmpty && this.#state !== "prefix") {
      problems.push("From_ line without a preceding empty line");
    }
    if (!parsed.hasDate) problems.push("From_ line has no date");
    else if (parsed.date === undefined) problems.push("From_ line has an invalid date");
    this.#finish(this.#lineStart, false);
    this.#current = {
      offset: this.#lineStart,
      line: this.#lineNo,
      envelopeSender: parsed.sender,
      internalDate: parsed.date,
      problems,
    };
    this.#state = "message";
    return true;
  }

  /** Closes the current message, or reports the junk before offset `at`. */
  #finish(at: number, atEnd: boolean): void {
    if (this.#state === "prefix" && at > 0) {
      this.#out.push({
        kind: "problem",
        code: "DataBeforeFirstFrom",
        offset: 0,
        line: 1,
        message: atEnd
          ? `No From_ line found: ${at} octets skipped`
          : `Data before the first From_ line skipped (${at} octets)`,
      });
    }
    const current = this.#current;
    if (this.#state === "message" && current !== undefined) {
      const message = this.#body.take();
      const { flags, problems } = headerFlags(message);
      if (message.length === 0) current.problems.push("Empty message");
      const item: MboxMessage = {
        kind: "message",
        message,
        flags,
        envelopeSender: current.envelopeSender,
        offset: current.offset,
        line: current.line,
        problems: [...current.problems, ...problems],
      };
      if (current.internalDate !== undefined) item.internalDate = current.internalDate;
      this.#out.push(item);
    }
    this.#current = undefined;
    this.#heldBlank = false;
    this.#state = "skip";
  }

  /** Appends to the message unless that passes the size limit, which skips it instead. */
  #write(a: Uint8Array, b?: Uint8Array): boolean {
    const size = this.#body.length + a.length + (b?.length ?? 0);
    if (size > this.#maxMessage) {
      const current = this.#current;
      if (current !== undefined) {
        this.#out.push({
          kind: "problem",
          code: "MessageTooLarge",
          offset: current.offset,
          line: current.line,
          message: `Message larger than ${this.#maxMessage} octets skipped`,
        });
      }
      this.#body.clear();
      this.#current = undefined;
      this.#heldBlank = false;
      this.#longHeldCR = false;
      this.#state = "skip";
      return false;
    }
    this.#body.append(a);
    if (b !== undefined) this.#body.append(b);
    return true;
  }

  /** The line being assembled passed `maxLineLength`: it is body text, passed through. */
  #beginLong(seg: Uint8Array): void {
    this.#long = true;
    this.#prevEmpty = false;
    if (this.#state === "message" && this.#heldBlank) {
      this.#heldBlank = false;
      this.#write(CRLF);
    }
    this.#longWrite(this.#lineBuf.view());
    this.#lineBuf.clear();
    this.#longWrite(seg);
  }

  #longWrite(seg: Uint8Array): void {
    if (this.#state !== "message" || seg.length === 0) return;
    if (this.#longHeldCR) {
      this.#longHeldCR = false;
      if (!this.#write(new Uint8Array([CR]))) return;
    }
    const endsInCR = seg[seg.length - 1] === CR;
    if (this.#write(endsInCR ? seg.subarray(0, seg.length - 1) : seg)) {
      this.#longHeldCR = endsInCR;
    }
  }

  /** An LF ends a long line; a held CR was part of its CRLF. */
  #endLong(): void {
    this.#long = false;
    this.#longHeldCR = false;
    if (this.#state === "message") this.#write(CRLF);
  }
}

/** True for `^>+From ` (an mboxrd-escaped line). */
function isEscapedFrom(text: Uint8Array): boolean {
  let i = 0;
  while (i < text.length && text[i] === GT) i++;
  if (i === 0 || text.length - i < FROM_.length) return false;
  for (let j = 0; j < FROM_.length; j++) if (text[i + j] !== FROM_[j]) return false;
  return true;
}
