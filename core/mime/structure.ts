/**
 * The MIME structure of a message with byte offsets, parsed once at delivery so IMAP
 * (BODYSTRUCTURE, BODY[1.2.MIME], BINARY[…]) can serve any part later by byte range.
 *
 * Contract: {@linkcode parseStructure} takes the whole message (RFC 5322 bytes) and never
 * throws. A malformed message is not rejected: the parts it could make out come back,
 * with `problems` on the parts where something was wrong, so no mail is lost for being
 * odd. Every part satisfies `headerStart <= headerEnd <= bodyStart <= bodyEnd`, and
 * children lie inside their parent's body. Work is linear in the message size per
 * nesting level, and nesting, part count and header size are capped by {@linkcode Limits}.
 *
 * Implementation notes:
 * - Bytes, not text: boundaries and line ends are found with `indexOf` on the
 *   `Uint8Array`; only header field values that matter (Content-*) are decoded.
 * - No recursion: parts wait on an explicit stack, so a nesting bomb cannot overflow the
 *   call stack; past `maxDepth` or `maxParts` a container becomes an opaque leaf.
 * - Invariant for BODYSTRUCTURE: a part of type multipart/* has at least one child and a
 *   message/rfc822 or message/global part has exactly one. A container that cannot be
 *   opened (no boundary found, transfer-encoded, too deep, too many parts) is reported
 *   as application/octet-stream with its declared parameters kept and a problem saying
 *   why; BODY[n.MIME] still shows the header as written.
 * - Line endings: CRLF is canonical (RFC 5322 §2.2); a bare LF is accepted wherever CRLF
 *   is (header lines, the separator, before a boundary) and reported as "bare LF" on the
 *   part whose header has it.
 * - `lines` (IMAP body-fld-lines, RFC 9051 §7.5.2) counts the lines a reader of the body
 *   sees: every LF ends a line, and a non-empty last line without one counts too. With a
 *   multipart part the CRLF before the next delimiter is not in the body, so a
 *   one-line part "Hi" has 1 line, the same as "Hi\r\n" would have.
 * - MIME-Version is not required: Content-* fields are honoured without it, as every
 *   common client and server does.
 */

import { fieldName, type FieldRange, fieldValue, scanHeader } from "./_header.ts";
import { splitMultipart } from "./_multipart.ts";
import { parseContentType, parseDisposition, parseLanguages, parseMechanism } from "./_params.ts";
import { type Problem, problems } from "./problem.ts";

/** One MIME entity of a message: the message itself, a body part, or an embedded message. */
export interface Part {
  /** Byte offsets into the message: [start, end) of this part's header block (without the blank line), of its body. */
  headerStart: number;
  headerEnd: number;
  bodyStart: number;
  bodyEnd: number;
  /** Lower-cased type/subtype; defaults per RFC 2045 §5.2 (text/plain; charset=us-ascii), or message/rfc822 inside multipart/digest (RFC 2046 §5.1.5). */
  type: string;
  subtype: string;
  /** Content-Type parameters, names lower-cased; RFC 2231 continuations/charset decoded. */
  params: Record<string, string>;
  /** Content-Transfer-Encoding lower-cased, "7bit" by default (RFC 2045 §6.1). */
  encoding: string;
  /** Content-ID (RFC 2045 §7), as written. */
  id?: string;
  /** Content-Description (RFC 2045 §8), as written. */
  description?: string;
  /** Content-MD5 (RFC 1864), as written. */
  md5?: string;
  /** Content-Language tags (RFC 3282). */
  language?: string[];
  /** Content-Location (RFC 2557 §4.2), as written. */
  location?: string;
  /** Content-Disposition (RFC 2183), type lower-cased, parameters as for `params`. */
  disposition?: { type: string; params: Record<string, string> };
  /** Body lines (for text/* and message/rfc822|global, per IMAP BODYSTRUCTURE; else 0) and octets. */
  lines: number;
  octets: number;
  /** Children of multipart/*; for message/rfc822|global a single child: the embedded message (whose header is the embedded header, the envelope source). */
  parts: Part[];
  /** What was wrong with this part, from {@linkcode problems}; absent when nothing was. */
  problems?: string[];
}

/** Caps on the work one message can cause. */
export interface Limits {
  /** Deepest part below the top-level message (which is at depth 0). */
  maxDepth: number;
  /** Most parts in all, the top-level message included. */
  maxParts: number;
  /** Header lines interpreted per header block; the rest only delimit the header. */
  maxHeaderLines: number;
  /** Longest physical header line, in octets, whose field is interpreted. */
  maxHeaderLineOctets: number;
}

