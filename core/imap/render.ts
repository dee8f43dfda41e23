/**
 * ENVELOPE, BODY and BODYSTRUCTURE for IMAP FETCH (RFC 9051 §7.5.2, RFC 3501 §7.4.2), as
 * pure functions over a stored message and its core/mime structure.
 *
 * Contract: a {@linkcode StoredMessage} is the stored file and what the store keeps
 * beside it. The file is `prefixSize` octets of header lines added at delivery
 * (Received, Delivered-To…) followed by the message as received; `root` is
 * `parseStructure(file.subarray(prefixSize))`, so every `Part` offset is relative to
 * the message without the prefix. IMAP sees the prefix as the start of the message
 * header: it is part of BODY[HEADER] and is searched for ENVELOPE fields, and it never
 * changes the body octet counts. The functions here never throw and return the octets
 * to send (8-bit header octets are passed through as written).
 *
 * Implementation notes:
 * - Header values are taken raw from the stored octets (encoded words are not decoded,
 *   as RFC 9051 §7.5.2 wants the header as written); types, parameters, dispositions
 *   and transfer encodings keep the case the sender wrote.
 * - Which parts exist, their types, sizes and line counts come from core/mime's
 *   structure; the raw header is consulted only for how to spell what it found. A part
 *   the structure re-typed (an unopenable multipart, say, shown as
 *   application/octet-stream) is shown with the structure's type and the declared
 *   parameters.
 * - String forms (quoted or literal, whitespace clean-up of subjects and display names,
 *   "charset" "us-ascii" added to text/* parameters, MISSING_DOMAIN fill-ins, duplicate
 *   envelope fields: the last Date/Subject/Message-ID/In-Reply-To counts, address
 *   fields are joined) follow Dovecot 2.3, so clients see what they see from it.
 * - UTF-8: without UTF8=ACCEPT an 8-bit octet forces a literal; with it (RFC 6855 §3,
 *   RFC 9051 §4.3) valid UTF-8 may be quoted.
 *
 * Known differences from Dovecot 2.3, by the names tests/imap_dovecot_render_test.ts
 * gives them (each difference there must match one; each names the rule we follow):
 * - lines-last-line: body-fld-lines counts a last line without a line break (core/mime
 *   `Part.lines`; RFC 9051 §7.5.2 "size of the body in text lines"); Dovecot counts LFs.
 * - bare-lf: we count and serve the stored octets; Dovecot rewrites LF to CRLF on the
 *   fly and counts that (RFC 5322 §2.2 wants CRLF; storing it is not FETCH's business).
 * - invalid-content-type: an invalid Content-Type is text/plain; charset=us-ascii
 *   (RFC 2045 §5.2); Dovecot shows the broken type.
 * - invalid-disposition: an invalid Content-Disposition is NIL (RFC 2183 §2); Dovecot
 *   shows an empty disposition type.
 * - unsplittable-multipart: a multipart without boundary or delimiter (RFC 2046 §5.1.1)
 *   is an application/octet-stream leaf; Dovecot invents an empty text/plain child.
 * - message-global: message/global encapsulates a message (RFC 9051 §7.5.2
 *   body-type-msg, RFC 6532 §3.7); Dovecot 2.3 treats it as a leaf.
 * - non-mime-content-fields: Content-Transfer-Encoding etc. count without MIME-Version
 *   (core/mime's leniency; RFC 2045 §4 asks for MIME-Version); Dovecot ignores them
 *   unless MIME-Version or Content-Type is present.
 * - leaf-subpart, header-fields-no-blank-line, binary-*: see section.ts.
 *
 * @module
 */

import { problems } from "../mime/problem.ts";
import type { Part } from "../mime/structure.ts";
import { type Address, parseAddressList } from "./_render_address.ts";
import {
  firstField,
  parseRawLanguages,
  parseRawMedia,
  type RawField,
  rawFields,
  type RawParam,
} from "./_render_fields.ts";
import { humanString, nstring, nstringNoLf, octets, quoted } from "./_render_quote.ts";

/** A stored message: the file and what the store keeps beside it (see the module docs). */
export interface StoredMessage {
  /** The stored file: `prefixSize` octets of delivery header lines, then the message. */
  file: Uint8Array;
  /** Octets of delivery header lines at the start of `file`. */
  prefixSize: number;
  /** `parseStructure(file.subarray(prefixSize))`. */
  root: Part;
}

/** How strings may be sent. */
export interface RenderOptions {
  /**
   * UTF8=ACCEPT is enabled (RFC 6855 §3): valid UTF-8 may go in quoted strings.
   * Default false: 8-bit octets force a literal.
   */
  utf8?: boolean;
}

