/**
 * Maildir file names and contents for import and export: flags from the info suffix,
 * keywords through Dovecot's `dovecot-keywords` file, and line-ending conversion. No
 * I/O: the caller lists directories and reads files.
 *
 * Implementation notes:
 * - A maildir name is `<unique>:2,<letters>` (cr.yp.to/proto/maildir.html). Letters are
 *   P passed (→ $Forwarded), R replied (\Answered), S seen (\Seen), T trashed
 *   (\Deleted), D draft (\Draft), F flagged (\Flagged), in ASCII order when written.
 * - Where ":" is not allowed in file names (Windows, some sync tools), Dovecot's
 *   `maildir_info_separator` and mbsync's `InfoDelimiter` use ";" or "!" instead. A name
 *   without ":" is read with ";2," or "!2," as the info; we write ":" unless told.
 * - Dovecot extension: lowercase letters a–z are keywords 0–25, named by the lines
 *   `<index> <keyword>` of the maildir's `dovecot-keywords` file.
 * - Nothing is fatal when reading: odd letters, unknown info versions and unnamed keyword
 *   letters are dropped with a problem, and the message is imported with the rest.
 *
 * @see https://cr.yp.to/proto/maildir.html
 * @module
 */

import { canonicalFlags, isKeyword } from "./_flags.ts";

/** Characters that may separate the unique part from the info. */
export type MaildirInfoSeparator = ":" | ";" | "!";

const letterFlags: Record<string, string> = {
  D: "\\Draft",
  F: "\\Flagged",
  P: "$Forwarded",
  R: "\\Answered",
  S: "\\Seen",
  T: "\\Deleted",
};
const flagLetters = new Map(
  Object.entries(letterFlags).map(([letter, flag]) => [flag.toLowerCase(), letter]),
);

/** Most keywords a maildir name can carry: one lowercase letter each (Dovecot). */
export const maxMaildirKeywords = 26;

/**
 * The flags a maildir file name carries. `keywords` is the `dovecot-keywords` list
 * (index → keyword, "" for an unused index) from {@linkcode parseDovecotKeywords}.
 * Flags come in canonical order: system flags, then keywords ($Forwarded among them).
 */
export function maildirFlags(
  filename: string,
  keywords: readonly string[] = [],
): { flags: string[]; problems: string[] } {
  const info = infoOf(filename);
  if (info === undefined) return { flags: [], problems: [] };
  if (!info.startsWith("2,")) {
    const what = info.startsWith("1,") ? "Experimental maildir info" : "Unrecognised info";
    return { flags: [], problems: [`${what} ignored: ${JSON.stringify(info)}`] };
  }
  const collected: string[] = [];
  const problems: string[] = [];
  for (const letter of info.slice(2)) {
    const flag = letterFlags[letter];
    if (flag !== undefined) {
      collected.push(flag);
    } else if (letter >= "a" && letter <= "z") {
      const keyword = keywords[letter.charCodeAt(0) - 0x61];
      if (keyword === undefined || keyword === "") {
        problems.push(`Keyword letter ${JSON.stringify(letter)} not in dovecot-keywords`);
      } else collected.push(keyword);
    } else {
      problems.push(`Unknown maildir flag letter dropped: ${JSON.stringify(letter)}`);
    }
  }
  const { flags, rejected } = canonicalFlags(collected);
  for (const r of rejected) problems.push(`Invalid keyword dropped: ${JSON.stringify(r)}`);
  return { flags, problems };
}

/** The info after the separator, or undefined when the name has none. */
function infoOf(filename: string): string | undefined {
  const colon = filename.lastIndexOf(":");
  if (colon >= 0) return filename.slice(colon + 1);
  const alt = Math.max(filename.lastIndexOf(";2,"), filename.lastIndexOf("!2,"));
  return alt >= 0 ? filename.slice(alt + 1) : undefined;
}

/**
 * Parses a `dovecot-keywords` file: lines `<index> <keyword>`, index 0–25. Returns the
 * list by index, "" where an index is unused; malformed lines, indexes past 25 and
 * invalid keywords are skipped with a problem naming the 1-based line.
 */
export function parseDovecotKeywords(text: string): { keywords: string[]; problems: string[] } {
  const keywords: string[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const m = /^(\d{1,3})\s+(\S+)$/.exec(line);
    const index = m === null ? -1 : Number(m[1]);
    const keyword = m?.[2] ?? "";
    if (index < 0 || index >= maxMaildirKeywords || !isKeyword(keyword)) {
      problems.push(`dovecot-keywords line ${i + 1} skipped: ${JSON.stringify(raw)}`);
      return;
    }
    while (keywords.length <= index) keywords.push("");
    keywords[index] = keyword;
  });
  return { keywords, problems };
}

