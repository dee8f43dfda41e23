/**
 * RFC 5321 §4.1.2–§4.1.3 address grammar for the command parser: Path, Mailbox,
 * Local-part, Domain and address literals, with RFC 6531 SMTPUTF8 extensions.
 *
 * Implementation notes:
 * - RFC 6531 §3.3: atext, qtextSMTP and sub-domain also admit UTF-8. The parser always
 *   accepts it and marks the address `utf8`; whether SMTPUTF8 was given is the
 *   session's check (a RCPT cannot know what MAIL said).
 * - Domains with U-labels or "xn--" labels go through UTS #46 (node:url domainToASCII,
 *   the WHATWG URL host mapping) and the result must be a valid LDH name; both forms
 *   are kept. Pure ASCII names are only lower-cased.
 * - RFC 5321 §4.1.1.3 and Appendix C: source routes (`<@a,@b:user@c>`) are parsed and
 *   ignored.
 * - RFC 5321 §4.5.3.1: limits are checked in octets, on the A-label form for domains.
 */

import { domainToASCII, domainToUnicode } from "node:url";
import type { AddressLiteral, DomainName, Host, Mailbox } from "./command.ts";
import { type Cursor, hasNonAscii, utf8Length } from "./_cursor.ts";
import { smtpLimits } from "./limits.ts";

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3), plus UTF-8 (RFC 6531 §3.3). */
function isAtext(c: number): boolean {
  return isAlnum(c) || "!#$%&'*+-/=?^_`{|}~".includes(String.fromCharCode(c)) || c >= 0x80;
}

/** Characters a domain is made of, before the labels are checked. */
function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === 0x2d || c === 0x2e || c === 0x5f || c >= 0x80;
}

/** RFC 5321 §4.1.2 Let-dig [Ldh-str]; `_` too when `underscore` is allowed. */
function isLdhLabel(label: string, underscore: boolean): boolean {
  const re = underscore
    ? /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/
    : /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
  return re.test(label);
}

export interface DomainOptions {
  /** Accept `_` in labels, recording "underscore-in-domain" (EHLO/HELO only). */
  underscore?: boolean;
}

/**
 * RFC 5321 §4.1.2 Domain (sub-domain *("." sub-domain)), with RFC 6531 U-labels.
 * @throws SmtpSyntaxError "Syntax" for a bad name, "TooLong" over the limits
 */
export function expectDomain(c: Cursor, options: DomainOptions = {}): DomainName {
  const start = c.pos;
  const text = c.takeWhile(isDomainChar);
  if (text === "") throw c.error("Syntax", "expected domain");
  const utf8 = hasNonAscii(text);
  const labels = text.split(".");
  if (labels.some((l) => l === "")) throw c.error("Syntax", "empty domain label", start);
  let ascii = text.toLowerCase();
  let unicode = ascii;
  if (utf8 || /(?:^|\.)xn--/i.test(text)) {
    // RFC 5890 §2.3.2.1: U-labels become A-labels; an invalid A-label fails here too.
    ascii = domainToASCII(text);
    if (ascii === "" || hasNonAscii(ascii)) {
      throw c.error("Syntax", "invalid internationalized domain name", start);
    }
    unicode = domainToUnicode(ascii);
  }
  let underscore = false;
  for (const label of ascii.split(".")) {
    if (label.length > smtpLimits.labelOctets) {
      throw c.error("TooLong", `domain label longer than ${smtpLimits.labelOctets} octets`, start);
    }
    if (!isLdhLabel(label, options.underscore === true)) {
      throw c.error("Syntax", "invalid domain label", start);
    }
    if (label.includes("_")) underscore = true;
  }
  if (ascii.length > smtpLimits.domainOctets) {
    throw c.error("TooLong", `domain longer than ${smtpLimits.domainOctets} octets`, start);
  }
  if (underscore) c.lenient("underscore-in-domain");
  return { kind: "domain", ascii, unicode, utf8 };
}

/** RFC 5321 §4.1.3 Snum 3("." Snum), each 0–255. */
function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((n) => Number(n) <= 255);
}

/** Counts the IPv6-hex groups of a ":"-separated run, or -1 when one is malformed. */
function hexGroups(s: string): number {
  if (s === "") return 0;
  const groups = s.split(":");
  return groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g)) ? groups.length : -1;
}

/**
 * RFC 5321 §4.1.3 IPv6-addr: IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp. "::"
 * stands for at least two groups, so the compressed forms have at most 6 (or, before
 * an IPv4 tail, 4) groups besides it.
 */
export function isIpv6(s: string): boolean {
  let head = s;
  let groups = 8;
  if (s.includes(".")) {
    const colon = s.lastIndexOf(":");
    if (colon < 0 || !isIpv4(s.slice(colon + 1))) return false;
    head = s.slice(0, colon + 1); // keeps the ":" before the IPv4 part
    groups = 6;
  }
  const double = head.indexOf("::");
  if (double < 0) {
    if (groups === 6) {
      if (!head.endsWith(":")) return false;
      head = head.slice(0, -1);
    }
    return hexGroups(head) === groups;
  }
  if (head.indexOf("::", double + 1) >= 0) return false;
  const left = head.slice(0, double);
  let right = head.slice(double + 2);
  if (groups === 6 && right !== "") {
    if (!right.endsWith(":")) return false;
    right = right.slice(0, -1);
  }
  const l = hexGroups(left);
  const r = hexGroups(right);
  return l >= 0 && r >= 0 && l + r <= groups - 2;
}

/**
 * RFC 5321 §4.1.3 address-literal, at "[". General-address-literal tags other than
 * IPv6 are refused: none is registered.
 * @throws SmtpSyntaxError ("Syntax")
 */