/** `[start, end)` of a part's header block in the stored file (the root's includes the prefix). */
function headerRange(msg: StoredMessage, part: Part): [number, number] {
  const start = part === msg.root ? 0 : msg.prefixSize + part.headerStart;
  return [start, msg.prefixSize + part.headerEnd];
}

function fieldsOf(msg: StoredMessage, part: Part): RawField[] {
  const [start, end] = headerRange(msg, part);
  return rawFields(msg.file, start, end);
}

/** The ENVELOPE fields of a header, in RFC 9051 §7.5.2 order. */
interface EnvelopeData {
  date?: string;
  subject?: string;
  from: Address[];
  sender: Address[];
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  inReplyTo?: string;
  messageId?: string;
}

const addressFields = {
  from: "from",
  sender: "sender",
  "reply-to": "replyTo",
  to: "to",
  cc: "cc",
  bcc: "bcc",
} as const;

const stringFields = {
  date: "date",
  subject: "subject",
  "in-reply-to": "inReplyTo",
  "message-id": "messageId",
} as const;

function envelopeData(fields: RawField[]): EnvelopeData {
  const data: EnvelopeData = { from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [] };
  for (const field of fields) {
    const name = field.name.toLowerCase();
    if (Object.hasOwn(addressFields, name)) {
      // RFC 5322 §3.6 allows each once; a repeated one is joined to the first, so a
      // second From cannot hide behind the first (Dovecot does the same).
      data[addressFields[name as keyof typeof addressFields]].push(
        ...parseAddressList(field.value),
      );
    } else if (Object.hasOwn(stringFields, name)) {
      data[stringFields[name as keyof typeof stringFields]] = field.value; // the last one counts
    }
  }
  return data;
}

function addressList(list: Address[], utf8: boolean): string {
  if (list.length === 0) return "NIL";
  let out = "(";
  for (const a of list) {
    out += `(${a.name === undefined ? "NIL" : humanString(a.name, utf8)} ${
      nstring(a.route, utf8)
    } ${nstring(a.mailbox, utf8)} ${nstring(a.domain, utf8)})`;
  }
  return `${out})`;
}

function envelopeString(msg: StoredMessage, part: Part, utf8: boolean): string {
  const d = envelopeData(fieldsOf(msg, part));
  // RFC 9051 §7.5.2: sender and reply-to default to from when absent.
  const sender = d.sender.length > 0 ? d.sender : d.from;
  const replyTo = d.replyTo.length > 0 ? d.replyTo : d.from;
  return `(${nstringNoLf(d.date, utf8)} ${
    d.subject === undefined ? "NIL" : humanString(d.subject, utf8)
  } ${addressList(d.from, utf8)} ${addressList(sender, utf8)} ${addressList(replyTo, utf8)} ${
    addressList(d.to, utf8)
  } ${addressList(d.cc, utf8)} ${addressList(d.bcc, utf8)} ${nstringNoLf(d.inReplyTo, utf8)} ${
    nstringNoLf(d.messageId, utf8)
  })`;
}

/**
 * The ENVELOPE of `part`, which is the message itself (`msg.root`) or an embedded
 * message (the child of a message/rfc822 part): a parenthesized list of date, subject,
 * from, sender, reply-to, to, cc, bcc, in-reply-to and message-id.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-7.5.2
 */
export function envelope(
  msg: StoredMessage,
  part: Part = msg.root,
  options: RenderOptions = {},
): Uint8Array {
  return octets(envelopeString(msg, part, options.utf8 === true));
}

function isMessage(part: Part): boolean {
  return part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global") &&
    part.parts.length === 1;
}

/** What BODYSTRUCTURE shows of one part's MIME header, spelled as written. */
interface MimeView {
  type: string;
  subtype: string;
  params: RawParam[];
  encoding: string;
  id?: string;
  description?: string;
  md5?: string;
  location?: string;
  disposition?: { type: string; params: RawParam[] };
  language?: string[];
}

