/**
 * All accounts of one data directory: which exist (from domains.yaml, pushed by the
 * supervisor), opening them on first use, and one stream of change events across
 * them, so IMAP IDLE and the webmail see other sessions' changes at once.
 *
 * Accounts live at `<data>/accounts/<name>/`. An account removed from domains.yaml is
 * closed and refused, but its files stay until an admin removes them.
 */

import { Account, mailboxName, type Quota } from "./account.ts";
import { RemovalGate } from "./message_files.ts";
import type {
  AddedMessage,
  AddMessage,
  Changes,
  CopyResult,
  FlagChange,
  FlagChangeResult,
  MailboxInfo,
  MessageMeta,
  StoreEvent,
} from "./api.ts";
import { StoreError } from "./api.ts";
import {
  type ChannelBinding,
  type Credentials,
  deriveCredentials,
  parseScramMechanism,
  SaslError,
  ScramServer,
  verifyPassword,
} from "../../core/auth/mod.ts";
import { logger } from "../../core/log/mod.ts";
import { LoginGuard, Sessions } from "./login.ts";
import type { Criteria, SearchResult } from "./search.ts";
import type { QuotaInfo } from "./session_api.ts";
import type { Part } from "../../core/mime/mod.ts";

const log = logger("store");

/** Quiet time after the last add before background text indexing starts. */
const indexIdleMs = 2_000;

/** Most messages and octets one group commit takes (the rest go in the next). */
const maxBatchMessages = 100;
const maxBatchOctets = 32 * 1024 * 1024;

interface PendingAdd {
  req: AddMessage;
  resolve: (added: AddedMessage) => void;
  reject: (err: unknown) => void;
}

/** Takes the next batch off `pending`: at least one, within the batch limits. */
function takeBatch(pending: PendingAdd[]): PendingAdd[] {
  let n = 0;
  let octets = 0;
  while (n < pending.length && n < maxBatchMessages) {
    octets += pending[n]!.req.message.length;
    if (n > 0 && octets > maxBatchOctets) break;
    n++;
  }
  return pending.splice(0, n);
}

/** SCRAM exchanges in progress: how many, and how long one may wait for its last step. */
const maxScramExchanges = 1_000;
const scramExchangeMs = 60_000;

interface ScramExchange {
  server: ScramServer;
  port: number;
  cid: string;
  remoteIp: string;
  /** The key failures are counted under (the account, or the unknown name). */
  key: string;
  account: string | undefined;
  expires: number;
}

// Account names are checked by the config schema too; this guards the file system.
const accountNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** An account as domains.yaml configures it. */
export interface AccountConfig {
  name: string;
  /** Addresses that log in to this account, besides its name. */
  addresses: string[];
  /** Quota in octets and messages; 0 or absent means no limit. */
  quotaSize?: number;
  quotaMessages?: number;
}

export class Store {
  #configured = new Map<string, Quota>();
  /** Shared by all accounts: a backup holds file removals back here. */
  readonly gate = new RemovalGate();
  #indexTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Login name (account name or address, lower-cased) → account name. */
  #logins = new Map<string, string>();
  readonly #guard = new LoginGuard();
  readonly sessions = new Sessions();
  /** Checked when a login names no account, so timing does not tell. */
  #decoy: Promise<Credentials> | undefined;
  #scram = new Map<string, ScramExchange>();
  /** Secret for SCRAM fake salts, kept in the data directory so they survive restarts. */
  #fakeSaltKey: Uint8Array | undefined;
  #open = new Map<string, Promise<Account>>();
  /** Adds waiting for the next group commit, and the commit loop running, per account. */
  #pendingAdds = new Map<string, PendingAdd[]>();
  #committing = new Map<string, Promise<void>>();
  #listeners = new Set<(event: StoreEvent) => void>();

  constructor(readonly dataDir: string) {}

  /** Puts a new set of accounts in force; accounts no longer listed are closed. */
  async setAccounts(accounts: Iterable<AccountConfig>): Promise<void> {
    const list = [...accounts].filter((a) => accountNamePattern.test(a.name));
    const next = new Map(
      list.map((a) => [a.name, { size: a.quotaSize ?? 0, messages: a.quotaMessages ?? 0 }]),
    );
    const logins = new Map<string, string>();
    for (const a of list) {
      logins.set(a.name, a.name);
      for (const address of a.addresses) logins.set(address.toLowerCase(), a.name);
    }
    for (const [name, opening] of this.#open) {
      const quota = next.get(name);
      if (quota) {
        const a = await opening.catch(() => undefined);
        if (a) a.quota = quota;
        continue;
      }
      this.#open.delete(name);
      this.sessions.endAccount(name);
      (await opening.catch(() => undefined))?.close();
    }
    this.#configured = next;
    this.#logins = logins;
  }

