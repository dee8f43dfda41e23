/**
 * The SMTP session's states, the commands each state allows (data, checked once before
 * dispatch: STYLE rule 8), the transaction object `reset()` replaces, and the reply
 * error verb handlers throw. Shared by session.ts and its verb modules (_*.ts).
 */

import type { Command, Host, Mailbox, MailParams, RcptParams, Verb } from "./command.ts";
import { replies, type ReplyName } from "./codes.ts";
import type { SmtpBackend } from "./backend.ts";
import type { Conn } from "../wire/conn.ts";

/**
 * - greeted: connected (or TLS just started); no EHLO/HELO yet.
 * - ready: EHLO/HELO done, no transaction.
 * - mail: MAIL accepted, no recipient yet.
 * - rcpt: MAIL and at least one RCPT accepted.
 * - chunking: inside a BDAT transaction (a chunk without LAST was accepted).
 */
export type State = "greeted" | "ready" | "mail" | "rcpt" | "chunking";

/** Verbs that are answered in any state except inside BDAT. */
const anytime: readonly Verb[] = ["NOOP", "RSET", "QUIT", "HELP", "VRFY", "EXPN"];

/**
 * The verbs each state accepts; any other is answered by {@linkcode refusal} before the
 * handler runs. Session facts (TLS, authentication, listener) are checked by handlers.
 */
export const allowedVerbs: Readonly<Record<State, ReadonlySet<Command["verb"]>>> = {
  greeted: new Set([...anytime, "EHLO", "HELO", "unknown", "http"]),
  ready: new Set([...anytime, "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "unknown", "http"]),
  mail: new Set([...anytime, "EHLO", "HELO", "RCPT", "unknown", "http"]),
  rcpt: new Set([...anytime, "EHLO", "HELO", "RCPT", "DATA", "BDAT", "unknown", "http"]),
  // RFC 3030 §2: inside a BDAT transaction only BDAT, RSET and QUIT make sense (NOOP
  // harms nothing).
  chunking: new Set(["BDAT", "RSET", "QUIT", "NOOP", "unknown", "http"]),
};

/** The reply to a verb the state does not allow. */
export function refusal(state: State, verb: Command["verb"]): ReplyName {
  // RFC 5321 §3.3: DATA when every RCPT was refused may get "554 no valid recipients".
  if (state === "mail" && (verb === "DATA" || verb === "BDAT")) return "noValidRecipients";
  return "badSequence";
}

/** An accepted recipient. */
export interface Recipient {
  /** The address as sent (or "postmaster"). */
  text: string;
  mailbox: Mailbox | "postmaster";
  params: RcptParams;
  /** The local accounts it reaches. */
  accounts: string[];
}

/** Everything one mail transaction knows; replaced whole by `reset()`. */
export interface Transaction {
  /** MAIL's reverse-path; null for `<>`, undefined before MAIL. */
  from: Mailbox | null | undefined;
  mailParams: MailParams | undefined;
  recipients: Recipient[];
  /** Union of the recipients' accounts, in order, without duplicates. */
  accounts: string[];
  /** BDAT chunks so far (RFC 3030) and their total size. */
  chunks: Uint8Array[];
  chunkBytes: number;
}

export function newTransaction(): Transaction {
  return {
    from: undefined,
    mailParams: undefined,
    recipients: [],
    accounts: [],
    chunks: [],
    chunkBytes: 0,
  };
}

/** Which service a listener offers. */
export type SmtpProtocol = "smtp" | "submission";

/** Options of an SMTP session. */
export interface SmtpSessionOptions {
  /** Port 25 delivery ("smtp") or message submission (RFC 6409, "submission"). */
  protocol: SmtpProtocol;
  backend: SmtpBackend;
  /** Refuse what the parser accepts leniently (`sloppy`) and bare-LF command lines. */
  pedantic?: boolean;
  /** Offer AUTH without TLS (RFC 4954 §4 forbids plaintext mechanisms otherwise): localhost only. */
  allowInsecureAuth?: boolean;
  /** Port 25: refuse MAIL until STARTTLS (RFC 3207 §4: a server may require TLS). */
  requireTls?: boolean;
  /** Largest message in octets; limits.ts `messageOctets` by default. */
  maxMessageSize?: number;
  /** Most recipients per transaction; limits.ts `recipients` by default. */
  maxRecipients?: number;
  /** Longest FUTURERELEASE hold in seconds (RFC 4865 §3); 30 days by default. */
  maxHoldSeconds?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** What the session remembers about the client outside transactions. */
export interface Greeting {
  /** The EHLO/HELO argument as sent. */
  name: string;
  host: Host;
  /** True after EHLO, false after HELO. */
  esmtp: boolean;
}

/** What verb handlers see of the session. */
export interface SessionCore {
  readonly conn: Conn;
  readonly options: Required<Omit<SmtpSessionOptions, "now">> & { now: () => Date };
  greeting: Greeting | undefined;
  /** The authenticated account (submission). */
  account: string | undefined;
  tx: Transaction;
  state: State;
  /** Messages accepted on this connection, for Received ids. */
  delivered: number;
}

/**
 * An expected refusal: the session writes `reply(name, text)`. Thrown by handlers;
 * mapped to the wire in one place (session.ts).
 */
export class ReplyError extends Error {
  readonly text: string;

  /** `text` is cut to 120 characters: parser details may quote the client at length. */
  constructor(readonly reply: ReplyName, text: string) {
    super(text);
    this.name = "ReplyError";
    // 120 code points are at most 480 octets: the line stays within limits.ts
    // `replyLineOctets` with the codes in front.
    const chars = [...text];
    this.text = chars.length > 120 ? chars.slice(0, 117).join("") + "..." : text;
  }

  /** Whether the reply counts towards limits.ts `errors`: every 5xx but a size refusal. */
  get counts(): boolean {
    return replies[this.reply][0] >= 500 && this.reply !== "messageTooBig";
  }
}

/** For exhaustive switches. */
export function assertNever(value: never): never {
  throw new Error(`Cannot handle ${JSON.stringify(value)}`);
}
