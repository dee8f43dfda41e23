/**
 * MAIL and RCPT parameters (RFC 5321 §4.1.2 esmtp-param) and the encodings their
 * values use: RFC 3461 xtext, RFC 6533 utf-8-addr-xtext/unitext, RFC 3339 date-time.
 *
 * Implementation notes:
 * - RFC 5321 §4.1.1.11: a parameter we do not know is "UnknownParameter" (555); a known
 *   one with a bad value, a missing or unexpected value, or a repeat is
 *   "InvalidParameter" (501 5.5.4). Nothing is dropped.
 * - Every parameter of every extension we implement is recognised here; whether the
 *   extension is enabled (DSN, FUTURERELEASE, …) is the session's check.
 * - RFC 6531 §3.3: esmtp-value admits UTF-8; only AUTH= and a utf-8 ORCPT use it.
 */

import type { MailParams, NotifyType, OriginalRecipient, RcptParams } from "./command.ts";
import { type Cursor, hasNonAscii } from "./_cursor.ts";
import { smtpLimits } from "./limits.ts";

interface Param {
  /** The keyword, upper case. */
  keyword: string;
  /** The value as sent; undefined when there was no "=". */
  value: string | undefined;
  /** Offset of the keyword in the line. */
  at: number;
}

function isKeywordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d;
}

/** RFC 5321 §4.1.2 esmtp-value = 1*(%d33-60 / %d62-126), RFC 6531 §3.3 =/ UTF8-non-ascii. */
function isValueChar(c: number): boolean {
  return (c >= 0x21 && c <= 0x7e && c !== 0x3d) || c >= 0x80;
}

/**
 * Reads `SP esmtp-param` repeatedly to the end of the line, refusing repeats.
 * @throws SmtpSyntaxError "Syntax" for a malformed parameter, "InvalidParameter" for a repeat
 */
function readParams(c: Cursor): Param[] {
  const params: Param[] = [];
  while (c.trySp()) {
    const at = c.pos;
    // RFC 5321 §4.1.2 esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    const keyword = c.upper.slice(at, at + c.takeWhile(isKeywordChar).length);
    if (keyword === "" || keyword.startsWith("-")) throw c.error("Syntax", "expected parameter");
    const value = c.tryChar("=") ? c.takeWhile(isValueChar) : undefined;
    if (!c.atEnd && c.peekCode() !== 0x20) {
      throw c.error("Syntax", "invalid character in parameter");
    }
    if (params.some((p) => p.keyword === keyword)) {
      throw c.error("InvalidParameter", `duplicate parameter ${keyword}`, at);
    }
    params.push({ keyword, value, at });
  }
  c.expectEnd();
  return params;
}

/** Stores a parameter's value in `params`; returns an error detail or undefined. */
type Handler<P> = (value: string | undefined, params: P, c: Cursor) => string | undefined;

/** Applies each parameter's handler. */
function applyParams<P>(c: Cursor, handlers: ReadonlyMap<string, Handler<P>>, params: P): P {
  for (const { keyword, value, at } of readParams(c)) {
    const handler = handlers.get(keyword);
    if (handler === undefined) {
      throw c.error("UnknownParameter", `unknown parameter ${keyword}`, at);
    }
    const problem = handler(value, params, c);
    if (problem !== undefined) throw c.error("InvalidParameter", `${keyword}: ${problem}`, at);
  }
  return params;
}

