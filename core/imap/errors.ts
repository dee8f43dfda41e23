/**
 * The IMAP session's errors and the one place they become responses (STYLE rule 10):
 * an {@linkcode ImapError} is an expected outcome (`NO [TRYCREATE]`, `BAD`); a
 * BackendError's code maps to a NO with a response code (RFC 5530); anything else is
 * a bug, logged by the session and answered with a generic `NO [SERVERBUG]`.
 */

import { BackendError } from "./backend.ts";

/** RFC 5530 / RFC 9051 §7.1 response codes we send. */
export type ResponseCode =
  | "ALREADYEXISTS"
  | "AUTHENTICATIONFAILED"
  | "AUTHORIZATIONFAILED"
  | "CANNOT"
  | "CLIENTBUG"
  | "CONTACTADMIN"
  | "INUSE"
  | "LIMIT"
  | "NONEXISTENT"
  | "NOPERM"
  | "OVERQUOTA"
  | "PRIVACYREQUIRED"
  | "SERVERBUG"
  | "TOOBIG"
  | "TRYCREATE"
  | "UNAVAILABLE"
  | "UNKNOWN-CTE"
  | "BADCHARSET"
  | "USEATTR"
  | "EXPUNGEISSUED";

/** An expected failure: `tag NO [code] text` or `tag BAD [code] text`. */
export class ImapError extends Error {
  constructor(
    readonly status: "NO" | "BAD",
    readonly code: ResponseCode | undefined,
    text: string,
  ) {
    super(text);
    this.name = "ImapError";
  }
}

export const no = (code: ResponseCode | undefined, text: string) => new ImapError("NO", code, text);
export const bad = (text: string, code?: ResponseCode) => new ImapError("BAD", code, text);

// One table: store/backend codes → response code and fixed text (STYLE rule 11).
const backendCodes: Record<string, [ResponseCode | undefined, string, ("NO" | "BAD")?]> = {
  NoSuchMailbox: ["NONEXISTENT", "No such mailbox"],
  MailboxExists: ["ALREADYEXISTS", "Mailbox exists"],
  BadMailboxName: ["CANNOT", "Bad mailbox name"],
  BadFlag: [undefined, "Bad flag", "BAD"],
  NoSuchMessage: ["NONEXISTENT", "No such message"],
  HasChildren: ["INUSE", "Mailbox has children"],
  CannotDelete: ["CANNOT", "Cannot delete this mailbox"],
  OverQuota: ["OVERQUOTA", "Over quota"],
  AuthFailed: ["AUTHENTICATIONFAILED", "Authentication failed"],
  TooManyFailures: ["UNAVAILABLE", "Too many failed logins, try later"],
  BadSearch: ["CANNOT", "Search too complex"],
  BadMechanism: ["CANNOT", "Mechanism not available"],
  SaslMalformed: [undefined, "Malformed SASL message", "BAD"],
  SaslChannelBindingMismatch: ["AUTHENTICATIONFAILED", "Authentication failed"],
  SaslChannelBindingNotSupported: ["AUTHENTICATIONFAILED", "Authentication failed"],
  SaslNotAuthorized: ["AUTHORIZATIONFAILED", "Not authorized"],
  Unavailable: ["UNAVAILABLE", "Store not available, try later"],
  Timeout: ["UNAVAILABLE", "Store not available, try later"],
  Closed: ["UNAVAILABLE", "Store not available, try later"],
};

/** The ImapError for `err` when it is expected, else undefined (a bug). */
export function toImapError(err: unknown): ImapError | undefined {
  if (err instanceof ImapError) return err;
  if (err instanceof BackendError) {
    const mapped = backendCodes[err.code];
    if (mapped) return new ImapError(mapped[2] ?? "NO", mapped[0], mapped[1]);
  }
  return undefined;
}

/** Whether `err` means the session's login is gone (store restarted, password changed). */
export function isSessionLost(err: unknown): boolean {
  return err instanceof BackendError && err.code === "NoSession";
}
