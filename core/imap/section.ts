/**
 * The octets of BODY[section]<partial> (RFC 9051 §6.4.5) and BINARY[section] /
 * BINARY.SIZE[section] (RFC 3516 §4.2) of a stored message, located by its core/mime
 * structure so that large parts are read from the store by range, never loaded whole.
 *
 * Contract: parsing the section text is the command parser's job; this module takes the
 * parsed {@linkcode Section}. Offsets it returns are into the stored file (delivery
 * prefix included, see {@linkcode StoredMessage}). A section that does not exist (part 9
 * of a two-part message, HEADER of a part that is not a message) is the empty string,
 * as Dovecot answers. Use it in two steps when the file is not in memory:
 * 1. {@linkcode locateSection} / {@linkcode locateBinary} with the structure alone give a
 *    {@linkcode SectionPlan}: a byte range, or a header range to filter (HEADER.FIELDS),
 *    or a body range to decode (BINARY of base64 or quoted-printable);
 * 2. read the planned range and finish with {@linkcode clipRange} (for a plain range),
 *    {@linkcode filterHeaderFields} or {@linkcode decodeBody}, then {@linkcode clip}.
 * {@linkcode sectionBytes}, {@linkcode binaryBytes} and {@linkcode binarySize} do both
 * steps on a file held in memory. Sending is the session's: BINARY data that holds NUL
 * must go as literal8 (RFC 3516 §4.2 `~{n}`); Dovecot uses it for all decoded data.
 *
 * Implementation notes:
 * - Part numbers (RFC 9051 §6.4.5): a multipart's parts are numbered from 1; a message
 *   that is not multipart (the top-level one, or one embedded in message/rfc822) has
 *   only part 1, its body; numbering continues inside an embedded message. A body part
 *   that is neither multipart nor a message has no parts below it.
 * - MIME is the part's own header including the blank line; for part 1 of a
 *   non-multipart message that is the message header. HEADER, HEADER.FIELDS[.NOT] and
 *   TEXT of part n need n to be message/rfc822 (or message/global) and refer to the
 *   embedded message. HEADER and MIME include the blank line that ends the header.
 * - HEADER.FIELDS returns the matching fields as written (folded lines kept, in message
 *   order) and then the blank line that ends the header, also when nothing matched.
 *   RFC 9051 §6.4.5: "the blank line is included in all header fetches, except in the
 *   case of a message which has no body and no blank line" (Dovecot adds one anyway).
 * - BINARY decodes base64 and quoted-printable leniently, as RFC 2045 §6.7 and §6.8 ask
 *   of decoders; 7bit, 8bit and binary are the identity; containers (multipart,
 *   message/*) are sent as stored, since their encoding is always the identity
 *   (RFC 2045 §6.4). Any other encoding is {@linkcode SectionError} "UnknownCte".
 *
 * Known differences from Dovecot 2.3 (named as in tests/imap_dovecot_render_test.ts):
 * - leaf-subpart: BODY[n.1] of a body part n that is neither multipart nor a message
 *   is empty (RFC 9051 §6.4.5 gives only messages a part 1); Dovecot returns part n.
 * - header-fields-no-blank-line: HEADER.FIELDS of a header without blank line has no
 *   blank line (RFC 9051 §6.4.5); Dovecot appends CRLF.
 * - binary-lenient-decoding: bad quoted-printable or base64 is decoded leniently
 *   (RFC 2045 §6.7, §6.8); Dovecot answers NO [PARSE].
 * - binary-invalid-cte: an unparsable Content-Transfer-Encoding is 7bit here as in
 *   BODYSTRUCTURE; Dovecot's BINARY answers NO [UNKNOWN-CTE].
 * - binary-container: BINARY[] and BINARY of multipart/message parts are the stored
 *   octets (identity encoding, RFC 2045 §6.4); Dovecot decodes the parts inside and
 *   rewrites their headers.
 * - binary-size-sibling: BINARY.SIZE[n] depends on part n only (RFC 3516 §4.3);
 *   Dovecot fails it once another part of the message fails to decode.
 * - bare-lf, unsplittable-multipart, message-global: as in render.ts.
 *
 * @module
 */

import { decodeBase64Lenient, decodeQuotedPrintable } from "../mime/text.ts";
import type { Part } from "../mime/structure.ts";
import { rawFields } from "./_render_fields.ts";
import type { StoredMessage } from "./render.ts";

/** The section-text of RFC 9051 §6.4.5; undefined means the whole part (or message). */
export type SectionText = "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";

/** A parsed BODY[section] (RFC 9051 §6.4.5 section-spec). */
export interface Section {
  /** Part numbers from the top, each >= 1; [] is the message itself. */
  part: number[];
  /** What of the part; MIME needs a non-empty `part`. */
  text?: SectionText;
  /** Field names for HEADER.FIELDS and HEADER.FIELDS.NOT, matched case-insensitively. */
  fields?: string[];
}