/** Upper-cases an ASCII value, or returns undefined for a missing one. */
function upperValue(value: string | undefined): string | undefined {
  return value === undefined || value === ""
    ? undefined
    : value.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/**
 * RFC 3461 §4 xtext: "!".."~" except "+" and "=", and "+" with two upper-case hex
 * digits. Decoded characters must be printable US-ASCII (RFC 3461 §4.2, §4.4); with
 * `utf8`, raw UTF-8 other than C1 controls is kept as well (RFC 6531 §3.3). Returns
 * undefined when invalid.
 */
export function decodeXtext(value: string, utf8 = false): string | undefined {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch === 0x2b) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      const code = parseInt(hex, 16);
      if (code < 0x20 || code > 0x7e) return undefined;
      out += String.fromCharCode(code);
      i += 2;
    } else if ((ch >= 0x21 && ch <= 0x7e && ch !== 0x3d) || (utf8 && ch >= 0xa0)) {
      out += value[i];
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * RFC 6533 §3 utf-8-addr-xtext / utf-8-addr-unitext: QCHAR (printable ASCII except "+",
 * "=", "\"), raw UTF-8, and `\x{HEX}` for any other character except controls. RFC 3461
 * `+HH` escapes are decoded too, reporting `xtext`. Returns undefined when invalid.
 */
export function decodeUtf8AddrXtext(
  value: string,
): { address: string; xtext: boolean } | undefined {
  let address = "";
  let xtext = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch === 0x5c) {
      const m = /^\\x\{([0-9A-Fa-f]{1,6})\}/.exec(value.slice(i, i + 10));
      if (m === null) return undefined;
      const code = parseInt(m[1]!, 16);
      // No controls (C0, DEL, C1): the address ends up in DSN header fields.
      if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return undefined;
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
      address += String.fromCodePoint(code);
      i += m[0].length - 1;
    } else if (ch === 0x2b) {
      const decoded = decodeXtext(value.slice(i, i + 3));
      if (decoded === undefined) return undefined;
      address += decoded;
      xtext = true;
      i += 2;
    } else if ((ch >= 0x21 && ch <= 0x7e && ch !== 0x3d) || ch >= 0xa0) {
      address += value[i];
    } else {
      return undefined;
    }
  }
  return address === "" ? undefined : { address, xtext };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * RFC 3339 §5.6 date-time ("T" and "Z" in either case), checked field by field
 * (Date.parse would roll 02-30 over into March). Returns undefined when invalid.
 */
export function parseDateTime(value: string): Date | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/
      .exec(value);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  if (
    month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!) ||
    hour! > 23 || minute! > 59 || second! > 60 || offsetHours > 23 || offsetMinutes > 59
  ) {
    return undefined;
  }
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const sign = m[8] === "-" ? -1 : 1;
  const utc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, fraction);
  return new Date(utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

const mailHandlers = new Map<string, Handler<MailParams>>([
  // RFC 1870: size-value = 1*20DIGIT. Above 2^53 the number is approximate, which
  // cannot matter: it is far over any limit.
  ["SIZE", (value, p) => {
    if (value === undefined || !/^\d{1,20}$/.test(value)) return "expected 1 to 20 digits";
    p.size = Number(value);
  }],
  // RFC 6152 §2 BODY=8BITMIME, RFC 3030 §3 BODY=BINARYMIME; 7BIT is the default.
  ["BODY", (value, p) => {
    const body = upperValue(value);
    if (body !== "7BIT" && body !== "8BITMIME" && body !== "BINARYMIME") {
      return "expected 7BIT, 8BITMIME or BINARYMIME";
    }
    p.body = body;
  }],
  // RFC 6531 §3.4: SMTPUTF8 has no value.
  ["SMTPUTF8", (value, p) => {
    if (value !== undefined) return "takes no value";
    p.smtputf8 = true;
  }],
  // RFC 8689 §2: REQUIRETLS has no value.
  ["REQUIRETLS", (value, p) => {
    if (value !== undefined) return "takes no value";
    p.requireTls = true;
  }],
  // RFC 3461 §4.3: RET=FULL / RET=HDRS.
  ["RET", (value, p) => {
    const ret = upperValue(value);
    if (ret !== "FULL" && ret !== "HDRS") return "expected FULL or HDRS";
    p.ret = ret;
  }],
  // RFC 3461 §4.4: ENVID=xtext, at most 100 characters.
  ["ENVID", (value, p) => {
    const envid = value === undefined || value === "" ? undefined : decodeXtext(value);
    if (envid === undefined) return "expected xtext";
    if (envid.length > smtpLimits.envidChars) {
      return `longer than ${smtpLimits.envidChars} characters`;
    }
    p.envid = envid;
  }],
  // RFC 4954 §5: AUTH=xtext (a mailbox) or AUTH=<> for "unknown or not authenticated".
  ["AUTH", (value, p) => {
    if (value === "<>") {
      p.auth = null;
      return;
    }
    const auth = value === undefined || value === "" ? undefined : decodeXtext(value, true);
    if (auth === undefined) return "expected xtext or <>";
    p.auth = auth;
  }],
  // RFC 4865: HOLDFOR=1*9DIGIT seconds; not together with HOLDUNTIL.
  ["HOLDFOR", (value, p) => {
    if (value === undefined || !/^\d{1,9}$/.test(value)) return "expected 1 to 9 digits";
    if (p.holdUntil !== undefined) return "not allowed with HOLDUNTIL";
    p.holdFor = Number(value);
  }],
  // RFC 4865: HOLDUNTIL=date-time (RFC 3339).
  ["HOLDUNTIL", (value, p) => {
    const until = value === undefined ? undefined : parseDateTime(value);
    if (until === undefined) return "expected an RFC 3339 date-time";
    if (p.holdFor !== undefined) return "not allowed with HOLDFOR";
    p.holdUntil = until;
  }],
]);

const notifyTypes: readonly string[] = ["SUCCESS", "FAILURE", "DELAY"];

const rcptHandlers = new Map<string, Handler<RcptParams>>([
  // RFC 3461 §4.1: NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ).
  ["NOTIFY", (value, p) => {
    const notify = upperValue(value);
    if (notify === "NEVER") {
      p.notify = "NEVER";
      return;
    }
    const types = notify === undefined ? [] : notify.split(",");
    if (
      types.length === 0 || types.some((t) => !notifyTypes.includes(t)) ||
      new Set(types).size !== types.length
    ) {
      return "expected NEVER or a list of SUCCESS, FAILURE, DELAY";
    }
    p.notify = types as NotifyType[];
  }],
  // RFC 3461 §4.2: ORCPT=addr-type ";" xtext, at most 500 characters in all.
  ["ORCPT", (value, p, c) => {
    if (value === undefined) return "needs a value";
    if ("ORCPT=".length + value.length > smtpLimits.orcptChars) {
      return `longer than ${smtpLimits.orcptChars} characters`;
    }
    const semi = value.indexOf(";");
    const addrType = value.slice(0, semi).toLowerCase();
    // addr-type = atom (RFC 3461 §4.2); "=" cannot occur in an esmtp-value.
    if (semi < 0 || !/^[A-Za-z0-9!#$%&'*+\-/?^_`{|}~]+$/.test(addrType)) {
      return "expected addr-type;address";
    }
    const encoded = value.slice(semi + 1);
    let orcpt: OriginalRecipient | undefined;
    if (addrType === "utf-8") {
      // RFC 6533 §3: utf-8-addr-xtext or utf-8-addr-unitext.
      const decoded = decodeUtf8AddrXtext(encoded);
      if (decoded !== undefined) {
        orcpt = { addrType, address: decoded.address, utf8: hasNonAscii(decoded.address) };
        if (decoded.xtext) c.lenient("xtext-in-utf8-orcpt");
      }
    } else {
      const address = encoded === "" ? undefined : decodeXtext(encoded);
      if (address !== undefined) orcpt = { addrType, address, utf8: false };
    }
    if (orcpt === undefined) return "invalid encoded address";
    p.orcpt = orcpt;
  }],
]);

/**
 * RFC 5321 §4.1.2 Mail-parameters, up to the end of the line.
 * @throws SmtpSyntaxError "Syntax", "InvalidParameter" or "UnknownParameter"
 */
export function expectMailParams(c: Cursor): MailParams {
  return applyParams(c, mailHandlers, { smtputf8: false, requireTls: false });
}

/**
 * RFC 5321 §4.1.2 Rcpt-parameters, up to the end of the line.
 * @throws SmtpSyntaxError "Syntax", "InvalidParameter" or "UnknownParameter"
 */
export function expectRcptParams(c: Cursor): RcptParams {
  return applyParams(c, rcptHandlers, {});
}