export function expectAddressLiteral(c: Cursor): AddressLiteral {
  const start = c.pos;
  c.expectChar("[", "[");
  // RFC 5321 §4.1.3 dcontent: printable US-ASCII except "[", "\", "]".
  const content = c.takeWhile((ch) =>
    ch >= 0x21 && ch <= 0x7e && ch !== 0x5b && ch !== 0x5c && ch !== 0x5d
  );
  c.expectChar("]", "] after address literal");
  if (isIpv4(content)) return { kind: "ipv4", address: content };
  if (/^ipv6:/i.test(content) && isIpv6(content.slice(5))) {
    return { kind: "ipv6", address: content.slice(5) };
  }
  throw c.error("Syntax", "invalid address literal", start);
}

/** RFC 5321 §4.1.2 Domain / address-literal. */
export function expectHost(c: Cursor, options: DomainOptions = {}): Host {
  return c.peekCode() === 0x5b ? expectAddressLiteral(c) : expectDomain(c, options);
}

/**
 * RFC 5321 §4.1.2 Quoted-string, at the opening DQUOTE; returns the content with
 * quoted-pairs undone. qtextSMTP is %d32-33 / %d35-91 / %d93-126, plus UTF-8.
 * @throws SmtpSyntaxError ("Syntax")
 */
export function expectQuotedString(c: Cursor): string {
  c.expectChar('"', "quoted string");
  let value = "";
  for (;;) {
    const ch = c.peekCode();
    if (ch < 0) throw c.error("Syntax", "unterminated quoted string");
    c.pos++;
    if (ch === 0x22) return value;
    if (ch === 0x5c) {
      // quoted-pairSMTP = %d92 %d32-126
      const next = c.peekCode();
      if (next < 0x20 || next > 0x7e) throw c.error("Syntax", "invalid quoted pair");
      c.pos++;
      value += String.fromCharCode(next);
    } else if ((ch >= 0x20 && ch <= 0x7e) || ch >= 0x80) {
      value += String.fromCharCode(ch);
    } else {
      throw c.error("Syntax", "invalid character in quoted string", c.pos - 1);
    }
  }
}

/**
 * RFC 5321 §4.1.2 Mailbox = Local-part "@" ( Domain / address-literal ).
 * @throws SmtpSyntaxError "Syntax", or "TooLong" over the limits
 */
export function expectMailbox(c: Cursor): Mailbox {
  const start = c.pos;
  let localPart: string;
  const quoted = c.peekCode() === 0x22;
  if (quoted) {
    localPart = expectQuotedString(c);
  } else {
    // Dot-string = Atom *("." Atom)
    localPart = c.takeWhile((ch) => isAtext(ch) || ch === 0x2e);
    const atoms = localPart.split(".");
    if (atoms.every((a) => a === "")) throw c.error("Syntax", "expected local part", start);
    if (atoms.some((a) => a === "")) c.lenient("loose-dot-string");
  }
  const localOctets = utf8Length(c.orig.slice(start, c.pos));
  if (localOctets > smtpLimits.localPartOctetsMax) {
    throw c.error(
      "TooLong",
      `local part longer than ${smtpLimits.localPartOctetsMax} octets`,
      start,
    );
  }
  // RFC 5321 §4.5.3.1.1: 64 octets; longer ones are common enough to accept.
  if (localOctets > smtpLimits.localPartOctets) c.lenient("long-local-part");
  c.expectChar("@", "@ in mailbox");
  const domain = expectHost(c);
  const utf8 = hasNonAscii(localPart) || (domain.kind === "domain" && domain.utf8);
  return { localPart, quoted, domain, utf8, text: c.orig.slice(start, c.pos) };
}

/**
 * RFC 5321 §4.1.2 Reverse-path / Forward-path, with the RCPT special case
 * `<Postmaster>` (RFC 5321 §4.1.1.3, case-insensitive per §4.5.1). Returns null for
 * the null reverse-path `<>`. A path without angle brackets is the leniency
 * "no-angle-brackets".
 * @throws SmtpSyntaxError "Syntax", or "TooLong" over the limits
 */
export function expectPath(c: Cursor, kind: "reverse"): Mailbox | null;
export function expectPath(c: Cursor, kind: "forward"): Mailbox | "postmaster";
export function expectPath(
  c: Cursor,
  kind: "reverse" | "forward",
): Mailbox | null | "postmaster" {
  const start = c.pos;
  if (!c.tryChar("<")) {
    c.lenient("no-angle-brackets");
    const bare = expectMailbox(c);
    checkPathLength(c, start);
    return bare;
  }
  if (kind === "reverse" && c.tryChar(">")) return null;
  if (kind === "forward" && c.tryKeyword("POSTMASTER>")) return "postmaster";
  // RFC 5321 §4.1.2 A-d-l = At-domain *( "," At-domain ); ignored (§4.1.1.3, C.1).
  if (c.tryChar("@")) {
    expectDomain(c);
    while (c.tryChar(",")) {
      c.expectChar("@", "@ in source route");
      expectDomain(c);
    }
    c.expectChar(":", ": after source route");
  }
  const mailbox = expectMailbox(c);
  c.expectChar(">", "> at end of path");
  checkPathLength(c, start);
  return mailbox;
}

/** RFC 5321 §4.5.3.1.3: 256 octets including the punctuation. */
function checkPathLength(c: Cursor, start: number): void {
  if (utf8Length(c.orig.slice(start, c.pos)) > smtpLimits.pathOctets) {
    throw c.error("TooLong", `path longer than ${smtpLimits.pathOctets} octets`, start);
  }
}
