/**
 * All accounts of one data directory: which exist (from domains.yaml, pushed by the
 * supervisor), opening them on first use, and one stream of change events across
 * them, so IMAP IDLE and the webmail see other sessions' changes at once.
 *
 * Accounts live at `<data>/accounts/<name>/`. An account removed from domains.yaml is
 * closed and refused, but its files stay until an admin removes them.
 */

import { Account } from "./account.ts";
import type {
  AddedMessage,
  AddMessage,
  Changes,
  FlagChange,
  FlagChangeResult,
  MailboxInfo,
  MessageMeta,
  StoreEvent,
} from "./api.ts";
import { StoreError } from "./api.ts";

// Account names are checked by the config schema too; this guards the file system.
const accountNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class Store {
  #configured = new Set<string>();
  #open = new Map<string, Promise<Account>>();
  #listeners = new Set<(event: StoreEvent) => void>();

  constructor(readonly dataDir: string) {}

  /** Puts a new set of account names in force; accounts no longer listed are closed. */
  async setAccounts(names: Iterable<string>): Promise<void> {
    const next = new Set([...names].filter((n) => accountNamePattern.test(n)));
    for (const [name, opening] of this.#open) {
      if (next.has(name)) continue;
      this.#open.delete(name);
      (await opening).close();
    }
    this.#configured = next;
  }

  /** Receives every change; returns a function that unsubscribes. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** @throws StoreError NoSuchAccount */
  account(name: string): Promise<Account> {
    if (!this.#configured.has(name)) {
      return Promise.reject(new StoreError("NoSuchAccount", `Cannot find account ${name}`));
    }
    let opening = this.#open.get(name);
    if (!opening) {
      opening = Account.open(name, `${this.dataDir}/accounts/${name}`);
      this.#open.set(name, opening);
      opening.catch(() => this.#open.delete(name));
    }
    return opening;
  }

  async mailboxes(account: string): Promise<MailboxInfo[]> {
    return (await this.account(account)).mailboxes();
  }

  async createMailbox(account: string, name: string): Promise<MailboxInfo> {
    const info = (await this.account(account)).createMailbox(name);
    this.#emit({ kind: "mailboxes", account });
    return info;
  }

  async add(account: string, req: AddMessage): Promise<AddedMessage> {
    const added = await (await this.account(account)).add(req);
    this.#emit({
      kind: "added",
      account,
      mailbox: added.mailbox,
      uid: added.uid,
      modseq: added.modseq,
    });
    return added;
  }

  async messages(
    account: string,
    mailbox: string,
    fromUid?: number,
    toUid?: number,
    limit?: number,
  ): Promise<MessageMeta[]> {
    return (await this.account(account)).messages(mailbox, fromUid, toUid, limit);
  }

  async read(
    account: string,
    mailbox: string,
    uid: number,
    range?: { start: number; end: number },
  ): Promise<Uint8Array> {
    return await (await this.account(account)).read(mailbox, uid, range);
  }

  async setFlags(
    account: string,
    mailbox: string,
    uids: number[],
    change: FlagChange,
  ): Promise<FlagChangeResult> {
    const a = await this.account(account);
    const result = a.setFlags(mailbox, uids, change);
    if (result.changed.length > 0) {
      this.#emit({
        kind: "flags",
        account,
        mailbox: a.mailbox(mailbox).name,
        changed: result.changed,
      });
    }
    return result;
  }

  async expunge(
    account: string,
    mailbox: string,
    uids?: number[],
  ): Promise<{ uids: number[]; modseq: number }> {
    const a = await this.account(account);
    const result = await a.expunge(mailbox, uids);
    if (result.uids.length > 0) {
      this.#emit({ kind: "expunged", account, mailbox: a.mailbox(mailbox).name, ...result });
    }
    return result;
  }

  async changesSince(account: string, mailbox: string, modseq: number): Promise<Changes> {
    return (await this.account(account)).changesSince(mailbox, modseq);
  }

  /** Closes every open account. */
  async close(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const opening of open) (await opening.catch(() => undefined))?.close();
  }

  #emit(event: StoreEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
