/**
 * The typed SMTP commands {@linkcode parseCommand} returns: a discriminated union keyed
 * by `verb`, with the addresses, hosts and MAIL/RCPT parameters already parsed.
 *
 * Conventions: an optional property that is absent means the client did not send that
 * parameter; `null` has a meaning stated where it is allowed (the null reverse-path
 * `<>`, `AUTH=<>`); strings are never empty unless the comment says so.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1
 * @module
 */

/**
 * A departure from the RFC 5321 grammar that the parser accepted because real clients
 * send it. Each is reported on the command so that a `pedantic` session can refuse it.
 */
export type Leniency =
  /** `MAIL FROM: <a@b>`: a space between the colon and the path (RFC 5321 §4.1.2 has none). */
  | "space-after-colon"
  /** `MAIL FROM:a@b`: a path without angle brackets (RFC 5321 §4.1.2 Path needs them). */
  | "no-angle-brackets"
  /** More than one SP where the grammar has exactly one. */
  | "extra-spaces"
  /** Trailing SP at the end of the line (mox accepts it too). */
  | "trailing-space"
  /** An underscore in an EHLO/HELO domain label (common in Windows host names). */
  | "underscore-in-domain"
  /** HELO with an address literal (RFC 5321 §4.1.1.1 allows it for EHLO only). */
  | "helo-address-literal"
  /**
   * A local part of more than 64 octets (RFC 5321 §4.5.3.1.1) but at most
   * limits.ts `localPartOctetsMax`.
   */
  | "long-local-part"
  /** A Dot-string with an empty atom: leading, trailing or doubled dots (`a..b@c`). */
  | "loose-dot-string"
  /** An RFC 6533 utf-8 ORCPT value with RFC 3461 `+HH` escapes, which RFC 6533 forbids. */
  | "xtext-in-utf8-orcpt";

/** Why a line is not a valid command; {@linkcode SmtpSyntaxError.code}. */
export type SyntaxErrorCode =
  /** The line does not follow the grammar (→ `501 5.5.2`, or 500 when no verb). */
  | "Syntax"
  /** A command got arguments it does not take, or lacks one it needs (→ `501 5.5.4`). */
  | "BadArguments"
  /** A known MAIL/RCPT parameter with a bad or missing value, or repeated (→ `501 5.5.4`). */
  | "InvalidParameter"
  /** A MAIL/RCPT parameter we do not know (RFC 5321 §4.1.1.11 → `555 5.5.4`). */
  | "UnknownParameter"
  /** A local part, domain or path over its limit (RFC 5321 §4.5.3.1 → `501 5.5.4`). */
  | "TooLong";

/** A domain name in both its forms (RFC 5890 §2.3.2.1 A-labels and U-labels). */
export interface DomainName {
  kind: "domain";
  /** A-label form, lower case: what DNS sees and what limits are checked on. */
  ascii: string;
  /** U-label form, lower case; equal to `ascii` when there are no IDN labels. */
  unicode: string;
  /** True when the client wrote non-ASCII (U-labels): RFC 6531 §3.3 needs SMTPUTF8. */
  utf8: boolean;
}

/** RFC 5321 §4.1.3 address literal: `[192.0.2.1]` or `[IPv6:2001:db8::1]`. */
export interface AddressLiteral {
  kind: "ipv4" | "ipv6";
  /** The address as written, without brackets or the `IPv6:` tag. */
  address: string;
}

/** A domain or an address literal: the EHLO argument and the part after "@". */
export type Host = DomainName | AddressLiteral;

/** RFC 5321 §4.1.2 Mailbox: Local-part "@" ( Domain / address-literal ). */
export interface Mailbox {
  /**
   * The local part with quoting undone: `"a b"@x` has local part `a b`. Case is kept
   * (RFC 5321 §2.4: local parts are case-sensitive).
   */
  localPart: string;
  /** True when the local part was sent as a Quoted-string. */
  quoted: boolean;
  domain: Host;
  /** True when the local part or the domain has non-ASCII: RFC 6531 §3.3 needs SMTPUTF8. */
  utf8: boolean;
  /** The mailbox as sent, without angle brackets and source route. */
  text: string;
}

/** RFC 3461 §4.1 NOTIFY keywords other than NEVER. */
export type NotifyType = "SUCCESS" | "FAILURE" | "DELAY";

