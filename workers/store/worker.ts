/**
 * Store worker entry (read/write on the data directory only). Owns the accounts:
 * SQLite indexes and message files, behind the RPC API below, which only the
 * supervisor holds. Protocol workers get the narrower, token-checked session API
 * (session_api.ts) on ports the supervisor attaches.
 */
import { logger } from "../../core/log/mod.ts";
import { RpcError } from "../../core/rpc/mod.ts";
import { runServiceWorker } from "../_service_worker.ts";
import { type StoreApi, StoreError, type StoreEvents } from "./api.ts";
import { Store } from "./store.ts";
import { SessionPort } from "./session_port.ts";

const log = logger("store");
let store: Store | undefined;
const ports = new Map<number, SessionPort>();
let lastLink = 0;

const ready = (): Store => {
  if (!store) throw new RpcError("NotReady", "Store not initialised");
  return store;
};

/** StoreError crosses the RPC boundary as an RpcError with the same code. */
async function call<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError) throw new RpcError(err.code, err.message);
    throw err;
  }
}

const server = runServiceWorker<StoreApi, StoreEvents>(async ({ dataDir }) => {
  await Deno.mkdir(`${dataDir}/accounts`, { recursive: true, mode: 0o700 });
  store = new Store(dataDir);
  store.subscribe((event) => server.emit("change", event));
  log.debug("store ready", { dataDir });
}, {
  setAccounts: ({ accounts }) =>
    call(async () => (await ready().setAccounts(accounts), { ok: true as const })),
  attachSession: ({ kind, port }) => {
    if (kind !== "smtp" && kind !== "imap" || !(port instanceof MessagePort)) {
      throw new RpcError("BadMessage", "Cannot attach session port: bad parameters");
    }
    const link = ++lastLink;
    ports.set(link, new SessionPort(link, kind, port, ready()));
    log.debug("session port attached", { link, kind });
    return { link };
  },
  detachSession: ({ link }) => {
    ports.get(link)?.close();
    ports.delete(link);
    return { ok: true as const };
  },
  holdRemovals: ({ hold }) =>
    call(async () => {
      if (hold) ready().gate.hold();
      else await ready().gate.release();
      return { ok: true as const };
    }),
  setPassword: ({ account, password }) =>
    call(async () => (await ready().setPassword(account, password), { ok: true as const })),
  ensurePassword: ({ account, password }) =>
    call(async () => ({ set: await ready().ensurePassword(account, password) })),
  mailboxes: ({ account }) => call(() => ready().mailboxes(account)),
  createMailbox: ({ account, name }) => call(() => ready().createMailbox(account, name)),
  renameMailbox: ({ account, from, to }) => call(() => ready().renameMailbox(account, from, to)),
  deleteMailbox: ({ account, name, recursive }) =>
    call(
      async () => (await ready().deleteMailbox(account, name, recursive), { ok: true as const }),
    ),
  subscribe: ({ account, name, subscribed }) =>
    call(
      async () => (await ready().setSubscribed(account, name, subscribed), { ok: true as const }),
    ),
  copy: ({ account, mailbox, uids, target }) =>
    call(() => ready().copy(account, mailbox, uids, target)),
  move: ({ account, mailbox, uids, target }) =>
    call(() => ready().move(account, mailbox, uids, target)),
  add: ({ account, mailbox, message, prefix, flags }) =>
    call(() =>
      ready().add(account, {
        mailbox,
        message,
        ...(prefix ? { prefix } : {}),
        ...(flags ? { flags } : {}),
      })
    ),
  addBatch: ({ account, items }) =>
    call(async () => ({ count: (await ready().addBatch(account, items)).length })),
  messages: ({ account, mailbox, fromUid, toUid, limit }) =>
    call(() => ready().messages(account, mailbox, fromUid, toUid, limit)),
  read: ({ account, mailbox, uid, range }, ctx) =>
    call(async () => {
      const bytes = await ready().read(account, mailbox, uid, range);
      ctx.transfer(bytes.buffer as ArrayBuffer); // never shared: read into a fresh buffer
      return bytes;
    }),
  setFlags: ({ account, mailbox, uids, change }) =>
    call(() => ready().setFlags(account, mailbox, uids, change)),
  expunge: ({ account, mailbox, uids }) => call(() => ready().expunge(account, mailbox, uids)),
  search: ({ account, mailbox, criteria, page }) =>
    call(() => ready().search(account, mailbox, criteria, page)),
  changesSince: ({ account, mailbox, modseq }) =>
    call(() => ready().changesSince(account, mailbox, modseq)),
});
