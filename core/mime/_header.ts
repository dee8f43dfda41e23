/**
 * Header block scanning on bytes: where a header block ends, where the body starts, and
 * the byte ranges of its fields. Shared by {@linkcode parseStructure} and the header
 * accessors so both agree on every offset.
 *
 * Implementation notes:
 * - Lines end at LF; a CR right before the LF belongs to the line ending (RFC 5322 §2.2
 *   wants CRLF; bare LF is tolerated and reported).
 * - A header line is a field start (`field-name *WSP ":"`, RFC 5322 §2.2 and the obsolete
 *   WSP before the colon of §4.5) or a folded continuation (starts with WSP, §2.2.3) of
 *   a field already started. The first line that is neither ends the header: a blank
 *   line (the separator, skipped) or anything else (kept as the first body line,
 *   reported as a missing separator).
 * - Lookups on bytes use native `indexOf`, arranged so that a line costs what it is
 *   long, never what the rest of the message is long (see `nextCr`).
 */

import { type Problem, problems } from "./problem.ts";

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** A header field's byte offsets in the message. */
export interface FieldRange {
  /** First byte of the field name. */
  start: number;
  /** End of the field name (before any WSP and the colon). */
  nameEnd: number;
  /** First byte after the colon. */
  valueStart: number;
  /** End of the value: before the line ending of the field's last line. */
  valueEnd: number;
  /** After the line ending of the field's last line. */
  end: number;
  /** False when a line of the field exceeded `maxHeaderLineOctets`. */
  sane: boolean;
}

export interface HeaderScan {
  /** End of the header block: the blank line, the first non-header line, or the end. */
  headerEnd: number;
  /** Start of the body: after the blank line, at the non-header line, or the end. */
  bodyStart: number;
  problems: Problem[];
}

export interface ScanLimits {
  maxHeaderLines: number;
  maxHeaderLineOctets: number;
}

const unlimited: ScanLimits = { maxHeaderLines: Infinity, maxHeaderLineOctets: Infinity };

/**
 * Position of the colon when the line at `pos` starts a field (RFC 5322 §3.6.8
 * field-name = 1*ftext, ftext = 33..126 except ":"), else -1.
 */
function fieldColon(msg: Uint8Array, pos: number, end: number): number {
  let i = pos;
  while (i < end) {
    const c = msg[i]!;
    if (c < 33 || c > 126 || c === COLON) break;
    i++;
  }
  if (i === pos) return -1;
  // RFC 5322 §4.5: obs-optional allows WSP between the name and the colon.
  while (i < end && (msg[i] === SP || msg[i] === HTAB)) i++;
  return i < end && msg[i] === COLON ? i : -1;
}

/**
 * Scans the header block starting at `start` within `[start, end)`. `onField` sees the
 * first `maxHeaderLines` lines' fields, except fields with an over-long line; when it
 * returns true, scanning stops early and the returned offsets mean nothing.
 */
export function scanHeader(
  msg: Uint8Array,
  start: number,
  end: number,
  limits: ScanLimits = unlimited,
  onField?: (field: FieldRange) => boolean | void,
): HeaderScan {
  const found = new Set<Problem>();
  let field: FieldRange | undefined; // the field being read, unless past the line limit
  let inField = false;
  let lines = 0;
  let stopped = false;
  const finish = () => {
    if (field !== undefined && onField !== undefined && field.sane && onField(field) === true) {
      stopped = true;
    }
    field = undefined;
  };
  const done = (headerEnd: number, bodyStart: number): HeaderScan => {
    finish();
    return { headerEnd, bodyStart, problems: [...found] };
  };

  // The next CR at or after the current line, found lazily so an LF-only header costs
  // one scan in all, not one per line.
  let nextCr = -1;
  let ls = start;
  while (ls < end) {
    // Past `end` this finds the LF within a line: a part's range ends at the end of the
    // message or just before a delimiter line (RFC 2046 §5.1.1), see _multipart.ts.
    let lf = msg.indexOf(LF, ls);
    if (lf === -1 || lf >= end) lf = end;
    const next = lf < end ? lf + 1 : end;
    // The line's content ends before CRLF, LF, or a CR that ends the range.
    const ce = lf > ls && msg[lf - 1] === CR ? lf - 1 : lf;
    const bareLf = lf < end && ce === lf;

    if (ce === ls) {
      // RFC 5322 §2.1: the first empty line separates header and body.
      if (bareLf) found.add(problems.bareLf);
      return done(ls, next);
    }
    const first = msg[ls]!;
    if (first === SP || first === HTAB) {
      // RFC 5322 §2.2.3: a line starting with WSP continues the previous field.
      if (!inField) {
        found.add(problems.missingSeparator);
        return done(ls, ls);
      }
      if (field !== undefined) {
        field.valueEnd = ce;
        field.end = next;
        if (lines >= limits.maxHeaderLines) field.sane = false; // reaches past the limit
      }
    } else {
      const colon = fieldColon(msg, ls, ce);
      if (colon < 0) {
        // Not a header line: tolerate a body without the blank line before it.
        found.add(problems.missingSeparator);
        return done(ls, ls);
      }
      finish();
      if (stopped) return done(ls, ls);
      inField = true;
      if (lines < limits.maxHeaderLines) {
        let nameEnd = colon;
        while (msg[nameEnd - 1] === SP || msg[nameEnd - 1] === HTAB) nameEnd--;
        field = {
          start: ls,
          nameEnd,
          valueStart: colon + 1,
          valueEnd: ce,
          end: next,
          sane: true,
        };
      }
    }
    if (bareLf) found.add(problems.bareLf);
    if (nextCr < ls) nextCr = msg.indexOf(CR, ls) >>> 0; // -1 becomes 2^32-1: none
    if (nextCr < ce) found.add(problems.bareCr);
    if (ce - ls > limits.maxHeaderLineOctets) {
      found.add(problems.headerLineTooLong);
      if (field !== undefined) field.sane = false;
    }
    lines++;
    if (lines === limits.maxHeaderLines + 1) found.add(problems.tooManyHeaderLines);
    ls = next;
  }
  // RFC 5322 §3.5: the body is optional; a header running to the end has an empty body.
  return done(end, end);
}

/** ASCII field name bytes as a string. */
export function fieldName(msg: Uint8Array, field: FieldRange): string {
  return utf8.decode(msg.subarray(field.start, field.nameEnd));
}

/**
 * The field's value as text: UTF-8 decoded with replacement (RFC 6532 §3.2 allows UTF-8
 * in header values), unfolded (RFC 5322 §2.2.3: remove each CRLF before WSP), trimmed.
 */
export function fieldValue(msg: Uint8Array, field: FieldRange): string {
  const text = utf8.decode(msg.subarray(field.valueStart, field.valueEnd));
  return text.replace(/\r?\n/g, "").replace(/^[ \t]+|[ \t\r]+$/g, "");
}
