/**
 * The From_ line that starts each message of an mbox: "From ", the envelope sender, and
 * an asctime(3) timestamp.
 *
 * RFC 4155 Appendix A: `From <sender> <timestamp>` where the timestamp is UTC in ctime
 * format without a time zone. Real files also carry a zone name ("PST", "CET DST")
 * before the year, a numeric offset before or after the year, no seconds, two-digit
 * years, and one-digit days without padding; all are accepted. A zone name cannot be
 * resolved without a table, so the time is then taken as UTC.
 *
 * @module
 */

const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const months = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

const dateRe = new RegExp(
  String.raw`(?:^|\s)(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+(${months.join("|")})\s+(\d{1,2})\s+` +
    String.raw`(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?` +
    String.raw`(?:\s+([+-]\d{4})|\s+[A-Za-z]{1,6}(?:\s+[A-Za-z]{1,6})?)?` +
    String.raw`\s+(\d{4}|\d{2})(?:\s+([+-]\d{4}))?(?=\s|$)`,
);

/** What the text after "From " says. */
export interface FromLine {
  /** The envelope sender as written (first word), "" when absent. */
  sender: string;
  /** True when an asctime date was found, whether or not it is a valid time. */
  hasDate: boolean;
  /** The date in ms since the epoch, when it is a valid time. */
  date?: number;
}

/** Parses a From_ line without its line ending (Latin-1 text, starting with "From "). */
export function parseFromLine(line: string): FromLine {
  const rest = line.slice(5);
  const sender = rest.trimStart().split(/\s/, 1)[0] ?? "";
  const m = dateRe.exec(rest);
  if (m === null) return { sender, hasDate: false };
  const [, mon, day, hh, mm, ss, zoneBefore, year, zoneAfter] = m;
  const month = months.indexOf(mon as typeof months[number]);
  let y = Number(year);
  // RFC 4155 is silent; the mbox(5) convention: two-digit years from 70 are 19xx.
  if (year !== undefined && year.length === 2) y += y >= 70 ? 1900 : 2000;
  const d = Number(day), h = Number(hh), min = Number(mm), s = Number(ss ?? "0");
  if (d < 1 || d > 31 || h > 23 || min > 59 || s > 60) return { sender, hasDate: true };
  let ms = Date.UTC(y, month, d, h, min, Math.min(s, 59));
  const check = new Date(ms);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== month) return { sender, hasDate: true };
  const zone = zoneBefore ?? zoneAfter;
  if (zone !== undefined) {
    const offset = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    ms -= (zone.startsWith("-") ? -offset : offset) * 60_000;
  }
  return { sender, hasDate: true, date: ms };
}

/**
 * The RFC 4155 Appendix A timestamp for a date: asctime format in UTC, day padded with a
 * space ("Thu Jan  1 00:00:00 1970").
 */
export function asctime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const weekday = weekdays[date.getUTCDay()] ?? "Sun";
  const month = months[date.getUTCMonth()] ?? "Jan";
  const day = String(date.getUTCDate()).padStart(2, " ");
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${
    pad(date.getUTCSeconds())
  }`;
  return `${weekday} ${month} ${day} ${time} ${String(date.getUTCFullYear()).padStart(4, "0")}`;
}
