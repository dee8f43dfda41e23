/**
 * {@linkcode ImapBackend} over the store's session port: holds the session token after
 * login and adds it to every call; RpcErrors become BackendErrors with the same code.
 * Calls are cancelled when the connection goes (`conn.signal`).
 */

import { RpcError } from "../../core/rpc/mod.ts";
import { BackendError, type ImapBackend } from "../../core/imap/backend.ts";
import type { Conn } from "../../core/wire/conn.ts";
import type { StoreLink } from "../_store_link.ts";
import type { SessionRef, SessionStoreApi } from "../store/session_api.ts";
import type { StoreEvent } from "../store/api.ts";

type Api = SessionStoreApi;
type ScopedMethod = {
  [M in keyof Api]: Api[M]["params"] extends { session: SessionRef } ? M : never;
}[keyof Api];

export class StoreBackend implements ImapBackend {
  #session: SessionRef | undefined;
  #account: string | undefined;

  constructor(readonly conn: Conn, readonly link: StoreLink) {}

  async #call<M extends keyof Api & string>(
    method: M,
    params: Api[M]["params"],
    transfer: Transferable[] = [],
  ): Promise<Api[M]["result"]> {
    try {
      return await this.link.call(method, params, { signal: this.conn.signal, transfer });
    } catch (err) {
      if (err instanceof RpcError) throw new BackendError(err.code, err.message);
      throw err;
    }
  }

  #scoped<M extends ScopedMethod & string>(
    method: M,
    params: Omit<Api[M]["params"], "session">,
    transfer: Transferable[] = [],
  ): Promise<Api[M]["result"]> {
    if (!this.#session) {
      return Promise.reject(new BackendError("NoSession", "Cannot serve call: not logged in"));
    }
    return this.#call(method, { ...params, session: this.#session } as Api[M]["params"], transfer);
  }

  #loggedIn(token: string, account: string): string {
    this.#session = { token, cid: this.conn.cid };
    this.#account = account;
    return account;
  }

  async login(username: string, password: string): Promise<string> {
    const r = await this.#call("login", {
      cid: this.conn.cid,
      remoteIp: this.conn.remote.address,
      username,
      password,
    });
    return this.#loggedIn(r.token, r.account);
  }

  scramStart(mechanism: string, clientFirst: string, channelBinding?: Uint8Array) {
    return this.#call("scramStart", {
      cid: this.conn.cid,
      remoteIp: this.conn.remote.address,
      mechanism,
      clientFirst,
      ...(channelBinding ? { channelBinding } : {}),
    });
  }

  async scramFinish(exchange: string, clientFinal: string) {
    const r = await this.#call("scramFinish", { exchange, clientFinal });
    return { account: this.#loggedIn(r.token, r.account), serverFinal: r.serverFinal };
  }

  async logout(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session) await this.#call("logout", { session }).catch(() => {});
  }

  mailboxes() {
    return this.#scoped("mailboxes", {});
  }
  mailbox(name: string) {
    return this.#scoped("mailbox", { name });
  }
  async uids(mailbox: string): Promise<Uint32Array> {
    return (await this.#scoped("uids", { mailbox })).uids;
  }
  createMailbox(name: string, specialUse?: string) {
    return this.#scoped("createMailbox", { name, ...(specialUse ? { specialUse } : {}) });
  }
  renameMailbox(from: string, to: string) {
    return this.#scoped("renameMailbox", { from, to });
  }
  async deleteMailbox(name: string): Promise<void> {
    await this.#scoped("deleteMailbox", { name });
  }
  async subscribe(name: string, subscribed: boolean): Promise<void> {
    await this.#scoped("subscribe", { name, subscribed });
  }
  quota() {
    return this.#scoped("quota", {});
  }
  append(mailbox: string, message: Uint8Array, flags: string[], internalDate?: number) {
    // Transfer when the message owns its whole buffer (the usual case for a literal).
    const own = message.byteOffset === 0 && message.byteLength === message.buffer.byteLength;
    return this.#scoped("append", {
      mailbox,
      message,
      flags,
      ...(internalDate !== undefined ? { internalDate } : {}),
    }, own ? [message.buffer as ArrayBuffer] : []);
  }
  copy(mailbox: string, uids: number[], target: string) {
    return this.#scoped("copy", { mailbox, uids, target });
  }
  move(mailbox: string, uids: number[], target: string) {
    return this.#scoped("move", { mailbox, uids, target });
  }
  messages(mailbox: string, fromUid: number, toUid: number, limit: number) {
    return this.#scoped("messages", { mailbox, fromUid, toUid, limit });
  }
  structure(mailbox: string, uid: number) {
    return this.#scoped("structure", { mailbox, uid });
  }
  read(mailbox: string, uid: number, range?: { start: number; end: number }) {
    return this.#scoped("read", { mailbox, uid, ...(range ? { range } : {}) });
  }
  setFlags(mailbox: string, uids: number[], change: Parameters<ImapBackend["setFlags"]>[2]) {
    return this.#scoped("setFlags", { mailbox, uids, change });
  }
  expunge(mailbox: string, uids?: number[]) {
    return this.#scoped("expunge", { mailbox, ...(uids ? { uids } : {}) });
  }
  changesSince(mailbox: string, modseq: number) {
    return this.#scoped("changesSince", { mailbox, modseq });
  }
  search(
    mailbox: string,
    criteria: Parameters<ImapBackend["search"]>[1],
    page?: { afterUid?: number; limit?: number },
  ) {
    return this.#scoped("search", { mailbox, criteria, ...(page ? { page } : {}) });
  }

  subscribeEvents(listener: (event: StoreEvent) => void): () => void {
    return this.link.subscribe((event) => {
      if (event.account === this.#account && this.#session) listener(event);
    });
  }
}