function mimeView(msg: StoredMessage, part: Part): MimeView {
  const fields = fieldsOf(msg, part);
  const view: MimeView = {
    type: part.type,
    subtype: part.subtype,
    params: [],
    encoding: "7bit",
  };
  const ct = firstField(fields, "content-type");
  const media = ct === undefined ? undefined : parseRawMedia(ct.value, true);
  if (
    media?.subtype !== undefined && part.problems?.includes(problems.invalidContentType) !== true
  ) {
    // Declared parameters stay even when core/mime re-typed the part (see the notes).
    view.params = media.params;
    if (
      media.type.toLowerCase() === part.type && media.subtype.toLowerCase() === part.subtype
    ) {
      view.type = media.type;
      view.subtype = media.subtype;
    }
  }
  const cte = firstField(fields, "content-transfer-encoding");
  if (cte !== undefined && part.problems?.includes(problems.invalidEncoding) !== true) {
    const token = parseRawMedia(cte.value, false).type;
    if (token.toLowerCase() === part.encoding) view.encoding = token;
  }
  const id = firstField(fields, "content-id");
  if (id !== undefined) view.id = id.value;
  const description = firstField(fields, "content-description");
  if (description !== undefined) view.description = description.value;
  const md5 = firstField(fields, "content-md5");
  if (md5 !== undefined) view.md5 = md5.value;
  const language = firstField(fields, "content-language");
  if (language !== undefined) view.language = parseRawLanguages(language.value);
  const location = firstField(fields, "content-location");
  if (location !== undefined) view.location = location.value;
  const cd = firstField(fields, "content-disposition");
  if (cd !== undefined && part.disposition !== undefined) {
    const raw = parseRawMedia(cd.value, false);
    const type = raw.type.toLowerCase() === part.disposition.type
      ? raw.type
      : part.disposition.type;
    view.disposition = { type, params: raw.params };
  }
  return view;
}

/** body-fld-param: NIL or a list of name/value strings; text/* gets a default charset. */
function params(list: RawParam[], defaultCharset: boolean, utf8: boolean): string {
  const items = list.map((p) => `${nstring(p.name, utf8)} ${nstring(p.value, utf8)}`);
  // RFC 2045 §5.2: a text part without charset is us-ascii; say so, as servers do.
  if (defaultCharset && !list.some((p) => p.name.toLowerCase() === "charset")) {
    items.push('"charset" "us-ascii"');
  }
  return items.length === 0 ? "NIL" : `(${items.join(" ")})`;
}

/** body-ext-1part/body-ext-mpart after md5 or params: disposition, language, location. */
function extensionTail(view: MimeView, utf8: boolean): string {
  const d = view.disposition;
  const disposition = d === undefined
    ? "NIL"
    : `(${nstring(d.type, utf8)} ${params(d.params, false, utf8)})`;
  const langs = view.language;
  const language = langs === undefined || langs.length === 0
    ? "NIL"
    : `(${langs.map((l) => nstring(l, utf8)).join(" ")})`;
  return ` ${disposition} ${language} ${nstringNoLf(view.location, utf8)}`;
}

function bodyString(msg: StoredMessage, part: Part, extended: boolean, utf8: boolean): string {
  const view = mimeView(msg, part);
  if (part.type === "multipart") {
    // RFC 9051 §7.5.2 body-type-mpart: the children, then the subtype.
    let out = "";
    for (const child of part.parts) out += `(${bodyString(msg, child, extended, utf8)})`;
    out += ` ${nstring(view.subtype, utf8)}`;
    if (extended) out += ` ${params(view.params, false, utf8)}${extensionTail(view, utf8)}`;
    return out;
  }
  const text = part.type === "text";
  const message = isMessage(part);
  let out = message
    ? `"message" ${quoted(part.subtype)}`
    : `${nstring(view.type, utf8)} ${nstring(view.subtype, utf8)}`;
  out += ` ${params(view.params, text, utf8)} ${nstringNoLf(view.id, utf8)} ${
    nstringNoLf(view.description, utf8)
  } ${nstring(view.encoding, utf8)} ${part.octets}`;
  if (text) out += ` ${part.lines}`;
  else if (message) {
    // RFC 9051 §7.5.2 body-type-msg: envelope, body and lines of the embedded message.
    const inner = part.parts[0]!;
    out += ` ${envelopeString(msg, inner, utf8)} (${
      bodyString(msg, inner, extended, utf8)
    }) ${part.lines}`;
  }
  if (extended) out += ` ${nstringNoLf(view.md5, utf8)}${extensionTail(view, utf8)}`;
  return out;
}

/**
 * BODYSTRUCTURE (`extended`) or BODY (not `extended`) of `part` (by default the whole
 * message): a parenthesized body per RFC 9051 §7.5.2, with body-fld-md5, disposition,
 * language, location and multipart extension data when extended, and the envelope,
 * body and line count of embedded messages.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-7.5.2
 */
export function bodyStructure(
  msg: StoredMessage,
  part: Part = msg.root,
  extended = true,
  options: RenderOptions = {},
): Uint8Array {
  return octets(`(${bodyString(msg, part, extended, options.utf8 === true)})`);
}