  /** Sets an account's password (stored as derived keys) and ends its sessions. */
  async setPassword(account: string, password: string): Promise<void> {
    const a = await this.account(account);
    a.setCredentials(await deriveCredentials(password));
    this.sessions.endAccount(account);
  }

  /** Sets the password only if the account has none (localserve's first run). */
  async ensurePassword(account: string, password: string): Promise<boolean> {
    const a = await this.account(account);
    if (a.credentials()) return false;
    a.setCredentials(await deriveCredentials(password));
    return true;
  }

  /**
   * Checks a password login (PLAIN, LOGIN) from `remoteIp` on connection `cid`.
   * `username` is an account name or one of its addresses.
   * @returns a session token and the account
   * @throws StoreError AuthFailed (wrong or unknown), TooManyFailures (rate limited)
   */
  async login(
    username: string,
    password: string,
    remoteIp: string,
    cid: string,
    port = 0,
  ): Promise<{ token: string; account: string }> {
    const { account, key } = this.#loginKey(username, remoteIp);
    const creds = account ? (await this.account(account)).credentials() : undefined;
    // Unknown users and accounts without a password cost the same work as a real check.
    const ok = await verifyPassword(creds ?? await this.#decoyCredentials(), password) &&
      creds !== undefined;
    if (!ok || !account) {
      this.#guard.failed(remoteIp, key);
      log.info("login failed", { remoteIp, username: username.slice(0, 100), cid });
      throw new StoreError("AuthFailed", "Cannot log in: wrong user name or password");
    }
    this.#guard.succeeded(remoteIp);
    log.debug("login", { account, remoteIp, cid });
    return { token: this.sessions.create(account, cid, port), account };
  }

  /**
   * Starts a SCRAM exchange (RFC 5802) for `mechanism` ("SCRAM-SHA-256-PLUS", ...).
   * @returns the exchange id for {@linkcode scramFinish} and server-first-message
   * @throws StoreError TooManyFailures, BadMechanism; SaslError for the client's message
   */
  async scramStart(
    mechanism: string,
    clientFirst: string,
    remoteIp: string,
    cid: string,
    port: number,
    channelBinding?: Uint8Array,
  ): Promise<{ exchange: string; serverFirst: string }> {
    const mech = parseScramMechanism(mechanism);
    if (!mech) throw new StoreError("BadMechanism", `Cannot log in: no mechanism ${mechanism}`);
    this.#sweepScram();
    if (this.#scram.size >= maxScramExchanges) {
      throw new StoreError("TooManyFailures", "Cannot log in: too many logins in progress");
    }
    const binding: ChannelBinding | undefined = channelBinding?.length
      ? { type: "tls-exporter", data: channelBinding }
      : undefined;
    if (mech.plus && !binding) {
      throw new StoreError("BadMechanism", "Cannot log in: -PLUS needs a TLS channel binding");
    }
    const found: { key: string; account: string | undefined } = { key: "", account: undefined };
    const server = new ScramServer({
      hash: mech.hash,
      plus: mech.plus,
      channelBinding: binding,
      fakeSaltKey: this.#fakeSaltKey ??= loadOrCreateSecret(`${this.dataDir}/scram-fake-salt.key`),
      lookup: async (username, hash) => {
        Object.assign(found, this.#loginKey(username, remoteIp));
        const creds = found.account ? (await this.account(found.account)).credentials() : undefined;
        return creds?.scram.find((c) => c.hash === hash);
      },
    });
    const serverFirst = await server.start(clientFirst);
    const id = crypto.randomUUID();
    this.#scram.set(id, {
      server,
      port,
      cid,
      remoteIp,
      ...found,
      expires: Date.now() + scramExchangeMs,
    });
    return { exchange: id, serverFirst };
  }

  /**
   * Finishes a SCRAM exchange started on the same port.
   * @throws StoreError AuthFailed (also for an unknown or expired exchange); SaslError
   *   Malformed, ChannelBindingMismatch for the client's message
   */
  async scramFinish(
    id: string,
    clientFinal: string,
    port: number,
  ): Promise<{ token: string; account: string; serverFinal: string }> {
    const exchange = this.#scram.get(id);
    this.#scram.delete(id);
    if (!exchange || exchange.port !== port || exchange.expires < Date.now()) {
      throw new StoreError("AuthFailed", "Cannot log in: no such exchange");
    }
    const { remoteIp, key, cid } = exchange;
    try {
      const result = await exchange.server.finish(clientFinal);
      const account = exchange.account!;
      this.#guard.succeeded(remoteIp);
      log.debug("login", { account, remoteIp, cid, mechanism: exchange.server.mechanism });
      return {
        token: this.sessions.create(account, cid, port),
        account,
        serverFinal: result.serverFinal,
      };
    } catch (err) {
      if (err instanceof SaslError && err.code !== "Malformed") {
        this.#guard.failed(remoteIp, key);
        log.info("login failed", { remoteIp, username: key, cid, reason: err.code });
        throw new StoreError("AuthFailed", "Cannot log in: wrong user name or password");
      }
      throw err;
    }
  }

