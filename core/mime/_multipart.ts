/**
 * Splitting a multipart body into its body parts at boundary delimiter lines
 * (RFC 2046 §5.1.1), on bytes, in one pass over the lines of the body.
 *
 * Implementation notes:
 * - A delimiter line starts at the beginning of a line with `--boundary`, followed by
 *   `--` (the close delimiter) or by optional transport padding (SP/HTAB) and the line
 *   ending. `--b` therefore never matches a line `--bx`.
 * - The CRLF before a delimiter line belongs to the delimiter, not to the part before
 *   it (RFC 2046 §5.1.1: "the CRLF preceding the boundary delimiter line is conceptually
 *   attached to the boundary"). A bare LF is tolerated in its place.
 * - The preamble (before the first delimiter) and the epilogue (after the close
 *   delimiter) are skipped. Without a close delimiter the last part runs to the end of
 *   the body and `closed` is false.
 * - Every range this module returns ends at the end of the message, or at most two
 *   bytes (the CRLF) before a `-` that starts a delimiter line. Scans that look for
 *   the next LF or `-` with `indexOf` past a range's end therefore stop within a few
 *   bytes, which keeps nested parsing linear without allocating bounded subarrays.
 * - Only this multipart's boundary is looked for: RFC 2046 §5.1.1 forbids a boundary to
 *   appear inside the encapsulated parts, so the outer boundary wins when a broken
 *   inner part contains it.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const DASH = 0x2d;

export interface Split {
  /** `[start, end)` of each body part: its header and body. */
  ranges: [number, number][];
  /** A close delimiter was seen. */
  closed: boolean;
  /** Splitting stopped after `maxParts` parts with more to come. */
  truncated: boolean;
}

const encoder = new TextEncoder();

/** Splits the multipart body `[start, end)` of `msg` at `--boundary` lines. */
export function splitMultipart(
  msg: Uint8Array,
  start: number,
  end: number,
  boundary: string,
  maxParts: number,
): Split {
  const dashBoundary = encoder.encode(`--${boundary}`);
  const ranges: [number, number][] = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    // Candidates are the dashes at a line start; native indexOf skips the rest (base64
    // has no dashes at all). The search never runs more than a few bytes past `end`:
    // see the notes on ranges above.
    const ls = msg.indexOf(DASH, pos);
    if (ls === -1 || ls >= end) break;
    if (ls !== start && msg[ls - 1] !== LF) {
      const lf = msg.indexOf(LF, ls); // a dash inside a line: skip the rest of the line
      pos = lf === -1 ? end : lf + 1;
      continue;
    }
    pos = ls + 1;
    if (!matchesAt(msg, ls, end, dashBoundary)) continue;
    let q = ls + dashBoundary.length;
    const close = q + 2 <= end && msg[q] === DASH && msg[q + 1] === DASH;
    if (!close) {
      while (q < end && (msg[q] === SP || msg[q] === HTAB)) q++; // transport padding
      if (q < end && msg[q] === CR) q++;
      if (q < end && msg[q] !== LF) continue; // "--bx", "--b text": not a delimiter
    }
    if (partStart >= 0) {
      ranges.push([partStart, Math.max(partStart, ls - lineEndingBefore(msg, ls))]);
    }
    if (close) return { ranges, closed: true, truncated: false };
    if (ranges.length >= maxParts) return { ranges, closed: false, truncated: true };
    partStart = q < end ? q + 1 : end; // after the delimiter line's LF
    pos = partStart;
  }
  if (partStart >= 0) ranges.push([partStart, end]);
  return { ranges, closed: false, truncated: false };
}

function matchesAt(msg: Uint8Array, pos: number, end: number, pattern: Uint8Array): boolean {
  if (pos + pattern.length > end) return false;
  for (let i = 0; i < pattern.length; i++) if (msg[pos + i] !== pattern[i]) return false;
  return true;
}

/** Length of the line ending right before `pos`: 2 for CRLF, 1 for a bare LF. */
function lineEndingBefore(msg: Uint8Array, pos: number): number {
  if (msg[pos - 1] !== LF) return 0;
  return msg[pos - 2] === CR ? 2 : 1;
}