/** `<start.count>` of RFC 9051 §6.4.5: at most `count` octets from octet `start`. */
export interface Partial {
  start: number;
  count: number;
}

/** Where a section's octets come from; offsets are into the stored file. */
export type SectionPlan =
  /** The octets `[start, end)` as stored. */
  | { kind: "range"; start: number; end: number }
  /** HEADER.FIELDS[.NOT]: the HEADER octets `[start, end)`, to filter with {@linkcode filterHeaderFields}. */
  | { kind: "fields"; start: number; end: number; fields: string[]; not: boolean }
  /** BINARY of an encoded part: the body `[start, end)`, to decode with {@linkcode decodeBody}. */
  | { kind: "decode"; start: number; end: number; encoding: "base64" | "quoted-printable" };

/** Failures a session must tell apart, by stable `code`. */
export const sectionErrors = {
  /** RFC 3516 §4.2: the part's Content-Transfer-Encoding is unknown → NO [UNKNOWN-CTE]. */
  UnknownCte: "Cannot decode part: unknown Content-Transfer-Encoding",
  /** A section the grammar does not allow (MIME of the message, part number 0) → BAD. */
  InvalidSection: "Cannot locate section: invalid section",
} as const;

/** A failure of this module, with a stable {@linkcode sectionErrors} code. */
export class SectionError extends Error {
  override readonly name = "SectionError";
  constructor(readonly code: keyof typeof sectionErrors, detail?: string) {
    super(detail === undefined ? sectionErrors[code] : `${sectionErrors[code]}: ${detail}`);
  }
}

function isMessage(part: Part): boolean {
  return part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global") &&
    part.parts.length === 1;
}

/**
 * The part at `path` (RFC 9051 §6.4.5 numbering, see the module notes); the root for
 * []; undefined when there is no such part.
 *
 * @throws {SectionError} "InvalidSection" for a part number below 1
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.4.5
 */
export function findPart(root: Part, path: readonly number[]): Part | undefined {
  let cur = root;
  let atMessage = true; // cur is a message (top-level or embedded), not a body part
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    if (!Number.isSafeInteger(n) || n < 1) throw new SectionError("InvalidSection", `part ${n}`);
    if (cur.type === "multipart") {
      const child = cur.parts[n - 1];
      if (child === undefined) return undefined;
      cur = child;
    } else if (n !== 1 || !atMessage) {
      return undefined;
    } // else: part 1 of a non-multipart message is that message's body: cur stays
    atMessage = false;
    if (i < path.length - 1 && isMessage(cur)) {
      // RFC 9051 §6.4.5: numbering continues inside an encapsulated message.
      cur = cur.parts[0]!;
      atMessage = true;
    }
  }
  return cur;
}

const empty: SectionPlan = { kind: "range", start: 0, end: 0 };

/**
 * Where BODY[section] comes from, from the structure alone.
 *
 * @throws {SectionError} "InvalidSection" for MIME without a part, or a part number below 1
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.4.5
 */
export function locateSection(root: Part, prefixSize: number, section: Section): SectionPlan {
  const { text } = section;
  if (text === "MIME" && section.part.length === 0) {
    throw new SectionError("InvalidSection", "MIME needs a part number");
  }
  const part = findPart(root, section.part);
  if (part === undefined) return empty;
  const headerStart = (p: Part) => p === root ? 0 : prefixSize + p.headerStart;
  if (text === undefined) {
    return section.part.length === 0
      ? { kind: "range", start: 0, end: prefixSize + root.bodyEnd }
      : { kind: "range", start: prefixSize + part.bodyStart, end: prefixSize + part.bodyEnd };
  }
  if (text === "MIME") {
    return { kind: "range", start: headerStart(part), end: prefixSize + part.bodyStart };
  }
  // HEADER, HEADER.FIELDS[.NOT], TEXT: of the message, or of the message part n encloses.
  let message = part;
  if (section.part.length > 0) {
    if (!isMessage(part)) return empty;
    message = part.parts[0]!;
  }
  switch (text) {
    case "HEADER":
      return { kind: "range", start: headerStart(message), end: prefixSize + message.bodyStart };
    case "TEXT":
      return {
        kind: "range",
        start: prefixSize + message.bodyStart,
        end: prefixSize + message.bodyEnd,
      };
    case "HEADER.FIELDS":
    case "HEADER.FIELDS.NOT":
      return {
        kind: "fields",
        start: headerStart(message),
        end: prefixSize + message.bodyStart,
        fields: section.fields ?? [],
        not: text === "HEADER.FIELDS.NOT",
      };
  }
}

