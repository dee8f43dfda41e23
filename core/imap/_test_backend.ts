/**
 * For tests: an {@linkcode ImapBackend} over a real in-process Store (workers/store),
 * so session tests run against real mailbox semantics without workers or sockets.
 * Errors become BackendErrors with the store's codes, as over the session port.
 */

import { BackendError, type ImapBackend } from "./backend.ts";
import { StoreError, type StoreEvent } from "../../workers/store/api.ts";
import { Store } from "../../workers/store/store.ts";

export class TestStore implements AsyncDisposable {
  private constructor(readonly store: Store, readonly dir: string) {}

  /** A store with account "alice" (addresses alice@example.org, password "secret"). */
  static async create(): Promise<TestStore> {
    const dir = await Deno.makeTempDir({ prefix: "postern-imap-" });
    const store = new Store(dir);
    await store.setAccounts([
      { name: "alice", addresses: ["alice@example.org"] },
      { name: "bob", addresses: ["bob@example.org"] },
    ]);
    await store.setPassword("alice", "secret");
    await store.setPassword("bob", "secret");
    return new TestStore(store, dir);
  }

  backend(cid = "c1"): ImapBackend {
    return new TestBackend(this.store, cid);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.store.close();
    await Deno.remove(this.dir, { recursive: true });
  }
}

async function mapped<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError) throw new BackendError(err.code, err.message);
    throw err;
  }
}

class TestBackend implements ImapBackend {
  #account: string | undefined;
  constructor(readonly store: Store, readonly cid: string) {}

  get #a(): string {
    if (!this.#account) throw new BackendError("NoSession", "Cannot serve call: not logged in");
    return this.#account;
  }

  login(username: string, password: string) {
    return mapped(async () => {
      const r = await this.store.login(username, password, "192.0.2.1", this.cid);
      return this.#account = r.account;
    });
  }
  scramStart(mechanism: string, clientFirst: string, channelBinding?: Uint8Array) {
    return mapped(() =>
      this.store.scramStart(mechanism, clientFirst, "192.0.2.1", this.cid, 0, channelBinding)
    );
  }
  scramFinish(exchange: string, clientFinal: string) {
    return mapped(async () => {
      const r = await this.store.scramFinish(exchange, clientFinal, 0);
      this.#account = r.account;
      return { account: r.account, serverFinal: r.serverFinal };
    });
  }
  logout() {
    this.#account = undefined;
    return Promise.resolve();
  }
  mailboxes() {
    return mapped(() => this.store.mailboxes(this.#a));
  }
  mailbox(name: string) {
    return mapped(() => this.store.mailbox(this.#a, name));
  }
  uids(mailbox: string) {
    return mapped(() => this.store.uids(this.#a, mailbox));
  }
  createMailbox(name: string, specialUse?: string) {
    return mapped(() => this.store.createMailbox(this.#a, name, specialUse ?? null));
  }
  renameMailbox(from: string, to: string) {
    return mapped(() => this.store.renameMailbox(this.#a, from, to));
  }
  deleteMailbox(name: string) {
    return mapped(() => this.store.deleteMailbox(this.#a, name));
  }
  subscribe(name: string, subscribed: boolean) {
    return mapped(() => this.store.setSubscribed(this.#a, name, subscribed));
  }
  quota() {
    return mapped(() => this.store.quota(this.#a));
  }
  append(mailbox: string, message: Uint8Array, flags: string[], internalDate?: number) {
    return mapped(() =>
      this.store.add(this.#a, {
        mailbox,
        message,
        flags,
        ...(internalDate !== undefined ? { internalDate } : {}),
      })
    );
  }
  copy(mailbox: string, uids: number[], target: string) {
    return mapped(() => this.store.copy(this.#a, mailbox, uids, target));
  }
  move(mailbox: string, uids: number[], target: string) {
    return mapped(() => this.store.move(this.#a, mailbox, uids, target));
  }
  messages(mailbox: string, fromUid: number, toUid: number, limit: number) {
    return mapped(() => this.store.messages(this.#a, mailbox, fromUid, toUid, limit));
  }
  structure(mailbox: string, uid: number) {
    return mapped(() => this.store.structure(this.#a, mailbox, uid));
  }
  read(mailbox: string, uid: number, range?: { start: number; end: number }) {
    return mapped(() => this.store.read(this.#a, mailbox, uid, range));
  }
  setFlags(mailbox: string, uids: number[], change: Parameters<ImapBackend["setFlags"]>[2]) {
    return mapped(() => this.store.setFlags(this.#a, mailbox, uids, change));
  }
  expunge(mailbox: string, uids?: number[]) {
    return mapped(() => this.store.expunge(this.#a, mailbox, uids));
  }
  changesSince(mailbox: string, modseq: number) {
    return mapped(() => this.store.changesSince(this.#a, mailbox, modseq));
  }
  search(
    mailbox: string,
    criteria: Parameters<ImapBackend["search"]>[1],
    page?: { afterUid?: number; limit?: number },
  ) {
    return mapped(() => this.store.search(this.#a, mailbox, criteria, page));
  }
  subscribeEvents(listener: (event: StoreEvent) => void): () => void {
    return this.store.subscribe((e) => {
      if (e.account === this.#account) listener(e);
    });
  }
}