/** MAIL parameters (RFC 5321 §4.1.2 Mail-parameters); absent means not sent. */
export interface MailParams {
  /** RFC 1870: the declared message size in octets. */
  size?: number;
  /** RFC 6152 8BITMIME, RFC 3030 BINARYMIME; upper case. */
  body?: "7BIT" | "8BITMIME" | "BINARYMIME";
  /** RFC 6531 §3.4: the SMTPUTF8 parameter was given. */
  smtputf8: boolean;
  /** RFC 3461 §4.3: RET=FULL or RET=HDRS. */
  ret?: "FULL" | "HDRS";
  /** RFC 3461 §4.4: the envelope identifier, xtext-decoded. */
  envid?: string;
  /** RFC 4954 §5: the xtext-decoded AUTH= mailbox; null for `AUTH=<>`. */
  auth?: string | null;
  /** RFC 8689 §2: the REQUIRETLS parameter was given. */
  requireTls: boolean;
  /** RFC 4865 FUTURERELEASE: HOLDFOR, in seconds. */
  holdFor?: number;
  /** RFC 4865 FUTURERELEASE: HOLDUNTIL, the RFC 3339 date-time as a Date. */
  holdUntil?: Date;
}

/** RFC 3461 §4.2 ORCPT, decoded. */
export interface OriginalRecipient {
  /** The addr-type, lower case: "rfc822", "utf-8" (RFC 6533 §3), or another registered type. */
  addrType: string;
  /** The address with xtext (and RFC 6533 `\x{HEX}`) decoding undone; not validated. */
  address: string;
  /** True when `address` has non-ASCII characters. */
  utf8: boolean;
}

/** RCPT parameters (RFC 5321 §4.1.2 Rcpt-parameters); absent means not sent. */
export interface RcptParams {
  /** RFC 3461 §4.1: "NEVER", or the requested notifications in the order sent. */
  notify?: "NEVER" | readonly NotifyType[];
  /** RFC 3461 §4.2: the original recipient. */
  orcpt?: OriginalRecipient;
}

/** The verbs the parser knows. */
export type Verb =
  | "HELO"
  | "EHLO"
  | "MAIL"
  | "RCPT"
  | "DATA"
  | "BDAT"
  | "RSET"
  | "NOOP"
  | "VRFY"
  | "EXPN"
  | "HELP"
  | "QUIT"
  | "STARTTLS"
  | "AUTH";

interface Base {
  /** Leniencies the parser used, in the order met; empty for a strictly valid line. */
  sloppy: readonly Leniency[];
}

/** A parsed command line. */
export type Command =
  /** RFC 5321 §4.1.1.1; an address literal is the leniency "helo-address-literal". */
  | Base & { verb: "HELO"; host: Host }
  /** RFC 5321 §4.1.1.1. */
  | Base & { verb: "EHLO"; host: Host }
  /** RFC 5321 §4.1.1.2; `from` is null for the null reverse-path `<>`. */
  | Base & { verb: "MAIL"; from: Mailbox | null; params: MailParams }
  /** RFC 5321 §4.1.1.3; `to` is "postmaster" for `<Postmaster>` without a domain (§4.5.1). */
  | Base & { verb: "RCPT"; to: Mailbox | "postmaster"; params: RcptParams }
  /** RFC 5321 §4.1.1.4. */
  | Base & { verb: "DATA" }
  /** RFC 3030 §2: `size` octets follow the line; `last` ends the message. */
  | Base & { verb: "BDAT"; size: number; last: boolean }
  /** RFC 5321 §4.1.1.5. */
  | Base & { verb: "RSET" }
  /** RFC 5321 §4.1.1.9; `text` is undefined when no argument was sent. */
  | Base & { verb: "NOOP"; text: string | undefined }
  /** RFC 5321 §4.1.1.6; `arg` as sent (never empty), `value` unquoted if it was quoted. */
  | Base & { verb: "VRFY"; arg: string; value: string }
  /** RFC 5321 §4.1.1.7; as VRFY. */
  | Base & { verb: "EXPN"; arg: string; value: string }
  /** RFC 5321 §4.1.1.8; `topic` is undefined when no argument was sent. */
  | Base & { verb: "HELP"; topic: string | undefined }
  /** RFC 5321 §4.1.1.10. */
  | Base & { verb: "QUIT" }
  /** RFC 3207 §4. */
  | Base & { verb: "STARTTLS" }
  /**
   * RFC 4954 §4: `mechanism` upper case; `initialResponse` as sent (base64 or "=" for an
   * empty one), undefined when absent.
   */
  | Base & { verb: "AUTH"; mechanism: string; initialResponse: string | undefined }
  /** A verb we do not know: `name` as sent, `args` the rest of the line ("" when none). */
  | Base & { verb: "unknown"; name: string; args: string }
  /**
   * An HTTP request line ("GET / HTTP/1.1"): a browser or a cross-protocol attack. The
   * session closes the connection (STYLE.md §13).
   */
  | Base & { verb: "http"; method: string };
