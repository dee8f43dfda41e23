/**
 * Types of the store's API: what callers (SMTP, IMAP, webmail, CLI) see of mailboxes
 * and messages. Operations, not SQL: nothing here reveals how the store keeps them.
 */

import type { Criteria, SearchResult } from "./search.ts";
import type { SessionPortKind } from "./session_api.ts";

/** A mailbox with its IMAP state and counts. */
export interface MailboxInfo {
  /** Full name, hierarchy separator "/"; the inbox is always "Inbox". */
  name: string;
  /** RFC 6154 special-use attribute ("\\Sent", "\\Junk", ...), if any. */
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  /** RFC 7162 HIGHESTMODSEQ. */
  highestModseq: number;
  subscribed: boolean;
  messages: number;
  unseen: number;
  /** Sum of message sizes, octets. */
  size: number;
}

/** What the store keeps about a message besides its bytes. */
export interface MessageMeta {
  uid: number;
  modseq: number;
  /** System flags ("\\Seen") and keywords ("$Junk"), in IMAP spelling. */
  flags: string[];
  /** Size in octets as served (delivery header lines included). */
  size: number;
  /** ms since epoch (IMAP INTERNALDATE). */
  internalDate: number;
  /** ms since epoch (RFC 8514 SAVEDATE). */
  saveDate: number;
  /** Message-ID without angle brackets, if the message has one. */
  messageId: string | null;
  /**
   * The conversation: equal for messages in one thread, across mailboxes and copies;
   * never changes once given. Opaque: compare it, do not order by it.
   */
  threadId: number;
}

/** Facts about an SMTP delivery, kept for junk filtering and reputation. */
export interface DeliveryFacts {
  remoteIp?: string;
  ehlo?: string;
  mailFrom?: string;
  rcptTo?: string;
  /** Domains with a verified SPF, DKIM or DMARC pass. */
  spfDomain?: string;
  dkimDomains?: string[];
  dmarcDomain?: string;
  tls?: { version: string; cipher: string };
}

export interface AddMessage {
  mailbox: string;
  /** The message as received (RFC 5322 bytes). */
  message: Uint8Array;
  /** Header lines added at delivery (Received, Authentication-Results), CRLF-terminated. */
  prefix?: string;
  flags?: string[];
  /** ms since epoch; default now. */
  internalDate?: number;
  facts?: DeliveryFacts;
}

export interface AddedMessage {
  mailbox: string;
  uid: number;
  uidValidity: number;
  modseq: number;
}

/** Result of COPY or MOVE: the target's UIDVALIDITY and source → target UID pairs. */
export interface CopyResult {
  uidValidity: number;
  mapping: [number, number][];
  modseq: number;
}

/** A change to flags, as STORE expresses it. */
export interface FlagChange {
  op: "add" | "remove" | "replace";
  flags: string[];
  /** RFC 7162 §3.1.3 UNCHANGEDSINCE: only change messages whose modseq is at most this. */
  unchangedSince?: number;
}

export interface FlagChangeResult {
  /** Messages changed, with their new state. */
  changed: { uid: number; modseq: number; flags: string[] }[];
  /** UIDs not changed because they were modified after `unchangedSince`. */
  failed: number[];
}

/** Changes in a mailbox after a modseq (RFC 7162 CONDSTORE/QRESYNC). */
export interface Changes {
  highestModseq: number;
  changed: { uid: number; modseq: number; flags: string[] }[];
  /** UIDs expunged after the modseq, ascending. */
  expunged: number[];
}

/** A change event, for IMAP IDLE and the webmail. */
export type StoreEvent =
  | { kind: "added"; account: string; mailbox: string; uid: number; modseq: number }
  | {
    kind: "flags";
    account: string;
    mailbox: string;
    changed: { uid: number; modseq: number; flags: string[] }[];
  }
  | { kind: "expunged"; account: string; mailbox: string; uids: number[]; modseq: number }
  | { kind: "mailboxes"; account: string };

/** A failure callers must tell apart; `code` maps to protocol replies in one place. */
export class StoreError extends Error {
  constructor(
    readonly code:
      | "NoSuchMailbox"
      | "MailboxExists"
      | "BadMailboxName"
      | "BadFlag"
      | "NoSuchMessage"
      | "NoSuchAccount"
      | "HasChildren"
      | "CannotDelete"
      | "OverQuota"
      | "AuthFailed"
      | "TooManyFailures"
      | "BadSearch"
      | "BadMechanism",
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

/** The store worker's RPC methods (core/rpc), as the supervisor calls them. */
export type StoreApi = {
  /** The accounts configured in domains.yaml (initially and on each reload). */
  setAccounts: {
    params: {
      accounts: { name: string; addresses: string[]; quotaSize?: number; quotaMessages?: number }[];
    };
    result: { ok: true };
  };
  setPassword: { params: { account: string; password: string }; result: { ok: true } };
  /**
   * Serves the session API (session_api.ts) to a protocol worker on `port`
   * (transferred). `link` names it for {@linkcode StoreApi.detachSession}.
   */
  attachSession: { params: { kind: SessionPortKind; port: MessagePort }; result: { link: number } };
  /** Stops serving a port and ends its sessions (its worker is gone). */
  detachSession: { params: { link: number }; result: { ok: true } };
  /** Holds back (true) or releases (false) removal of deleted files, for a backup. */
  holdRemovals: { params: { hold: boolean }; result: { ok: true } };
  /** Sets the password only if none is set; `set` tells whether it did. */
  ensurePassword: { params: { account: string; password: string }; result: { set: boolean } };
  mailboxes: { params: { account: string }; result: MailboxInfo[] };
  createMailbox: { params: { account: string; name: string }; result: MailboxInfo };
  renameMailbox: { params: { account: string; from: string; to: string }; result: MailboxInfo };
  deleteMailbox: {
    params: { account: string; name: string; recursive?: boolean };
    result: { ok: true };
  };
  subscribe: {
    params: { account: string; name: string; subscribed: boolean };
    result: { ok: true };
  };
  copy: {
    params: { account: string; mailbox: string; uids: number[]; target: string };
    result: CopyResult;
  };
  move: {
    params: { account: string; mailbox: string; uids: number[]; target: string };
    result: CopyResult;
  };
  /** Adds a message; resolves only once it is durable. `message` is transferred. */
  add: {
    params: {
      account: string;
      mailbox: string;
      message: Uint8Array;
      prefix?: string;
      flags?: string[];
    };
    result: AddedMessage;
  };
  /** Adds messages in one transaction (imports); message bytes are transferred. */
  addBatch: { params: { account: string; items: AddMessage[] }; result: { count: number } };
  messages: {
    params: { account: string; mailbox: string; fromUid?: number; toUid?: number; limit?: number };
    result: MessageMeta[];
  };
  read: {
    params: {
      account: string;
      mailbox: string;
      uid: number;
      range?: { start: number; end: number };
    };
    result: Uint8Array;
  };
  setFlags: {
    params: { account: string; mailbox: string; uids: number[]; change: FlagChange };
    result: FlagChangeResult;
  };
  expunge: {
    params: { account: string; mailbox: string; uids?: number[] };
    result: { uids: number[]; modseq: number };
  };
  changesSince: { params: { account: string; mailbox: string; modseq: number }; result: Changes };
  /** UIDs matching `criteria`, one page at a time (RFC 9051 §6.4.4). */
  search: {
    params: {
      account: string;
      mailbox: string;
      criteria: Criteria;
      page?: { afterUid?: number; limit?: number };
    };
    result: SearchResult;
  };
};

export type StoreEvents = { change: StoreEvent };