/** The `dovecot-keywords` text for a keyword list ("" entries are left out). */
export function formatDovecotKeywords(keywords: readonly string[]): string {
  return keywords.map((k, i) => k === "" ? "" : `${i} ${k}\n`).join("");
}

/** What {@linkcode maildirFilename} returns. */
export interface MaildirName {
  /** `<uniq><separator>2,<letters>`, letters in ASCII order. */
  name: string;
  /** The keyword list with new keywords in free or appended slots; write it back. */
  keywords: string[];
  /** Keywords that found no letter (all 26 taken); the caller reports them. */
  unstored: string[];
}

/**
 * A maildir file name for export, with flag letters in ASCII order and keywords as
 * Dovecot letters. `keywords` is the current `dovecot-keywords` list; it is not changed.
 *
 * @throws RangeError for an unusable `uniq` (empty, ".", "..", "/", NUL or the
 *   separator in it) or a flag that is neither a system flag nor an IMAP keyword
 */
export function maildirFilename(opts: {
  uniq: string;
  flags: readonly string[];
  keywords?: readonly string[];
  separator?: MaildirInfoSeparator;
}): MaildirName {
  const separator = opts.separator ?? ":";
  const { uniq } = opts;
  if (
    uniq === "" || uniq === "." || uniq === ".." || /[/\0]/.test(uniq) ||
    uniq.includes(separator)
  ) {
    throw new RangeError(`Cannot name maildir file: invalid unique part ${JSON.stringify(uniq)}`);
  }
  const { flags, rejected } = canonicalFlags(opts.flags);
  const bad = rejected.filter((f) => f.toLowerCase() !== "\\recent");
  if (bad.length > 0) {
    throw new RangeError(`Cannot name maildir file: invalid flag ${JSON.stringify(bad[0])}`);
  }
  const keywords = [...(opts.keywords ?? [])];
  const letters: string[] = [];
  const unstored: string[] = [];
  for (const flag of flags) {
    const letter = flagLetters.get(flag.toLowerCase());
    if (letter !== undefined) {
      letters.push(letter);
      continue;
    }
    let index = keywords.findIndex((k) => k.toLowerCase() === flag.toLowerCase());
    if (index < 0) {
      index = keywords.indexOf("");
      if (index < 0 && keywords.length < maxMaildirKeywords) index = keywords.length;
      if (index < 0) {
        unstored.push(flag);
        continue;
      }
      keywords[index] = flag;
    }
    if (index >= maxMaildirKeywords) {
      unstored.push(flag);
      continue;
    }
    letters.push(String.fromCharCode(0x61 + index));
  }
  letters.sort();
  return { name: `${uniq}${separator}2,${letters.join("")}`, keywords, unstored };
}

/**
 * LF line endings to CRLF (RFC 5322 §2.1), for importing maildir files, which are
 * usually written with LF. CRLF stays; a lone CR stays. Returns `message` itself when
 * there is no bare LF.
 */
export function normalizeLineEndings(message: Uint8Array): Uint8Array {
  let bare = 0;
  for (let i = message.indexOf(0x0a); i >= 0; i = message.indexOf(0x0a, i + 1)) {
    if (i === 0 || message[i - 1] !== 0x0d) bare++;
  }
  if (bare === 0) return message;
  const out = new Uint8Array(message.length + bare);
  let at = 0;
  let start = 0;
  for (let i = message.indexOf(0x0a); i >= 0; i = message.indexOf(0x0a, i + 1)) {
    if (i > 0 && message[i - 1] === 0x0d) continue;
    out.set(message.subarray(start, i), at);
    at += i - start;
    out[at++] = 0x0d;
    out[at++] = 0x0a;
    start = i + 1;
  }
  out.set(message.subarray(start), at);
  return out;
}

/**
 * CRLF line endings to LF, for writing maildir files as mutt and Dovecot do. A lone CR
 * stays. Returns `message` itself when there is no CRLF.
 */
export function lfLineEndings(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length);
  let at = 0;
  for (let i = 0; i < message.length; i++) {
    const byte = message[i] as number;
    if (byte === 0x0d && message[i + 1] === 0x0a) continue;
    out[at++] = byte;
  }
  return at === message.length ? message : out.slice(0, at);
}