  /** The account a login name means, and the key its failures are counted under. */
  #loginKey(username: string, remoteIp: string): { account: string | undefined; key: string } {
    const account = this.#logins.get(username.toLowerCase());
    const key = account ?? `?${username.toLowerCase().slice(0, 100)}`;
    if (!this.#guard.allowed(remoteIp, key)) {
      log.info("login refused, too many failures", { remoteIp, username: username.slice(0, 100) });
      throw new StoreError("TooManyFailures", "Cannot log in: too many failed attempts, try later");
    }
    return { account, key };
  }

  #sweepScram(): void {
    const now = Date.now();
    for (const [id, e] of this.#scram) if (e.expires < now) this.#scram.delete(id);
  }

  #decoyCredentials(): Promise<Credentials> {
    this.#decoy ??= deriveCredentials(crypto.randomUUID());
    return this.#decoy;
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
      const quota = this.#configured.get(name)!;
      opening = Account.open(name, `${this.dataDir}/accounts/${name}`).then((a) => {
        a.quota = quota;
        a.gate = this.gate;
        return a;
      });
      this.#open.set(name, opening);
      opening.catch(() => this.#open.delete(name));
    }
    return opening;
  }

  async mailboxes(account: string): Promise<MailboxInfo[]> {
    return (await this.account(account)).mailboxes();
  }

  async mailbox(account: string, name: string): Promise<MailboxInfo> {
    return (await this.account(account)).mailbox(name);
  }

  /** A mailbox's UIDs, ascending, in a fresh buffer. */
  async uids(account: string, mailbox: string): Promise<Uint32Array> {
    return (await this.account(account)).uids(mailbox);
  }

  /** Usage and limits of an account (RFC 9208). */
  async quota(account: string): Promise<QuotaInfo> {
    const a = await this.account(account);
    return { usage: a.usage(), limit: { ...a.quota } };
  }

  async structure(
    account: string,
    mailbox: string,
    uid: number,
  ): Promise<{ structure: Part; prefixSize: number }> {
    return (await this.account(account)).structure(mailbox, uid);
  }

  async createMailbox(
    account: string,
    name: string,
    specialUse: string | null = null,
  ): Promise<MailboxInfo> {
    const info = (await this.account(account)).createMailbox(name, specialUse);
    this.#emit({ kind: "mailboxes", account });
    return info;
  }

  async renameMailbox(account: string, from: string, to: string): Promise<MailboxInfo> {
    const info = (await this.account(account)).renameMailbox(from, to);
    this.#emit({ kind: "mailboxes", account });
    return info;
  }

  async deleteMailbox(account: string, name: string, recursive = false): Promise<void> {
    await (await this.account(account)).deleteMailbox(name, recursive);
    this.#emit({ kind: "mailboxes", account });
  }

  async setSubscribed(account: string, name: string, subscribed: boolean): Promise<void> {
    (await this.account(account)).subscribe(name, subscribed);
    this.#emit({ kind: "mailboxes", account });
  }

  async copy(
    account: string,
    mailbox: string,
    uids: number[],
    target: string,
  ): Promise<CopyResult> {
    const a = await this.account(account);
    const result = await a.copy(mailbox, uids, target);
    this.#emitAdded(account, mailboxName(target), result);
    return result;
  }

  async move(
    account: string,
    mailbox: string,
    uids: number[],
    target: string,
  ): Promise<CopyResult> {
    const a = await this.account(account);
    const result = a.move(mailbox, uids, target);
    if (result.mapping.length > 0) {
      this.#emit({
        kind: "expunged",
        account,
        mailbox: mailboxName(mailbox),
        uids: result.mapping.map(([from]) => from),
        modseq: result.modseq,
      });
    }
    this.#emitAdded(account, mailboxName(target), result);
    return result;
  }

  #emitAdded(account: string, mailbox: string, result: CopyResult): void {
    for (const [, uid] of result.mapping) {
      this.#emit({ kind: "added", account, mailbox, uid, modseq: result.modseq });
    }
  }

  /** Adds messages in one transaction (imports). */
  async addBatch(account: string, reqs: AddMessage[]): Promise<AddedMessage[]> {
    const added = await (await this.account(account)).addBatch(reqs);
    for (const a of added) {
      this.#emit({ kind: "added", account, mailbox: a.mailbox, uid: a.uid, modseq: a.modseq });
    }
    return added;
  }

  /**
   * Adds a message; resolves once it is durable. Concurrent adds to one account are
   * committed together (group commit): while one batch is being made durable, new adds
   * wait and then go in the next batch, so 20 concurrent deliveries cost a few fsync
   * rounds instead of 20, and an add on an idle account waits for nothing. A batch that
   * fails is retried one message at a time, so one bad request fails only itself.
   */
  add(account: string, req: AddMessage): Promise<AddedMessage> {
    return new Promise((resolve, reject) => {
      let pending = this.#pendingAdds.get(account);
      if (!pending) this.#pendingAdds.set(account, pending = []);
      pending.push({ req, resolve, reject });
      if (!this.#committing.has(account)) this.#committing.set(account, this.#commitAdds(account));
    });
  }

  async #commitAdds(account: string): Promise<void> {
    const pending = this.#pendingAdds.get(account)!;
    for (;;) {
      // Deciding to stop and forgetting this run happen in one turn, so an add arriving
      // afterwards starts a new run instead of waiting on this finished one.
      if (pending.length === 0) {
        this.#pendingAdds.delete(account);
        this.#committing.delete(account);
        return;
      }
      await this.#commitBatch(account, takeBatch(pending));
    }
  }

  /** Commits one batch; settles every waiter in it, never throws. */
  async #commitBatch(account: string, batch: PendingAdd[]): Promise<void> {
    try {
      const a = await this.account(account);
      if (batch.length === 1) return this.#added(account, await a.add(batch[0]!.req), batch[0]!);
      let added: AddedMessage[];
      try {
        added = await a.addBatch(batch.map((b) => b.req));
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        // One request spoiled the batch (a quota, a bad flag): each on its own.
        for (const b of batch) await a.add(b.req).then((r) => this.#added(account, r, b), b.reject);
        return;
      }
      added.forEach((r, i) => this.#added(account, r, batch[i]!));
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  #added(account: string, added: AddedMessage, waiter: PendingAdd): void {
    this.#emit({
      kind: "added",
      account,
      mailbox: added.mailbox,
      uid: added.uid,
      modseq: added.modseq,
    });
    waiter.resolve(added);
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
        mailbox: mailboxName(mailbox),
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
      this.#emit({ kind: "expunged", account, mailbox: mailboxName(mailbox), ...result });
    }
    return result;
  }

  async search(
    account: string,
    mailbox: string,
    criteria: Criteria,
    page?: { afterUid?: number; limit?: number },
  ): Promise<SearchResult> {
    return await (await this.account(account)).search(mailbox, criteria, page);
  }

  async changesSince(account: string, mailbox: string, modseq: number): Promise<Changes> {
    return (await this.account(account)).changesSince(mailbox, modseq);
  }

  /** Closes every open account. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#committing.values());
    for (const timer of this.#indexTimers.values()) clearTimeout(timer);
    this.#indexTimers.clear();
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const opening of open) (await opening.catch(() => undefined))?.close();
  }

  /**
   * Indexes new messages' text once `name` has had no add for {@linkcode indexIdleMs},
   * a batch at a time, yielding between batches so other calls go first.
   */
  #scheduleIndexing(name: string, delayMs = indexIdleMs): void {
    clearTimeout(this.#indexTimers.get(name));
    const timer = setTimeout(async () => {
      this.#indexTimers.delete(name);
      const opening = this.#open.get(name);
      if (!opening) return;
      try {
        const account = await opening;
        // More to do: continue soon, letting queued calls run in between.
        if (await account.indexPendingText(200) > 0) this.#scheduleIndexing(name, 10);
      } catch (err) {
        log.error("background indexing failed", { account: name, err: err as Error });
      }
    }, delayMs);
    this.#indexTimers.set(name, timer);
  }

  #emit(event: StoreEvent): void {
    if (event.kind === "added") this.#scheduleIndexing(event.account);
    for (const listener of this.#listeners) listener(event);
  }
}

/** Reads a 32-octet secret from `path`, creating it (mode 0600) on first use. */
function loadOrCreateSecret(path: string): Uint8Array {
  try {
    const key = Deno.readFileSync(path);
    if (key.length === 32) return key;
    log.error("secret file has the wrong size, replacing it", { path, size: key.length });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  const tmp = `${path}.tmp`;
  Deno.writeFileSync(tmp, key, { mode: 0o600 });
  Deno.renameSync(tmp, path);
  return key;
}
