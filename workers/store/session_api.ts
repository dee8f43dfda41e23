/**
 * The store API protocol workers (smtp, imap) see: one MessagePort per worker, set up
 * by the supervisor, speaking core/rpc.
 *
 * Contract:
 * - Nothing here names an account directly except delivery. A session first logs in
 *   (`login`, or `scramStart` + `scramFinish`); the store checks the credentials and
 *   returns a token bound to the account, to this port and to the connection id. Every
 *   later call carries `{ token, cid }` and acts on that token's account only, so a
 *   compromised parser reaches only accounts whose password it already has.
 * - `deliver` (inbound SMTP) needs no login but is served only on smtp ports, and can
 *   only add messages to Inbox, Junk or Rejects: an smtp worker cannot read mail.
 * - `logout` ends a token; `endConnection` ends every token of a connection (the
 *   session closed). The store also ends every token of a port when the supervisor
 *   detaches it (the worker was lost), and of an account when its password changes.
 * - Calls with a missing or foreign token fail with code "NoSession"; other failures
 *   carry StoreError codes (api.ts).
 * - Events (`change`) arrive only for accounts with a live session on this port.
 *
 * The remote IP given to login is the worker's word for it: a compromised worker can
 * spread its guesses over made-up addresses, but the per-account failure limit still
 * holds.
 */

import type {
  AddedMessage,
  Changes,
  CopyResult,
  DeliveryFacts,
  FlagChange,
  FlagChangeResult,
  MailboxInfo,
  MessageMeta,
  StoreEvent,
} from "./api.ts";
import type { Criteria, SearchResult } from "./search.ts";
import type { Part } from "../../core/mime/mod.ts";

/** Which protocol worker a port serves; decides whether `deliver` is allowed. */
export type SessionPortKind = "smtp" | "imap";

/** Identifies a logged-in session on every call. */
export interface SessionRef {
  token: string;
  cid: string;
}

export interface LoginResult {
  token: string;
  account: string;
}

/** An account's usage and limits (RFC 9208 QUOTA); 0 as a limit means none. */
export interface QuotaInfo {
  usage: { messages: number; size: number };
  limit: { messages: number; size: number };
}

/** One account's outcome of a delivery; `error` is a StoreError code such as OverQuota. */
export type DeliveryResult =
  | { account: string; uid: number }
  | { account: string; error: string; message: string };

/** A session-scoped method: `P` plus the session reference, returning `R`. */
type Scoped<P, R> = { params: P & { session: SessionRef }; result: R };

export type SessionStoreApi = {
  /** PLAIN and LOGIN (RFC 4616, draft-murchison-sasl-login). */
  login: {
    params: { cid: string; remoteIp: string; username: string; password: string };
    result: LoginResult;
  };
  /**
   * Starts a SCRAM exchange (RFC 5802). `channelBinding` is the connection's
   * tls-exporter value (RFC 9266) when it offers the -PLUS mechanisms.
   */
  scramStart: {
    params: {
      cid: string;
      remoteIp: string;
      mechanism: string;
      clientFirst: string;
      channelBinding?: Uint8Array;
    };
    result: { exchange: string; serverFirst: string };
  };
  /** Finishes a SCRAM exchange; fails with the SASL error's code. */
  scramFinish: {
    params: { exchange: string; clientFinal: string };
    result: LoginResult & { serverFinal: string };
  };
  logout: { params: { session: SessionRef }; result: { ok: true } };
  endConnection: { params: { cid: string }; result: { ok: true } };

  mailboxes: Scoped<Record<never, never>, MailboxInfo[]>;
  mailbox: Scoped<{ name: string }, MailboxInfo>;
  /** The mailbox's UIDs, ascending: what SELECT needs to number messages. */
  uids: Scoped<{ mailbox: string }, { uids: Uint32Array }>;
  createMailbox: Scoped<{ name: string; specialUse?: string }, MailboxInfo>;
  renameMailbox: Scoped<{ from: string; to: string }, MailboxInfo>;
  deleteMailbox: Scoped<{ name: string }, { ok: true }>;
  subscribe: Scoped<{ name: string; subscribed: boolean }, { ok: true }>;
  quota: Scoped<Record<never, never>, QuotaInfo>;
  /** IMAP APPEND; resolves once durable. `message` is transferred. */
  append: Scoped<
    { mailbox: string; message: Uint8Array; flags?: string[]; internalDate?: number },
    AddedMessage
  >;
  copy: Scoped<{ mailbox: string; uids: number[]; target: string }, CopyResult>;
  move: Scoped<{ mailbox: string; uids: number[]; target: string }, CopyResult>;
  messages: Scoped<
    { mailbox: string; fromUid?: number; toUid?: number; limit?: number },
    MessageMeta[]
  >;
  structure: Scoped<{ mailbox: string; uid: number }, { structure: Part; prefixSize: number }>;
  read: Scoped<
    { mailbox: string; uid: number; range?: { start: number; end: number } },
    Uint8Array
  >;
  setFlags: Scoped<{ mailbox: string; uids: number[]; change: FlagChange }, FlagChangeResult>;
  expunge: Scoped<{ mailbox: string; uids?: number[] }, { uids: number[]; modseq: number }>;
  changesSince: Scoped<{ mailbox: string; modseq: number }, Changes>;
  search: Scoped<
    { mailbox: string; criteria: Criteria; page?: { afterUid?: number; limit?: number } },
    SearchResult
  >;

  /** Inbound SMTP delivery to local accounts (smtp ports only). `message` is transferred. */
  deliver: {
    params: {
      cid: string;
      accounts: string[];
      mailbox?: "Inbox" | "Junk" | "Rejects";
      message: Uint8Array;
      prefix?: string;
      facts?: DeliveryFacts;
    };
    result: { results: DeliveryResult[] };
  };
};

export type SessionStoreEvents = { change: StoreEvent };
