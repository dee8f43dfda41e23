/**
 * Value productions shared by several commands: mailbox names, sequence sets, dates,
 * flags and charsets (RFC 9051 §9).
 */

import type { NumberRange, SearchDate, SeqNumber, SeqRange, SequenceSet } from "./command.ts";
import type { Cursor } from "./_parse_cursor.ts";
import { isKeyword } from "./keyword.ts";

/**
 * RFC 9051 §9 mailbox: "INBOX" in any case is INBOX, quoted or not; other names are
 * returned as sent.
 */
export function expectMailbox(c: Cursor): string {
  const name = c.expectAstring("a mailbox name");
  return name.length === 5 && name.toUpperCase() === "INBOX" ? "INBOX" : name;
}

/** RFC 9051 §9 charset: atom or quoted, as sent. */
export function expectCharset(c: Cursor): string {
  return c.tryQuoted() ?? c.expectAtom("a charset");
}

/**
 * RFC 9051 §9 sequence-set, or `$` (RFC 5182 §2 seq-last-command) when `saved`
 * allows it. At most limits.sequenceRanges ranges.
 */
export function expectSequenceSet(c: Cursor, saved: boolean): SequenceSet {
  if (c.peek() === "$") {
    if (!saved) throw c.fail("$ not allowed here");
    c.pos++;
    return { kind: "saved" };
  }
  const ranges: SeqRange[] = [];
  do {
    if (ranges.length >= c.limits.sequenceRanges) {
      throw c.overLimit("sequenceRanges", "too many ranges in sequence set");
    }
    const first = expectSeqNumber(c);
    const last = c.tryChar(":") ? expectSeqNumber(c) : first;
    ranges.push({ first, last });
  } while (c.tryChar(","));
  return { kind: "ranges", ranges };
}

/** RFC 9051 §9 seq-number: nz-number or "*". */
function expectSeqNumber(c: Cursor): SeqNumber {
  return c.tryChar("*") ? "*" : c.expectNzNumber("a message number");
}

/** RFC 7162 §7 known-uids and friends: a sequence-set without "*" (or "$"). */
export function expectKnownSet(c: Cursor): NumberRange[] {
  const start = c.pos;
  const set = expectSequenceSet(c, false);
  const ranges: NumberRange[] = [];
  for (const { first, last } of set.kind === "ranges" ? set.ranges : []) {
    if (first === "*" || last === "*") throw c.fail("* not allowed here", "Syntax", start);
    ranges.push({ first, last });
  }
  return ranges;
}

const months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Reads exactly `n` digits (or 1 to `n` when `min` is 1). */
function expectDigits(c: Cursor, min: number, max: number, what: string): number {
  const start = c.pos;
  const digits = c.takeUpper((ch) => ch >= 0x30 && ch <= 0x39);
  if (digits.length < min || digits.length > max) {
    throw c.fail(`expected ${what}`, "Syntax", start);
  }
  return Number(digits);
}

function expectMonth(c: Cursor): number {
  const start = c.pos;
  const name = c.upper.slice(c.pos, c.pos + 3);
  const month = months.indexOf(name) + 1;
  if (month === 0) throw c.fail("expected a month name", "Syntax", start);
  c.pos += 3;
  return month;
}

/** RFC 9051 §9 date: date-text or DQUOTE date-text DQUOTE; date-day is 1*2DIGIT. */
export function expectSearchDate(c: Cursor): SearchDate {
  const start = c.pos;
  const quoted = c.tryChar('"');
  const day = expectDigits(c, 1, 2, "a day of month");
  c.expectChar("-");
  const month = expectMonth(c);
  c.expectChar("-");
  const year = expectDigits(c, 4, 4, "a four-digit year");
  if (quoted) c.expectChar('"');
  if (day < 1 || day > daysInMonth(year, month)) throw c.fail("no such date", "Syntax", start);
  return { year, month, day };
}

/**
 * RFC 9051 §9 date-time: DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP
 * zone DQUOTE, as ms since the epoch. DEVIATION(RFC 9051 §9): a one-digit day without
 * the leading space is accepted too, as some clients send it.
 */
export function expectDateTime(c: Cursor): number {
  const start = c.pos;
  c.expectChar('"');
  c.trySP();
  const day = expectDigits(c, 1, 2, "a day of month");
  c.expectChar("-");
  const month = expectMonth(c);
  c.expectChar("-");
  const year = expectDigits(c, 4, 4, "a four-digit year");
  c.expectSP();
  const hour = expectDigits(c, 2, 2, "hours");
  c.expectChar(":");
  const minute = expectDigits(c, 2, 2, "minutes");
  c.expectChar(":");
  const second = expectDigits(c, 2, 2, "seconds");
  c.expectSP();
  const sign = c.tryChar("+") ? 1 : c.tryChar("-") ? -1 : 0;
  if (sign === 0) throw c.fail("expected a time zone");
  const zone = expectDigits(c, 4, 4, "a time zone");
  c.expectChar('"');
  const zoneMinutes = Math.floor(zone / 100) * 60 + (zone % 100);
  // Seconds may be 60 for a leap second; Date.UTC carries it into the next minute.
  if (
    day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60 ||
    zone % 100 > 59
  ) throw c.fail("no such date-time", "Syntax", start);
  return Date.UTC(year, month - 1, day, hour, minute, second) - sign * zoneMinutes * 60_000;
}

/** RFC 9051 §2.3.2 system flags by upper-cased name, with their canonical spelling. */
const systemFlags = new Map(
  ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"].map((f) => [f.toUpperCase(), f]),
);

/**
 * The canonical spelling of a system flag given in any case, or undefined when
 * `flag` is not one.
 */
export function systemFlag(flag: string): string | undefined {
  return systemFlags.get(flag.toUpperCase());
}

/**
 * RFC 9051 §9 flag, as a client may store it: a system flag (canonical spelling) or a
 * keyword. `\Recent` cannot be stored (RFC 9051 §9 flag: "Does not include \Recent");
 * other flag-extensions name nothing we could store, so they are refused too.
 */
export function expectFlag(c: Cursor): string {
  const start = c.pos;
  if (c.tryChar("\\")) {
    const name = `\\${c.expectAtom("a flag name")}`;
    const flag = systemFlag(name);
    if (flag !== undefined) return flag;
    const detail = name.toUpperCase() === "\\RECENT" ? "\\Recent cannot be set" : "unknown flag";
    throw c.fail(detail, "Syntax", start);
  }
  return expectKeywordFlag(c);
}

/** RFC 9051 §9 flag-keyword, checked with isKeyword(). */
export function expectKeywordFlag(c: Cursor): string {
  const start = c.pos;
  const atom = c.expectAtom("a flag");
  if (!isKeyword(atom)) throw c.fail("keyword too long", "Syntax", start);
  return atom;
}

/** RFC 9051 §9 flag-list: "(" [flag *(SP flag)] ")". */
export function expectFlagList(c: Cursor): string[] {
  return c.expectList(() => expectFlag(c), true);
}
