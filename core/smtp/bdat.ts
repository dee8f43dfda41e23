/**
 * The BDAT framer: {@linkcode BdatReader} reads the data of one BDAT command (RFC 3030
 * §2), exactly chunk-size raw octets with no dot-stuffing and no end marker, and hands
 * back the bytes after them so the session can parse them as commands.
 *
 * @see https://www.rfc-editor.org/rfc/rfc3030#section-2
 */

import { concat } from "./data.ts";
import { smtpLimits } from "./limits.ts";

/** How one BDAT chunk ended. */
export type BdatResult =
  | { ok: true; data: Uint8Array; rest: Uint8Array }
  | {
    ok: false;
    problem: "too-big";
    /** Octets the chunk had (all of them were read and discarded). */
    size: number;
    rest: Uint8Array;
  };

/**
 * Reads the data of one BDAT command (RFC 3030 §2): exactly `chunkSize` octets, taken
 * as they are: no dot-unstuffing, no end marker, any octet allowed (BINARYMIME). A
 * chunk that would take the message past `allowance` is still read to its end, so the
 * session stays in step, then reported "too-big".
 *
 * @see https://www.rfc-editor.org/rfc/rfc3030#section-2
 */
export class BdatReader {
  #remaining: number;
  readonly #allowance: number;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #ended = false;

  /**
   * @param chunkSize the BDAT command's chunk-size
   * @param allowance octets the message may still grow by (the size limit minus the
   *   earlier chunks); limits.ts `bdatChunkOctets` by default
   */
  constructor(readonly chunkSize: number, allowance: number = smtpLimits.bdatChunkOctets) {
    this.#remaining = chunkSize;
    this.#allowance = allowance;
  }

  /**
   * Feeds the next bytes; returns the result once `chunkSize` octets have been read
   * (at once, for a zero-size chunk), with the bytes after them in `rest`. The chunk is
   * copied, so the caller may reuse its buffer.
   * @throws Error when called after the result was returned
   */
  push(chunk: Uint8Array): BdatResult | undefined {
    if (this.#ended) throw new Error("Cannot read BDAT chunk: it already ended");
    const take = Math.min(this.#remaining, chunk.length);
    if (take > 0) {
      this.#size += take;
      this.#remaining -= take;
      if (this.#size > this.#allowance) this.#chunks = [];
      else this.#chunks.push(chunk.slice(0, take));
    }
    if (this.#remaining > 0) return undefined;
    this.#ended = true;
    const rest = chunk.slice(take);
    if (this.#size > this.#allowance) {
      return { ok: false, problem: "too-big", size: this.#size, rest };
    }
    const data = concat(this.#chunks, this.#size);
    this.#chunks = [];
    return { ok: true, data, rest };
  }
}