/**
 * Where BINARY[part] comes from (RFC 3516 §4.2): the stored octets, or a body to decode.
 *
 * @throws {SectionError} "UnknownCte" for a transfer encoding we cannot decode,
 *   "InvalidSection" for a part number below 1
 * @see https://www.rfc-editor.org/rfc/rfc3516#section-4.2
 */
export function locateBinary(root: Part, prefixSize: number, path: readonly number[]): SectionPlan {
  const part = findPart(root, path);
  if (part === undefined) return empty;
  if (path.length === 0) return { kind: "range", start: 0, end: prefixSize + root.bodyEnd };
  const start = prefixSize + part.bodyStart;
  const end = prefixSize + part.bodyEnd;
  if (part.type === "multipart" || isMessage(part)) return { kind: "range", start, end };
  switch (part.encoding) {
    case "7bit":
    case "8bit":
    case "binary":
      return { kind: "range", start, end };
    case "base64":
    case "quoted-printable":
      return { kind: "decode", start, end, encoding: part.encoding };
    default:
      throw new SectionError("UnknownCte", part.encoding);
  }
}

/**
 * `[start, end)` narrowed to `partial` (RFC 9051 §6.4.5: past the end is empty).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.4.5
 */
export function clipRange(
  start: number,
  end: number,
  partial?: Partial,
): { start: number; end: number } {
  if (partial === undefined) return { start, end };
  const from = Math.min(end, start + partial.start);
  return { start: from, end: Math.min(end, from + partial.count) };
}

/**
 * `bytes` narrowed to `partial`; a view, not a copy.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.4.5
 */
export function clip(bytes: Uint8Array, partial?: Partial): Uint8Array {
  const { start, end } = clipRange(0, bytes.length, partial);
  return bytes.subarray(start, end);
}

/**
 * HEADER.FIELDS (or with `not`, HEADER.FIELDS.NOT) from the octets of BODY[HEADER]: the
 * fields named (or not named) in `fields`, as written and in order, then the header's
 * blank line if it has one.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.4.5
 */
export function filterHeaderFields(
  header: Uint8Array,
  fields: readonly string[],
  not: boolean,
): Uint8Array {
  const wanted = new Set(fields.map((f) => f.toLowerCase()));
  const chunks: Uint8Array[] = [];
  let length = 0;
  let fieldsEnd = 0;
  for (const field of rawFields(header, 0, header.length)) {
    fieldsEnd = field.end;
    if (wanted.has(field.name.toLowerCase()) === not) continue;
    const lines = header.subarray(field.start, field.end);
    chunks.push(lines);
    length += lines.length;
  }
  const blankLine = header.subarray(fieldsEnd); // empty when the header has none
  chunks.push(blankLine);
  length += blankLine.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Decodes a part body for BINARY, leniently (RFC 2045 §6.7, §6.8).
 *
 * @see https://www.rfc-editor.org/rfc/rfc3516#section-4.2
 */
export function decodeBody(body: Uint8Array, encoding: "base64" | "quoted-printable"): Uint8Array {
  return encoding === "base64" ? decodeBase64Lenient(body) : decodeQuotedPrintable(body);
}

/** The full octets of a plan, on a file in memory. */
function planBytes(file: Uint8Array, plan: SectionPlan): Uint8Array {
  const slice = file.subarray(plan.start, plan.end);
  switch (plan.kind) {
    case "range":
      return slice;
    case "fields":
      return filterHeaderFields(slice, plan.fields, plan.not);
    case "decode":
      return decodeBody(slice, plan.encoding);
  }
}

/**
 * BODY[section]<partial> of a message held in memory.
 *
 * @throws {SectionError} see {@linkcode locateSection}
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.4.5
 */
export function sectionBytes(msg: StoredMessage, section: Section, partial?: Partial): Uint8Array {
  return clip(planBytes(msg.file, locateSection(msg.root, msg.prefixSize, section)), partial);
}

/**
 * BINARY[part]<partial> of a message held in memory.
 *
 * @throws {SectionError} see {@linkcode locateBinary}
 * @see https://www.rfc-editor.org/rfc/rfc3516#section-4.2
 */
export function binaryBytes(
  msg: StoredMessage,
  path: readonly number[],
  partial?: Partial,
): Uint8Array {
  return clip(planBytes(msg.file, locateBinary(msg.root, msg.prefixSize, path)), partial);
}

/**
 * BINARY.SIZE[part] (RFC 3516 §4.3): the octets BINARY[part] would return.
 *
 * @throws {SectionError} see {@linkcode locateBinary}
 * @see https://www.rfc-editor.org/rfc/rfc3516#section-4.3
 */
export function binarySize(msg: StoredMessage, path: readonly number[]): number {
  const plan = locateBinary(msg.root, msg.prefixSize, path);
  return plan.kind === "range" ? plan.end - plan.start : planBytes(msg.file, plan).length;
}
