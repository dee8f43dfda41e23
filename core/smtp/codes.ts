/**
 * SMTP replies: one table of every reply the server sends, keyed by name, each a reply
 * code (RFC 5321 §4.2) and an enhanced status code (RFC 3463, RFC 2034), and
 * {@linkcode reply}, which formats one- and multi-line replies.
 *
 * Implementation notes:
 * - RFC 2034 §3: the enhanced code follows the reply code on every 2xx, 4xx and 5xx line
 *   except the greeting and the reply to EHLO/HELO; those entries, and the 3xx
 *   intermediate replies, have `null` instead.
 * - Reply text is short and fixed (STYLE.md §11); tests match code and enhanced code.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.2
 * @see https://www.rfc-editor.org/rfc/rfc3463
 */

import type { SyntaxErrorCode } from "./command.ts";
import { smtpLimits } from "./limits.ts";

/** Every reply, as `[reply code, enhanced status code or null]`. */
export const replies = {
  // --- Positive ---
  /** RFC 5321 §4.3.1: the greeting; RFC 2034 §3: no enhanced code in it. */
  greeting: [220, null],
  /** RFC 5321 §4.1.1.1: reply to EHLO and HELO; RFC 2034 §3: no enhanced code. */
  hello: [250, null],
  /** RFC 5321 §4.2.2 250; RFC 3463 §3.1 X.0.0: success with nothing more to say. */
  ok: [250, "2.0.0"],
  /** RFC 5321 §4.1.1.2 MAIL accepted; RFC 3463 §3.2 X.1.0 "Other address status". */
  senderOk: [250, "2.1.0"],
  /** RFC 5321 §4.1.1.3 RCPT accepted; RFC 3463 §3.2 X.1.5 "Destination address valid". */
  recipientOk: [250, "2.1.5"],
  /** RFC 5321 §4.1.1.4 message accepted for delivery; RFC 3463 §3.1 X.0.0. */
  accepted: [250, "2.0.0"],
  /** RFC 5321 §3.5.3: "252 Cannot VRFY user, but will accept message"; RFC 3463 X.5.0. */
  cannotVerify: [252, "2.5.0"],
  /** RFC 5321 §4.1.1.8 HELP; RFC 3463 §3.1 X.0.0. */
  help: [214, "2.0.0"],
  /** RFC 5321 §4.1.1.10 QUIT: "221 Service closing transmission channel". */
  closing: [221, "2.0.0"],
  /** RFC 3207 §4: "220 Ready to start TLS". */
  startTls: [220, "2.0.0"],
  /** RFC 4954 §6: "235 2.7.0 Authentication Succeeded". */
  authOk: [235, "2.7.0"],

  // --- Intermediate (3xx: no enhanced code, RFC 2034 §3) ---
  /** RFC 5321 §4.1.1.4: "354 Start mail input; end with <CRLF>.<CRLF>". */
  startData: [354, null],
  /** RFC 4954 §4: a SASL challenge. */
  authChallenge: [334, null],

  // --- Transient failures ---
  /**
   * RFC 5321 §3.8: "421 Service not available, closing transmission channel"; RFC 3463 §3.4 X.3.2
   * "System not accepting network messages".
   */
  shuttingDown: [421, "4.3.2"],
  /** RFC 5321 §4.5.3.2 server timeout, answered with 421; RFC 3463 §3.5 X.4.2 "Bad connection". */
  timeout: [421, "4.4.2"],
  /** Too many errors on one connection (limits.ts `errors`); 421 closes; RFC 3463 §3.8 X.7.0. */
  tooManyErrors: [421, "4.7.0"],
  /**
   * RFC 5321 §4.2.2 451 "local error in processing"; RFC 3463 §3.4 X.3.0 "Other or undefined mail
   * system status".
   */
  tempFail: [451, "4.3.0"],
  /** RFC 5321 §4.5.3.1.10 "452 Too many recipients"; RFC 3463 §3.6 X.5.3 "Too many recipients". */
  tooManyRecipients: [452, "4.5.3"],
  /**
   * RFC 5321 §4.2.2 452 "insufficient system storage"; RFC 1870 (SIZE); RFC 3463 §3.4 X.3.1 "Mail
   * system full".
   */
  insufficientStorage: [452, "4.3.1"],
  /** RFC 5321 §4.2.2 452; RFC 3463 §3.3 X.2.2 "Mailbox full". */
  mailboxFullTemp: [452, "4.2.2"],
  /** RFC 3207 §4: "454 TLS not available due to temporary reason"; RFC 3463 §3.8 X.7.0. */
  tlsNotAvailable: [454, "4.7.0"],
  /** RFC 4954 §6: "454 4.7.0 Temporary authentication failure". */
  authTempFail: [454, "4.7.0"],

  // --- Permanent failures: protocol ---
  /** RFC 5321 §4.2.2 500 "command unrecognized"; RFC 3463 §3.6 X.5.2 "Syntax error". */
  unknownCommand: [500, "5.5.2"],
  /** RFC 5321 §4.5.3.1.9 "500 Line too long"; RFC 3463 §3.6 X.5.2. */
  lineTooLong: [500, "5.5.2"],
  /** RFC 5321 §4.2.2 501 "Syntax error in parameters or arguments"; RFC 3463 §3.6 X.5.2. */
  syntax: [501, "5.5.2"],
  /**
   * RFC 5321 §4.2.2 501; RFC 3463 §3.6 X.5.4 "Invalid command arguments" (missing, extra or bad).
   */
  badArguments: [501, "5.5.4"],
  /** RFC 5321 §4.5.3.1.9 "501 Path too long"; RFC 3463 §3.6 X.5.4. */
  pathTooLong: [501, "5.5.4"],
  /** RFC 4954 §4: "*" cancels AUTH with 501; RFC 3463 §3.1 X.0.0. */
  authCancelled: [501, "5.0.0"],
  /** RFC 5321 §4.2.2 502 "Command not implemented"; RFC 3463 §3.6 X.5.1 "Invalid command". */
  notImplemented: [502, "5.5.1"],
  /** RFC 5321 §4.2.2 503 "Bad sequence of commands"; RFC 3463 §3.6 X.5.1. */
  badSequence: [503, "5.5.1"],
  /** RFC 4954 §4: 504 for an unsupported SASL mechanism; RFC 3463 §3.6 X.5.4. */
  authMechanism: [504, "5.5.4"],
  /**
   * RFC 5321 §4.1.1.11 and §4.2.2: "555 MAIL FROM/RCPT TO parameters not recognized or not
   * implemented"; RFC 3463 X.5.4.
   */
  unknownParameter: [555, "5.5.4"],
  /** RFC 3207 §4: "530 Must issue a STARTTLS command first"; RFC 3463 §3.8 X.7.0. */
  encryptionRequired: [530, "5.7.0"],
  /** RFC 4954 §6: "530 5.7.0 Authentication required". */
  authRequired: [530, "5.7.0"],
  /** RFC 8689 §2: REQUIRETLS on a connection without TLS; RFC 5248 X.7.10 "Encryption Needed". */
  requireTlsNeeded: [530, "5.7.10"],
  /** RFC 4954 §6: "534 5.7.9 Authentication mechanism is too weak". */
  authTooWeak: [534, "5.7.9"],
  /** RFC 4954 §6: "535 5.7.8 Authentication credentials invalid". */
  authFailed: [535, "5.7.8"],
  /** RFC 4954 §6: "538 5.7.11 Encryption required for requested authentication mechanism". */
  authEncryptionRequired: [538, "5.7.11"],

  // --- Permanent failures: addresses and policy ---
  /**
   * RFC 5321 §4.2.2 550 mailbox unavailable; RFC 3463 §3.2 X.1.1 "Bad destination mailbox address".
   */
  noSuchUser: [550, "5.1.1"],
  /**
   * RFC 5321 §4.2.2 553 "mailbox name not allowed"; RFC 3463 §3.2 X.1.3 "Bad destination mailbox
   * address syntax".
   */
  badRecipientSyntax: [553, "5.1.3"],
  /** RFC 5321 §4.2.2 553; RFC 3463 §3.2 X.1.7 "Bad sender's mailbox address syntax". */
  badSenderSyntax: [553, "5.1.7"],
  /** RFC 5321 §4.2.2 550; RFC 3463 §3.8 X.7.1 "Delivery not authorized, message refused". */
  relayDenied: [550, "5.7.1"],
  /** RFC 5321 §4.2.2 550 refused by policy (spam, reputation); RFC 3463 §3.8 X.7.1. */
  policyReject: [550, "5.7.1"],
  /** RFC 6531 §3.5: UTF-8 recipient without SMTPUTF8, "553 5.6.7"; RFC 5248 X.6.7. */
  utf8RecipientNotPermitted: [553, "5.6.7"],
  /** RFC 6531 §3.5: UTF-8 sender without SMTPUTF8, "550 5.6.7"; RFC 5248 X.6.7. */
  utf8SenderNotPermitted: [550, "5.6.7"],
  /** RFC 7372 §3 X.7.23 "SPF validation failed". */
  spfFail: [550, "5.7.23"],
  /** RFC 7372 §3 X.7.20 "No passing DKIM signature found". */
  dkimFail: [550, "5.7.20"],
  /** RFC 7372 §3 X.7.26 "Multiple authentication checks failed": DMARC policy reject. */
  dmarcReject: [550, "5.7.26"],

  // --- Permanent failures: the message ---
  /**
   * RFC 5321 §3.3: DATA with no accepted recipient may get "554 no valid recipients"; RFC 3463
   * X.5.1.
   */
  noValidRecipients: [554, "5.5.1"],
  /**
   * RFC 5321 §4.5.3.1.9 "552 Too much mail data"; RFC 1870 (SIZE); RFC 3463 §3.4 X.3.4 "Message too
   * big for system".
   */
  messageTooBig: [552, "5.3.4"],
  /** RFC 5321 §4.2.2 552 storage allocation exceeded; RFC 3463 §3.3 X.2.2 "Mailbox full". */
  mailboxFull: [552, "5.2.2"],
  /**
   * SMTP smuggling: a "." line not delimited by CRLF on both sides (RFC 5321 §4.1.1.4,
   * §2.3.8). 554 "Transaction failed" after the data (RFC 5321 §4.3.2); RFC 3463 X.5.2.
   */
  smuggling: [554, "5.5.2"],
  /**
   * RFC 5321 §2.3.8: CR and LF only as CRLF; a bare one in DATA is refused like mox does; RFC 3463
   * X.5.2.
   */
  bareLineEnding: [554, "5.5.2"],
  /** A DATA line over limits.ts `dataLineOctetsMax` (RFC 5321 §4.5.3.1.6); RFC 3463 §3.7 X.6.0. */
  dataLineTooLong: [554, "5.6.0"],
  /**
   * RFC 5321 §6.3 loop detection by counting Received fields; RFC 3463 §3.5 X.4.6 "Routing loop
   * detected".
   */
  loopDetected: [554, "5.4.6"],
} as const satisfies Record<string, readonly [number, string | null]>;