/** The limits {@linkcode parseStructure} uses for what its caller leaves out. */
export const defaultLimits: Readonly<Limits> = {
  maxDepth: 50,
  maxParts: 10_000,
  maxHeaderLines: 10_000,
  maxHeaderLineOctets: 64 * 1024,
};

interface Context {
  msg: Uint8Array;
  limits: Limits;
  /** Parts created so far. */
  count: number;
}

/**
 * Parses the MIME structure of a whole message; never throws. Limits left out, negative
 * or NaN take their {@linkcode defaultLimits} value.
 *
 * @see https://www.rfc-editor.org/rfc/rfc2045
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5
 */
export function parseStructure(message: Uint8Array, limits: Partial<Limits> = {}): Part {
  const merged: Limits = { ...defaultLimits };
  for (const key of Object.keys(merged) as (keyof Limits)[]) {
    const value = limits[key];
    if (typeof value === "number" && value >= 0) merged[key] = value; // NaN and junk: default
  }
  const ctx: Context = { msg: message, limits: merged, count: 1 };
  const root = readPart(ctx, 0, message.length, false);
  const stack: { part: Part; depth: number }[] = [{ part: root, depth: 0 }];
  while (stack.length > 0) {
    const { part, depth } = stack.pop()!;
    openContainer(ctx, part, depth);
    for (let i = part.parts.length - 1; i >= 0; i--) {
      stack.push({ part: part.parts[i]!, depth: depth + 1 });
    }
    // RFC 9051 §7.5.2: body-fld-lines for text/* and message/rfc822 (and global).
    if (part.type === "text" || isMessage(part)) {
      part.lines = countLines(message, part.bodyStart, part.bodyEnd);
    }
  }
  return root;
}

/** Content-* fields that {@linkcode readPart} interprets, by lower-cased name. */
const mimeFields = new Set([
  "content-type",
  "content-transfer-encoding",
  "content-id",
  "content-description",
  "content-md5",
  "content-language",
  "content-location",
  "content-disposition",
]);

/** Reads the header of the entity `[start, end)` into a part with no children yet. */
function readPart(ctx: Context, start: number, end: number, inDigest: boolean): Part {
  const { msg } = ctx;
  const found = new Set<Problem>();
  const fields = new Map<string, FieldRange>();
  const scan = scanHeader(msg, start, end, ctx.limits, (field) => {
    const length = field.nameEnd - field.start;
    if (length < 10 || length > 25 || (msg[field.start]! | 0x20) !== 0x63) return; // "c"
    const name = fieldName(msg, field).toLowerCase();
    if (!mimeFields.has(name)) return;
    if (fields.has(name)) found.add(problems.duplicateField);
    else fields.set(name, field);
  });
  for (const problem of scan.problems) found.add(problem);
  const value = (name: string) => {
    const field = fields.get(name);
    return field === undefined ? undefined : fieldValue(msg, field);
  };

  const contentType = value("content-type");
  let media = contentType === undefined ? undefined : parseContentType(contentType, found);
  if (contentType !== undefined && media === undefined) found.add(problems.invalidContentType);
  // RFC 2045 §5.2: no or invalid Content-Type means text/plain; charset=us-ascii;
  // RFC 2046 §5.1.5: inside multipart/digest it means message/rfc822.
  media ??= inDigest
    ? { type: "message", subtype: "rfc822", params: {} }
    : { type: "text", subtype: "plain", params: { charset: "us-ascii" } };

  const cte = value("content-transfer-encoding");
  let encoding = cte === undefined ? "7bit" : parseMechanism(cte);
  if (encoding === undefined) {
    found.add(problems.invalidEncoding);
    encoding = "7bit"; // RFC 2045 §6.1: the default
  }

  const part: Part = {
    headerStart: start,
    headerEnd: scan.headerEnd,
    bodyStart: scan.bodyStart,
    bodyEnd: end,
    type: media.type,
    subtype: media.subtype,
    params: media.params,
    encoding,
    lines: 0,
    octets: end - scan.bodyStart,
    parts: [],
  };
  const id = value("content-id");
  if (id !== undefined) part.id = id;
  const description = value("content-description");
  if (description !== undefined) part.description = description;
  const md5 = value("content-md5");
  if (md5 !== undefined) part.md5 = md5;
  const language = value("content-language");
  if (language !== undefined) part.language = parseLanguages(language);
  const location = value("content-location");
  if (location !== undefined) part.location = location;
  const disposition = value("content-disposition");
  if (disposition !== undefined) {
    const parsed = parseDisposition(disposition, found);
    if (parsed === undefined) found.add(problems.invalidDisposition);
    else part.disposition = parsed;
  }
  if (found.size > 0) part.problems = [...found];
  return part;
}

