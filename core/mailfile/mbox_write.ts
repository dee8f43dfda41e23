/**
 * Writes one message in mboxrd form for export; concatenating the results gives an mbox
 * file that {@linkcode readMbox} reads back to the same messages and flags.
 *
 * Output, per RFC 4155 Appendix A with mboxrd escaping:
 * - a From_ line `From <sender> <asctime UTC date>`;
 * - the message with LF line endings (a CR before LF is dropped, a lone CR kept), a line
 *   ending added to an unterminated last line;
 * - every line matching `^>*From ` gains one ">" (mboxrd: reversible, unlike mboxo);
 * - Status, X-Status and X-Keywords fields in the header replaced by ones for `flags`,
 *   placed at the end of the header section (the whole message when it has no empty
 *   line);
 * - one empty line after the message, the separator before the next From_ line.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4155
 * @module
 */

import { ascii, ByteBuffer, latin1 } from "./_bytes.ts";
import { canonicalFlags, flagFieldNames, headerFields } from "./_flags.ts";
import { asctime } from "./_from_line.ts";

/** Options of {@linkcode writeMboxMessage}. */
export interface MboxWriteOptions {
  /** Envelope sender for the From_ line; default "MAILER-DAEMON". Printable ASCII only. */
  from?: string;
  /**
   * Date for the From_ line (the message's internal date); default the message's Date
   * field when it parses, else the epoch.
   */
  date?: Date;
  /** IMAP flags and keywords; \Recent is ignored. */
  flags?: readonly string[];
}

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;

/**
 * One message as mboxrd bytes (From_ line to separator line included).
 *
 * @throws RangeError for a sender with whitespace or controls, an invalid date, or a
 *   flag that is neither a system flag nor an IMAP keyword atom
 * @see https://www.rfc-editor.org/rfc/rfc4155
 */
export function writeMboxMessage(message: Uint8Array, opts: MboxWriteOptions = {}): Uint8Array {
  const sender = opts.from ?? "MAILER-DAEMON";
  if (!/^[\x21-\x7e]+$/.test(sender)) {
    throw new RangeError(`Cannot write mbox message: invalid sender ${JSON.stringify(sender)}`);
  }
  const date = opts.date ?? dateField(message) ?? new Date(0);
  if (Number.isNaN(date.getTime())) {
    throw new RangeError("Cannot write mbox message: invalid date");
  }
  const { flags, rejected } = canonicalFlags(opts.flags ?? []);
  const bad = rejected.filter((f) => f.toLowerCase() !== "\\recent");
  if (bad.length > 0) {
    throw new RangeError(`Cannot write mbox message: invalid flag ${JSON.stringify(bad[0])}`);
  }

  const out = new ByteBuffer(message.length + 256);
  out.append(new TextEncoder().encode(`From ${sender} ${asctime(date)}\n`));
  let inHeader = true;
  let dropping = false; // inside a Status/X-Status/X-Keywords field being replaced
  for (const line of lines(message)) {
    if (inHeader) {
      if (line.length === 0) {
        out.append(flagFields(flags));
        inHeader = false;
      } else if (line[0] === 0x20 || line[0] === 0x09) {
        if (dropping) continue;
      } else {
        dropping = isFlagField(line);
        if (dropping) continue;
      }
    }
    if (isFromLike(line)) out.appendByte(GT);
    out.append(line);
    out.appendByte(LF);
  }
  if (inHeader) out.append(flagFields(flags));
  out.appendByte(LF);
  return out.take();
}

/** The message's lines without line endings; a final line ending adds no empty line. */
function* lines(message: Uint8Array): Generator<Uint8Array> {
  let start = 0;
  while (start < message.length) {
    const lf = message.indexOf(LF, start);
    const end = lf < 0 ? message.length : lf;
    const cut = lf >= 0 && end > start && message[end - 1] === CR ? end - 1 : end;
    yield message.subarray(start, cut);
    start = end + 1;
  }
}

/** True for `^>*From `, the lines mboxrd escapes. */
function isFromLike(line: Uint8Array): boolean {
  let i = 0;
  while (line[i] === GT) i++;
  return line[i] === 0x46 && line[i + 1] === 0x72 && line[i + 2] === 0x6f &&
    line[i + 3] === 0x6d && line[i + 4] === 0x20;
}

function isFlagField(line: Uint8Array): boolean {
  const head = latin1(line.subarray(0, 16));
  const colon = head.indexOf(":");
  if (colon <= 0) return false;
  const name = head.slice(0, colon).trimEnd().toLowerCase();
  return (flagFieldNames as readonly string[]).includes(name);
}

/** Status / X-Status / X-Keywords lines (LF endings) for canonical flags. */
function flagFields(flags: readonly string[]): Uint8Array {
  const has = (f: string) => flags.includes(f);
  // Status: R = seen; O = no longer new (every exported message is old).
  let text = `Status: ${has("\\Seen") ? "R" : ""}O\n`;
  const x = (has("\\Answered") ? "A" : "") + (has("\\Flagged") ? "F" : "") +
    (has("\\Draft") ? "T" : "") + (has("\\Deleted") ? "D" : "");
  if (x !== "") text += `X-Status: ${x}\n`;
  const keywords = flags.filter((f) => !f.startsWith("\\"));
  if (keywords.length > 0) text += `X-Keywords: ${keywords.join(" ")}\n`;
  return ascii(text);
}

/** The Date field (RFC 5322 §3.6.1) when the platform parses it. */
function dateField(message: Uint8Array): Date | undefined {
  const field = headerFields(message, ["date"])[0];
  if (field === undefined) return undefined;
  const date = new Date(field[1].replace(/\s*\([^)]*\)\s*$/, ""));
  return Number.isNaN(date.getTime()) ? undefined : date;
}