/** The name of a reply in {@linkcode replies}. */
export type ReplyName = keyof typeof replies;

/** The three-digit reply code of each reply. */
export type ReplyCode = typeof replies[ReplyName][0];

/** Reports whether `name` names a reply in {@linkcode replies}. */
export function isReplyName(name: string): name is ReplyName {
  return Object.hasOwn(replies, name);
}

/**
 * The reply to give for each parser failure code, so that sessions map syntax errors
 * in one place. RFC 5321 §4.1.1.11: unrecognised MAIL/RCPT parameters get 555; every
 * other syntax problem is a 501 (or 500 when nothing is recognised).
 */
export const syntaxErrorReplies = {
  Syntax: "syntax",
  BadArguments: "badArguments",
  InvalidParameter: "badArguments",
  UnknownParameter: "unknownParameter",
  TooLong: "pathTooLong",
} as const satisfies Record<SyntaxErrorCode, ReplyName>;

const encoder = new TextEncoder();

/**
 * Formats the reply `name` with `text`, CRLF-terminated. An array of lines makes a
 * multi-line reply (RFC 5321 §4.2.1: "250-first", …, "250 last"); the enhanced code,
 * where the reply has one, starts every line (RFC 2034 §3).
 *
 * @throws Error when a line contains CR or LF (which would inject replies) or is
 *   longer than limits.ts `replyLineOctets`
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.2.1
 */
export function reply(name: ReplyName, text: string | readonly string[]): string {
  const [code, enhanced] = replies[name];
  const lines = typeof text === "string" ? [text] : text.length === 0 ? [""] : text;
  let out = "";
  lines.forEach((line, i) => {
    if (/[\r\n]/.test(line)) throw new Error("Cannot format reply: text contains CR or LF");
    const sep = i === lines.length - 1 ? " " : "-";
    const body = [enhanced, line].filter((part) => part !== null && part !== "").join(" ");
    // RFC 5321 §4.2: Reply-code [ SP textstring ]; with no text the separator is only
    // needed on continuation lines.
    const formatted = body === "" && sep === " " ? `${code}` : `${code}${sep}${body}`;
    if (encoder.encode(formatted).length + 2 > smtpLimits.replyLineOctets) {
      throw new Error(
        `Cannot format reply: line longer than ${smtpLimits.replyLineOctets} octets`,
      );
    }
    out += formatted + "\r\n";
  });
  return out;
}
