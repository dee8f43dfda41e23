/**
 * Serves {@linkcode SessionStoreApi} (session_api.ts) on one protocol worker's port:
 * logins hand out tokens bound to this port and the connection, every other call is
 * checked against its token before it reaches the {@linkcode Store}, and change events
 * are forwarded only for accounts with a live session here.
 */

import { logger } from "../../core/log/mod.ts";
import { type Handlers, type PortLike, RpcError, RpcServer } from "../../core/rpc/mod.ts";
import { SaslError } from "../../core/auth/mod.ts";
import { StoreError, type StoreEvent } from "./api.ts";
import type {
  DeliveryResult,
  SessionPortKind,
  SessionRef,
  SessionStoreApi,
  SessionStoreEvents,
} from "./session_api.ts";
import type { Store } from "./store.ts";

const log = logger("store");

/** Mailboxes inbound delivery may add to: it chooses where, it cannot read. */
const deliveryMailboxes = new Set(["Inbox", "Junk", "Rejects"]);
/** Most recipients one delivery call may name (RFC 5321 §4.5.3.1.8 asks for 100). */
const maxDeliveryAccounts = 1_000;

/** StoreError and SaslError cross the port as RpcErrors with their codes. */
async function call<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError) throw new RpcError(err.code, err.message);
    if (err instanceof SaslError) {
      // Outward, an unknown user is a wrong password (error.ts).
      const code = err.code === "UnknownUser" ? "AuthFailed" : `Sasl${err.code}`;
      throw new RpcError(code, err.message);
    }
    throw err;
  }
}

export class SessionPort {
  readonly #server: RpcServer<SessionStoreApi, SessionStoreEvents>;
  readonly #unsubscribe: () => void;
  readonly #port: PortLike & { close?: () => void };

  constructor(
    readonly id: number,
    readonly kind: SessionPortKind,
    port: PortLike & { close?: () => void },
    readonly store: Store,
  ) {
    this.#server = new RpcServer<SessionStoreApi, SessionStoreEvents>(port, this.#handlers());
    this.#unsubscribe = store.subscribe((event) => this.#forward(event));
    this.#port = port;
  }

  /** Stops serving and ends every session of this port. */
  close(): void {
    this.#unsubscribe();
    this.#server.close();
    this.#port.close?.();
    this.store.sessions.endPort(this.id);
  }

  #forward(event: StoreEvent): void {
    if (this.store.sessions.hasAccountOn(event.account, this.id)) {
      this.#server.emit("change", event);
    }
  }

  /** The account of a session reference. @throws RpcError NoSession */
  #account(session: SessionRef): string {
    const s = typeof session?.token === "string" && typeof session.cid === "string"
      ? this.store.sessions.get(session.token, session.cid, this.id)
      : undefined;
    if (!s) throw new RpcError("NoSession", "Cannot serve call: not logged in");
    return s.account;
  }

  #handlers(): Handlers<SessionStoreApi> {
    const store = this.store;
    const id = this.id;
    const account = (s: SessionRef) => this.#account(s);
    return {
      login: ({ cid, remoteIp, username, password }) =>
        call(() => store.login(username, password, remoteIp, cid, id)),
      scramStart: ({ cid, remoteIp, mechanism, clientFirst, channelBinding }) =>
        call(() => store.scramStart(mechanism, clientFirst, remoteIp, cid, id, channelBinding)),
      scramFinish: ({ exchange, clientFinal }) =>
        call(() => store.scramFinish(exchange, clientFinal, id)),
      logout: ({ session }) => {
        if (store.sessions.get(session.token, session.cid, id)) store.sessions.end(session.token);
        return { ok: true };
      },
      endConnection: ({ cid }) => {
        store.sessions.endConnection(cid, id);
        return { ok: true };
      },
      mailboxes: ({ session }) => call(() => store.mailboxes(account(session))),
      mailbox: ({ session, name }) => call(() => store.mailbox(account(session), name)),
      uids: ({ session, mailbox }, ctx) =>
        call(async () => {
          const uids = await store.uids(account(session), mailbox);
          ctx.transfer(uids.buffer as ArrayBuffer);
          return { uids };
        }),
      createMailbox: ({ session, name, specialUse }) =>
        call(() => store.createMailbox(account(session), name, specialUse ?? null)),
      renameMailbox: ({ session, from, to }) =>
        call(() => store.renameMailbox(account(session), from, to)),
      deleteMailbox: ({ session, name }) =>
        call(async () => (await store.deleteMailbox(account(session), name), { ok: true })),
      subscribe: ({ session, name, subscribed }) =>
        call(
          async () => (await store.setSubscribed(account(session), name, subscribed), { ok: true }),
        ),
      quota: ({ session }) => call(() => store.quota(account(session))),
      append: ({ session, mailbox, message, flags, internalDate }) =>
        call(() =>
          store.add(account(session), {
            mailbox,
            message,
            ...(flags ? { flags } : {}),
            ...(internalDate !== undefined ? { internalDate } : {}),
          })
        ),
      copy: ({ session, mailbox, uids, target }) =>
        call(() => store.copy(account(session), mailbox, uids, target)),
      move: ({ session, mailbox, uids, target }) =>
        call(() => store.move(account(session), mailbox, uids, target)),
      messages: ({ session, mailbox, fromUid, toUid, limit }) =>
        call(() => store.messages(account(session), mailbox, fromUid, toUid, limit)),
      structure: ({ session, mailbox, uid }) =>
        call(() => store.structure(account(session), mailbox, uid)),
      read: ({ session, mailbox, uid, range }, ctx) =>
        call(async () => {
          const bytes = await store.read(account(session), mailbox, uid, range);
          ctx.transfer(bytes.buffer as ArrayBuffer); // read into a fresh buffer, never shared
          return bytes;
        }),
      setFlags: ({ session, mailbox, uids, change }) =>
        call(() => store.setFlags(account(session), mailbox, uids, change)),
      expunge: ({ session, mailbox, uids }) =>
        call(() => store.expunge(account(session), mailbox, uids)),
      changesSince: ({ session, mailbox, modseq }) =>
        call(() => store.changesSince(account(session), mailbox, modseq)),
      search: ({ session, mailbox, criteria, page }) =>
        call(() => store.search(account(session), mailbox, criteria, page)),
      deliver: (params) => this.#deliver(params),
    };
  }

  async #deliver(
    { cid, accounts, mailbox = "Inbox", message, prefix, facts }:
      SessionStoreApi["deliver"]["params"],
  ): Promise<{ results: DeliveryResult[] }> {
    if (this.kind !== "smtp") {
      throw new RpcError("NotAllowed", "Cannot deliver: only SMTP workers deliver");
    }
    if (!deliveryMailboxes.has(mailbox)) {
      throw new RpcError("NotAllowed", `Cannot deliver to ${mailbox}`);
    }
    if (!Array.isArray(accounts) || accounts.length > maxDeliveryAccounts) {
      throw new RpcError("BadMessage", "Cannot deliver: bad recipient list");
    }
    const results: DeliveryResult[] = [];
    // One account at a time: each add is durable before the next starts, and a failure
    // for one (over quota) does not stop the others.
    for (const account of new Set(accounts)) {
      try {
        const added = await this.store.add(account, {
          mailbox,
          message,
          ...(prefix ? { prefix } : {}),
          ...(facts ? { facts } : {}),
        });
        results.push({ account, uid: added.uid });
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        log.info("delivery failed", { cid, account, code: err.code });
        results.push({ account, error: err.code, message: err.message });
      }
    }
    return { results };
  }
}
