/**
 * What the IMAP session needs from mail storage (STYLE rule 2: the backend interface).
 * The worker implements it over the store's session port (workers/imap/backend.ts);
 * tests can implement it in memory.
 *
 * Contract: methods after a successful login act on the logged-in account. Failures
 * are {@linkcode BackendError}s whose `code` the session maps to responses in one
 * place (response codes in errors.ts); anything else thrown is a bug.
 *
 * The data types are the store API's (workers/store/api.ts), imported as types only:
 * they are plain data, and the store is the one place that defines them.
 */

import type {
  AddedMessage,
  Changes,
  CopyResult,
  FlagChange,
  FlagChangeResult,
  MailboxInfo,
  MessageMeta,
  StoreEvent,
} from "../../workers/store/api.ts";
import type { QuotaInfo } from "../../workers/store/session_api.ts";
import type { Criteria, SearchResult } from "../../workers/store/search.ts";
import type { Part } from "../mime/mod.ts";

export type {
  AddedMessage,
  Changes,
  CopyResult,
  Criteria,
  FlagChange,
  FlagChangeResult,
  MailboxInfo,
  MessageMeta,
  Part,
  QuotaInfo,
  SearchResult,
  StoreEvent,
};

/** A failure with a stable code: a StoreError code, "NoSession", "Unavailable", ... */
export class BackendError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "BackendError";
  }
}

export interface ImapBackend {
  /** PLAIN / LOGIN. @returns the account name */
  login(username: string, password: string): Promise<string>;
  /** SCRAM first step; `channelBinding` for -PLUS (RFC 9266 tls-exporter). */
  scramStart(
    mechanism: string,
    clientFirst: string,
    channelBinding?: Uint8Array,
  ): Promise<{ exchange: string; serverFirst: string }>;
  /** SCRAM last step. @returns the account and server-final-message */
  scramFinish(exchange: string, clientFinal: string): Promise<{
    account: string;
    serverFinal: string;
  }>;
  logout(): Promise<void>;

  mailboxes(): Promise<MailboxInfo[]>;
  mailbox(name: string): Promise<MailboxInfo>;
  /** The mailbox's UIDs, ascending (SELECT). */
  uids(mailbox: string): Promise<Uint32Array>;
  createMailbox(name: string, specialUse?: string): Promise<MailboxInfo>;
  renameMailbox(from: string, to: string): Promise<MailboxInfo>;
  deleteMailbox(name: string): Promise<void>;
  subscribe(name: string, subscribed: boolean): Promise<void>;
  quota(): Promise<QuotaInfo>;
  /** Resolves once the message is durable. `message` may be transferred (detached). */
  append(
    mailbox: string,
    message: Uint8Array,
    flags: string[],
    internalDate: number | undefined,
  ): Promise<AddedMessage>;
  copy(mailbox: string, uids: number[], target: string): Promise<CopyResult>;
  move(mailbox: string, uids: number[], target: string): Promise<CopyResult>;
  /** Metadata of UIDs in [fromUid, toUid], ascending, at most `limit`. */
  messages(
    mailbox: string,
    fromUid: number,
    toUid: number,
    limit: number,
  ): Promise<MessageMeta[]>;
  structure(mailbox: string, uid: number): Promise<{ structure: Part; prefixSize: number }>;
  /** The stored message (delivery prefix included), or the octets [start, end) of it. */
  read(mailbox: string, uid: number, range?: { start: number; end: number }): Promise<Uint8Array>;
  setFlags(mailbox: string, uids: number[], change: FlagChange): Promise<FlagChangeResult>;
  expunge(mailbox: string, uids?: number[]): Promise<{ uids: number[]; modseq: number }>;
  changesSince(mailbox: string, modseq: number): Promise<Changes>;
  search(
    mailbox: string,
    criteria: Criteria,
    page?: { afterUid?: number; limit?: number },
  ): Promise<SearchResult>;
  /** Change events of the logged-in account; returns the function that unsubscribes. */
  subscribeEvents(listener: (event: StoreEvent) => void): () => void;
}
