/**
 * A capped CRLF line reader for line-based protocols (SMTP commands, IMAP command
 * lines). Bytes go in as they arrive; complete lines come out. A line longer than the
 * cap throws {@linkcode LineTooLongError} as soon as the cap is passed, without
 * buffering the rest: callers reply and close.
 *
 * Lines end at LF; a CR before the LF is stripped. Whether a bare LF is acceptable is
 * the protocol's call: {@linkcode Line.bareLf} says which ending was seen.
 */

/** A line that exceeded the reader's cap. */
export class LineTooLongError extends Error {
  readonly code = "LineTooLong";
  constructor(readonly limit: number, readonly actual: number) {
    super(`Cannot read line: longer than ${limit} octets`);
    this.name = "LineTooLongError";
  }
}

export interface Line {
  /** The line's bytes without CRLF/LF. */
  bytes: Uint8Array;
  /** True when the line ended in LF without a preceding CR. */
  bareLf: boolean;
}

export class LineReader {
  #pending: Uint8Array[] = [];
  #pendingLength = 0;

  /** @param maxLength longest line accepted, counting the CRLF. */
  constructor(readonly maxLength: number) {}

  /** Bytes buffered towards an incomplete line. */
  get buffered(): number {
    return this.#pendingLength;
  }

  /**
   * Feeds bytes and returns the lines they complete.
   * @throws LineTooLongError when a line passes the cap (the reader is then reset)
   */
  push(chunk: Uint8Array): Line[] {
    const lines: Line[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(0x0a, start);
      const end = lf < 0 ? chunk.length : lf + 1;
      const total = this.#pendingLength + end - start;
      if (total > this.maxLength) {
        this.clear();
        throw new LineTooLongError(this.maxLength, total);
      }
      if (lf < 0) {
        this.#pending.push(chunk.subarray(start));
        this.#pendingLength = total;
        break;
      }
      const whole = this.#concat(chunk.subarray(start, end), total);
      const crlf = whole.length >= 2 && whole[whole.length - 2] === 0x0d;
      lines.push({ bytes: whole.subarray(0, whole.length - (crlf ? 2 : 1)), bareLf: !crlf });
      start = end;
    }
    return lines;
  }

  /** Drops buffered bytes (after STARTTLS, or an error). */
  clear(): void {
    this.#pending = [];
    this.#pendingLength = 0;
  }

  #concat(last: Uint8Array, total: number): Uint8Array {
    if (this.#pending.length === 0) return last;
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of this.#pending) {
      out.set(part, at);
      at += part.length;
    }
    out.set(last, at);
    this.clear();
    return out;
  }
}