function isMessage(part: Part): boolean {
  return part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global");
}

/** Splits out the children of a multipart or message part, within the limits. */
function openContainer(ctx: Context, part: Part, depth: number): void {
  const multipart = part.type === "multipart";
  if (!multipart && !isMessage(part)) return;
  const { limits } = ctx;
  let problem: Problem | undefined;
  if (part.encoding !== "7bit" && part.encoding !== "8bit" && part.encoding !== "binary") {
    // RFC 2045 §6.4, RFC 2046 §5.2.1: no encoding for multipart and message/rfc822;
    // RFC 6532 §3.5 allows it for message/global, which we then cannot open in place.
    problem = problems.encodedContainer;
  } else if (depth >= limits.maxDepth) {
    problem = problems.nestingTooDeep;
  } else if (ctx.count >= limits.maxParts) {
    problem = problems.tooManyParts;
  } else if (!multipart) {
    // RFC 2046 §5.2.1: the body of message/rfc822 is a whole message.
    part.parts.push(readPart(ctx, part.bodyStart, part.bodyEnd, false));
    ctx.count++;
  } else {
    // RFC 2046 §5.1.1: boundary is required, 1 to 70 characters (longer tolerated).
    const boundary = part.params["boundary"];
    if (boundary === undefined || boundary === "") {
      problem = problems.missingBoundary;
    } else {
      const split = splitMultipart(
        ctx.msg,
        part.bodyStart,
        part.bodyEnd,
        boundary,
        limits.maxParts - ctx.count,
      );
      if (split.ranges.length === 0) problem = problems.noParts;
      else if (split.truncated) addProblem(part, problems.tooManyParts);
      else if (!split.closed) addProblem(part, problems.missingCloseBoundary);
      const inDigest = part.subtype === "digest"; // RFC 2046 §5.1.5
      for (const [start, end] of split.ranges) part.parts.push(readPart(ctx, start, end, inDigest));
      ctx.count += split.ranges.length;
    }
  }
  if (problem !== undefined) {
    part.type = "application";
    part.subtype = "octet-stream";
    addProblem(part, problem);
  }
}

function addProblem(part: Part, problem: Problem): void {
  if (part.problems === undefined) part.problems = [problem];
  else if (!part.problems.includes(problem)) part.problems.push(problem);
}

/** Lines of `[start, end)`: each LF ends one, and a last line without LF counts too. */
function countLines(msg: Uint8Array, start: number, end: number): number {
  // A byte loop: as fast as indexOf on ordinary text, much faster on runs of empty lines.
  let lines = 0;
  for (let i = start; i < end; i++) if (msg[i] === 0x0a) lines++;
  return end > start && msg[end - 1] !== 0x0a ? lines + 1 : lines;
}

/**
 * The fields of a part's header block in order: names as written, values unfolded
 * (RFC 5322 §2.2.3), UTF-8 decoded (RFC 6532 §3.2) and trimmed; `[start, end)` spans
 * the field's lines including the line ending of its last line. No limits apply: the
 * header block was already bounded by {@linkcode parseStructure}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5322#section-2.2
 */
export function headerFields(
  message: Uint8Array,
  part: Part,
): { name: string; value: string; start: number; end: number }[] {
  const out: { name: string; value: string; start: number; end: number }[] = [];
  scanHeader(message, part.headerStart, part.headerEnd, undefined, (field) => {
    out.push({
      name: fieldName(message, field),
      value: fieldValue(message, field),
      start: field.start,
      end: field.end,
    });
  });
  return out;
}

/**
 * The first field called `name` (case-insensitive) in a part's header, unfolded and
 * trimmed as in {@linkcode headerFields}; undefined when there is none.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5322#section-3.6
 */
export function headerValue(message: Uint8Array, part: Part, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value: string | undefined;
  scanHeader(message, part.headerStart, part.headerEnd, undefined, (field) => {
    if (field.nameEnd - field.start !== wanted.length) return false;
    if (fieldName(message, field).toLowerCase() !== wanted) return false;
    value = fieldValue(message, field);
    return true;
  });
  return value;
}
