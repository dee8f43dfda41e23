/**
 * One account: its SQLite index (WAL, synchronous=FULL) and its message files.
 *
 * Implementation notes:
 * - Every write is one SQLite transaction with no await inside it: the store worker is
 *   single-threaded and node:sqlite is synchronous, so a transaction is atomic with
 *   respect to every other call. Message files are written and fsynced before the
 *   transaction that refers to them (see message_files.ts), so an acknowledged
 *   message survives a crash and an unacknowledged one is never half-visible.
 * - MODSEQ is one counter per account (RFC 7162 allows any strictly increasing
 *   sequence per mailbox); each mailbox records the highest value it has seen.
 * - UIDVALIDITY values come from a per-account counter seeded from the clock, so a
 *   mailbox deleted and created again gets a new one (RFC 9051 §2.3.1.1).
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { logger } from "../../core/log/mod.ts";
import {
  type AddedMessage,
  type AddMessage,
  type Changes,
  type CopyResult,
  type FlagChange,
  type FlagChangeResult,
  type MailboxInfo,
  type MessageMeta,
  StoreError,
} from "./api.ts";
import {
  decodeFlags,
  deletedBit,
  encodeFlags,
  FlagError,
  mergeKeywords,
  seenBit,
} from "./flags.ts";
import {
  linkMessageFile,
  publishMessageFiles,
  readMessageFile,
  recoverMessageFiles,
  RemovalGate,
  removeMessageFiles,
  syncMessageDirs,
  writeMessageFile,
} from "./message_files.ts";
import { migrate } from "./schema.ts";
import { type Credentials, credentialsFromJSON, credentialsToJSON } from "../../core/auth/mod.ts";
import { extractText, type MessageText, parseStructure, type Part } from "../../core/mime/mod.ts";
import {
  copyText,
  type Criteria,
  deleteText,
  indexText,
  search,
  SearchError,
  type SearchResult,
  unindexed,
} from "./search.ts";
import { subjectWindow, type ThreadKeys, threadKeys } from "./thread.ts";

/** Mailboxes every new account gets, with their RFC 6154 special-use attributes. */
export const defaultMailboxes: [string, string | null][] = [
  ["Inbox", null],
  ["Sent", "\\Sent"],
  ["Drafts", "\\Drafts"],
  ["Archive", "\\Archive"],
  ["Trash", "\\Trash"],
  ["Junk", "\\Junk"],
];

const encoder = new TextEncoder();
const log = logger("store");

interface MailboxRow {
  id: number;
  name: string;
  special_use: string | null;
  uidvalidity: number;
  uidnext: number;
  highest_modseq: number;
  subscribed: number;
}

interface MessageRow {
  uid: number;
  modseq: number;
  flags: number;
  keywords: string;
  size: number;
  internal_date: number;
  save_date: number;
  message_id: string | null;
  thread_id: number;
}

/**
 * Normalises and checks a mailbox name: "/" separates levels, "Inbox" is
 * case-insensitive (RFC 9051 §5.1), no empty levels or control characters.
 * @throws StoreError BadMailboxName
 */
export function mailboxName(name: string): string {
  const bad = (why: string) => new StoreError("BadMailboxName", `Cannot use mailbox name: ${why}`);
  if (name.length === 0 || name.length > 512) throw bad("empty or longer than 512 characters");
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw bad("control characters");
  if (/[*%]/.test(name)) throw bad("* and % are IMAP wildcards");
  const levels = name.split("/");
  if (levels.some((l) => l === "")) throw bad("empty hierarchy level");
  if (levels[0]!.toLowerCase() === "inbox") levels[0] = "Inbox";
  return levels.join("/");
}

/** Limits on what an account keeps; 0 means no limit. */
export interface Quota {
  size: number;
  messages: number;
}

export class Account {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** Set by the store from domains.yaml. */
  quota: Quota = { size: 0, messages: 0 };
  /** Where deleted messages' files go; a backup can hold removals back. */
  gate = new RemovalGate();

  private constructor(readonly name: string, readonly dir: string, db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating and migrating as needed) the account stored in `dir`. */
  static async open(name: string, dir: string, now = Date.now()): Promise<Account> {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const db = new DatabaseSync(`${dir}/index.db`);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    migrate(db);
    const account = new Account(name, dir, db);
    account.#transaction(() => {
      if (account.#counter("uidvalidity") !== undefined) return;
      account.#setCounter("uidvalidity", Math.floor(now / 1000));
      account.#setCounter("modseq", 1);
      for (const [mailbox, specialUse] of defaultMailboxes) {
        account.#insertMailbox(mailbox, specialUse, true);
      }
    });
    account.#transaction(() => {
      if (account.#counter("total_messages") !== undefined) return;
      const t = db.prepare("SELECT count(*) AS n, coalesce(sum(size), 0) AS size FROM messages")
        .get() as { n: number; size: number };
      account.#setCounter("total_messages", t.n);
      account.#setCounter("total_size", t.size);
    });
    // After a crash: finish or undo message files caught between write and commit.
    const referenced = db.prepare("SELECT 1 FROM messages WHERE file = ?");
    const recovered = await recoverMessageFiles(dir, (rel) => referenced.get(rel) !== undefined);
    if (recovered.published + recovered.removed > 0) {
      log.info("recovered message files", { account: name, ...recovered });
    }
    return account;
  }

  close(): void {
    this.#db.close();
  }

  /** All mailboxes, by name. */
  mailboxes(): MailboxInfo[] {
    const rows = this.#stmt("SELECT * FROM mailboxes ORDER BY name")
      .all() as unknown as MailboxRow[];
    return rows.map((r) => this.#info(r));
  }

  /** One mailbox. @throws StoreError NoSuchMailbox */
  mailbox(name: string): MailboxInfo {
    return this.#info(this.#mailboxRow(name));
  }

  /** The mailbox's UIDs, ascending, in a fresh buffer (4 octets a message). */
  uids(mailbox: string): Uint32Array {
    const mb = this.#mailboxRow(mailbox);
    const count = (this.#stmt("SELECT count(*) AS n FROM messages WHERE mailbox_id = ?")
      .get(mb.id) as { n: number }).n;
    const out = new Uint32Array(count);
    let i = 0;
    const rows = this.#stmt("SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid")
      .iterate(mb.id) as Iterable<{ uid: number }>;
    for (const row of rows) {
      if (i === count) break; // cannot happen inside one connection; never overflow
      out[i++] = row.uid;
    }
    return i === count ? out : out.subarray(0, i).slice();
  }

  /**
   * Creates a mailbox, and its missing parents (RFC 9051 §6.3.4).
   * @throws StoreError MailboxExists, BadMailboxName
   */
  createMailbox(name: string, specialUse: string | null = null): MailboxInfo {
    const full = mailboxName(name);
    this.#transaction(() => {
      if (this.#findMailbox(full)) {
        throw new StoreError("MailboxExists", `Cannot create mailbox ${full}: it exists`);
      }
      const levels = full.split("/");
      for (let i = 1; i < levels.length; i++) {
        const parent = levels.slice(0, i).join("/");
        if (!this.#findMailbox(parent)) this.#insertMailbox(parent, null, false);
      }
      this.#insertMailbox(full, specialUse, false);
    });
    return this.mailbox(full);
  }

  /**
   * Renames a mailbox and its children, keeping their UIDVALIDITY. Renaming Inbox
   * moves its messages to a new mailbox and leaves Inbox empty (RFC 9051 §6.3.6).
   * @throws StoreError NoSuchMailbox, MailboxExists, BadMailboxName
   */
  renameMailbox(from: string, to: string): MailboxInfo {
    const target = mailboxName(to);
    this.#transaction(() => {
      const source = this.#mailboxRow(from);
      if (this.#findMailbox(target)) {
        throw new StoreError("MailboxExists", `Cannot rename to ${target}: it exists`);
      }
      if (target === source.name || target.startsWith(source.name + "/")) {
        throw new StoreError("BadMailboxName", `Cannot rename ${source.name} into itself`);
      }
      const levels = target.split("/");
      for (let i = 1; i < levels.length; i++) {
        const parent = levels.slice(0, i).join("/");
        if (!this.#findMailbox(parent)) this.#insertMailbox(parent, null, false);
      }
      if (source.name === "Inbox") {
        this.#insertMailbox(target, null, false);
        const dest = this.#findMailbox(target)!;
        const rows = this.#stmt("SELECT id FROM messages WHERE mailbox_id = ? ORDER BY uid")
          .all(source.id) as unknown as { id: number }[];
        this.#moveRows(source, dest, rows.map((r) => r.id));
        return;
      }
      const children = this.#stmt(
        "SELECT id, name FROM mailboxes WHERE name = ? OR substr(name, 1, ?) = ?",
      ).all(source.name, source.name.length + 1, source.name + "/") as unknown as {
        id: number;
        name: string;
      }[];
      const rename = this.#stmt("UPDATE mailboxes SET name = ? WHERE id = ?");
      for (const c of children) rename.run(target + c.name.slice(source.name.length), c.id);
    });
    return this.mailbox(target);
  }

  /**
   * Deletes a mailbox with its messages. Inbox cannot be deleted (RFC 9051 §6.3.5);
   * a mailbox with children only with `recursive`, which deletes them too.
   * @throws StoreError NoSuchMailbox, CannotDelete, HasChildren
   */
  async deleteMailbox(name: string, recursive = false): Promise<void> {
    const files = this.#transaction(() => {
      const mb = this.#mailboxRow(name);
      if (mb.name === "Inbox") throw new StoreError("CannotDelete", "Cannot delete Inbox");
      const boxes = this.#stmt(
        "SELECT id, name FROM mailboxes WHERE name = ? OR substr(name, 1, ?) = ?",
      ).all(mb.name, mb.name.length + 1, mb.name + "/") as unknown as {
        id: number;
        name: string;
      }[];
      if (boxes.length > 1 && !recursive) {
        throw new StoreError("HasChildren", `Cannot delete ${mb.name}: it has child mailboxes`);
      }
      const files: string[] = [];
      for (const box of boxes) {
        const rows = this.#stmt("SELECT id, file, size FROM messages WHERE mailbox_id = ?")
          .all(box.id) as unknown as { id: number; file: string; size: number }[];
        files.push(...rows.map((r) => r.file));
        deleteText(this.#db, rows.map((r) => r.id));
        this.#adjustUsage(-rows.length, -rows.reduce((sum, r) => sum + r.size, 0));
        this.#stmt("DELETE FROM messages WHERE mailbox_id = ?").run(box.id);
        this.#stmt("DELETE FROM expunged WHERE mailbox_id = ?").run(box.id);
        this.#stmt("DELETE FROM mailboxes WHERE id = ?").run(box.id);
      }
      return files;
    });
    await this.gate.remove(this.dir, files);
  }

  /** Subscribes or unsubscribes (RFC 9051 §6.3.7, §6.3.8). @throws StoreError NoSuchMailbox */
  subscribe(name: string, subscribed: boolean): void {
    const mb = this.#mailboxRow(name);
    this.#stmt("UPDATE mailboxes SET subscribed = ? WHERE id = ?").run(
      subscribed ? 1 : 0,
      mb.id,
    );
  }

  /**
   * Copies messages to another mailbox (RFC 9051 §6.4.7); message files are shared by
   * hard link, not duplicated. Missing UIDs are skipped.
   * @returns source → new UID pairs, for COPYUID (RFC 4315)
   */
  async copy(mailbox: string, uids: readonly number[], target: string): Promise<CopyResult> {
    const source = this.#mailboxRow(mailbox);
    this.#mailboxRow(target);
    const select = this.#stmt("SELECT * FROM messages WHERE mailbox_id = ? AND uid = ?");
    const rows = uids.map((uid) =>
      select.get(source.id, uid) as Record<string, unknown> | undefined
    )
      .filter((r): r is Record<string, unknown> => r !== undefined);
    const links: string[] = [];
    let committed = false;
    try {
      for (const r of rows) links.push(await linkMessageFile(this.dir, r.file as string));
      const result = this.#transaction(() => {
        const dest = this.#mailboxRow(target);
        const size = rows.reduce((sum, r) => sum + (r.size as number), 0);
        this.#checkQuota(rows.length, size);
        this.#adjustUsage(rows.length, size);
        const modseq = this.#nextModseq();
        let uid = dest.uidnext;
        const insert = this.#stmt(
          `INSERT INTO messages (mailbox_id, uid, modseq, flags, keywords, size, internal_date,
             save_date, file, prefix_size, message_id, structure, facts, thread_id)
           SELECT ?, ?, ?, flags, keywords, size, internal_date, ?, ?, prefix_size, message_id,
             structure, facts, thread_id FROM messages WHERE id = ?`,
        );
        const mapping: [number, number][] = [];
        const now = Date.now();
        rows.forEach((r, i) => {
          const { lastInsertRowid } = insert.run(
            dest.id,
            uid,
            modseq,
            now,
            links[i]!,
            r.id as number,
          );
          copyText(this.#db, r.id as number, Number(lastInsertRowid));
          mapping.push([r.uid as number, uid++]);
        });
        this.#stmt("UPDATE mailboxes SET uidnext = ?, highest_modseq = ? WHERE id = ?")
          .run(uid, modseq, dest.id);
        return { uidValidity: dest.uidvalidity, mapping, modseq };
      });
      committed = true;
      await publishMessageFiles(this.dir, links);
      return result;
    } catch (err) {
      if (!committed) await removeMessageFiles(this.dir, links);
      throw err;
    }
  }

  /**
   * Moves messages to another mailbox (RFC 6851): new UIDs there, tombstones here.
   * @returns source → new UID pairs, for COPYUID
   */
  move(mailbox: string, uids: readonly number[], target: string): CopyResult {
    return this.#transaction(() => {
      const source = this.#mailboxRow(mailbox);
      const dest = this.#mailboxRow(target);
      const select = this.#stmt(
        "SELECT id, uid FROM messages WHERE mailbox_id = ? AND uid = ?",
      );
      const rows = uids.map((uid) =>
        select.get(source.id, uid) as { id: number; uid: number } | undefined
      )
        .filter((r): r is { id: number; uid: number } => r !== undefined);
      return this.#moveRows(source, dest, rows.map((r) => r.id));
    });
  }

  /** Inside a transaction: moves rows to `dest`, tombstoning them in `source`. */
  #moveRows(source: MailboxRow, dest: MailboxRow, ids: number[]): CopyResult {
    const destRow = this.#findMailbox(dest.name)!;
    const modseq = this.#nextModseq();
    let uid = destRow.uidnext;
    const get = this.#stmt("SELECT uid FROM messages WHERE id = ?");
    const update = this.#stmt(
      "UPDATE messages SET mailbox_id = ?, uid = ?, modseq = ?, save_date = ? WHERE id = ?",
    );
    const tomb = this.#stmt(
      "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
    );
    const mapping: [number, number][] = [];
    const now = Date.now();
    for (const id of ids) {
      const { uid: old } = get.get(id) as { uid: number };
      update.run(destRow.id, uid, modseq, now, id);
      tomb.run(source.id, old, modseq);
      mapping.push([old, uid++]);
    }
    this.#stmt("UPDATE mailboxes SET uidnext = ?, highest_modseq = ? WHERE id = ?")
      .run(uid, modseq, destRow.id);
    this.#stmt("UPDATE mailboxes SET highest_modseq = ? WHERE id = ?").run(modseq, source.id);
    return { uidValidity: destRow.uidvalidity, mapping, modseq };
  }

  /**
   * Adds a message (delivery or APPEND). Resolves once the message file is fsynced and
   * its row committed: only then may the caller acknowledge it.
   * @throws StoreError NoSuchMailbox, BadFlag, OverQuota
   */
  async add(req: AddMessage): Promise<AddedMessage> {
    const [added] = await this.addBatch([req]);
    return added!;
  }

  /**
   * Adds messages in one transaction (imports): their files are written concurrently,
   * each directory fsynced once, then all rows committed together. All or nothing.
   * @throws StoreError NoSuchMailbox, BadFlag, OverQuota
   */
  async addBatch(reqs: readonly AddMessage[]): Promise<AddedMessage[]> {
    const prepared = reqs.map((req) => {
      const prefix = encoder.encode(req.prefix ?? "");
      // Parsed once, here: offsets are relative to the message as received (the stored
      // file has `prefix_size` octets of delivery headers before it). Never throws: odd
      // mail is stored byte for byte with its problems noted.
      const structure = parseStructure(req.message);
      return {
        req,
        prefix,
        size: prefix.length + req.message.length,
        flags: this.#flags(req.flags ?? []),
        structure,
        keys: threadKeys(req.message, structure),
      };
    });
    const total = prepared.reduce((sum, p) => sum + p.size, 0);
    for (const req of reqs) {
      // Rejects is created on first use (junk filtering puts refused mail there).
      if (mailboxName(req.mailbox) === "Rejects" && !this.#findMailbox("Rejects")) {
        this.#transaction(() => this.#insertMailbox("Rejects", null, false));
      }
      this.#mailboxRow(req.mailbox); // fail before writing files
    }
    this.#checkQuota(reqs.length, total); // early, before writing files; checked again below
    const files: string[] = [];
    let committed = false;
    try {
      const written = await Promise.allSettled(
        prepared.map((p) =>
          writeMessageFile(this.dir, [p.prefix, p.req.message], { syncDir: reqs.length === 1 })
        ),
      );
      // Collect every file that was written before failing on any, so none is left over.
      for (const w of written) if (w.status === "fulfilled") files.push(w.value);
      const failed = written.find((w) => w.status === "rejected");
      if (failed) throw failed.reason;
      if (reqs.length > 1) await syncMessageDirs(this.dir, files);
      const now = Date.now();
      const added = this.#transaction(() => {
        this.#checkQuota(reqs.length, total); // again: others may have added meanwhile
        this.#adjustUsage(reqs.length, total);
        const modseq = this.#nextModseq();
        const insert = this.#stmt(
          `INSERT INTO messages (mailbox_id, uid, modseq, flags, keywords, size, internal_date,
             save_date, file, prefix_size, message_id, structure, facts, thread_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        const bump = this.#stmt(
          "UPDATE mailboxes SET uidnext = ?, highest_modseq = ? WHERE id = ?",
        );
        let nextThread: number | undefined;
        const newThread = () => {
          nextThread ??= this.#counter("next_thread")!;
          return nextThread++;
        };
        const added = prepared.map((p, i) => {
          const mb = this.#mailboxRow(p.req.mailbox);
          const uid = mb.uidnext;
          const date = p.req.internalDate ?? now;
          insert.run(
            mb.id,
            uid,
            modseq,
            p.flags.bits,
            JSON.stringify(p.flags.keywords),
            p.size,
            date,
            now,
            files[i]!,
            p.prefix.length,
            p.keys.messageId,
            JSON.stringify(p.structure),
            p.req.facts ? JSON.stringify(p.req.facts) : null,
            this.#thread(p.keys, date, newThread),
          );
          bump.run(uid + 1, modseq, mb.id);
          return { mailbox: mb.name, uid, uidValidity: mb.uidvalidity, modseq };
        });
        if (nextThread !== undefined) this.#setCounter("next_thread", nextThread);
        return added;
      });
      committed = true;
      await publishMessageFiles(this.dir, files);
      return added;
    } catch (err) {
      // Once committed, a failed rename is finished by recovery on the next open.
      if (!committed) await removeMessageFiles(this.dir, files);
      throw err;
    }
  }

  /**
   * Metadata of messages with UIDs in [fromUid, toUid], ascending, at most `limit`.
   * Pages through any mailbox size without loading it whole.
   */
  messages(
    mailbox: string,
    fromUid = 1,
    toUid = Number.MAX_SAFE_INTEGER,
    limit = 1000,
  ): MessageMeta[] {
    const mb = this.#mailboxRow(mailbox);
    const rows = this.#stmt(
      `SELECT uid, modseq, flags, keywords, size, internal_date, save_date, message_id, thread_id
       FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid LIMIT ?`,
    ).all(mb.id, fromUid, toUid, limit) as unknown as MessageRow[];
    return rows.map(toMeta);
  }

  /**
   * The message's bytes as served (delivery header lines first), or a range of them.
   * @throws StoreError NoSuchMessage
   */
  async read(
    mailbox: string,
    uid: number,
    range?: { start: number; end: number },
  ): Promise<Uint8Array> {
    const mb = this.#mailboxRow(mailbox);
    const row = this.#stmt("SELECT file FROM messages WHERE mailbox_id = ? AND uid = ?")
      .get(mb.id, uid) as { file: string } | undefined;
    if (!row) {
      throw new StoreError("NoSuchMessage", `Cannot read message: no UID ${uid} in ${mb.name}`);
    }
    return await readMessageFile(this.dir, row.file, range);
  }

  /** Replaces the account's password credentials (derived keys, never the password). */
  setCredentials(creds: Credentials): void {
    this.#stmt("INSERT OR REPLACE INTO credentials (id, data) VALUES (1, ?)")
      .run(JSON.stringify(credentialsToJSON(creds)));
  }

  /** The account's credentials, if a password was ever set. */
  credentials(): Credentials | undefined {
    const row = this.#stmt("SELECT data FROM credentials WHERE id = 1").get() as
      | { data: string }
      | undefined;
    return row ? credentialsFromJSON(JSON.parse(row.data)) : undefined;
  }

  /**
   * The MIME structure kept at delivery, for serving parts by byte range. Offsets in
   * `structure` are relative to the message as received; add `prefixSize` to address
   * the stored bytes that {@linkcode read} returns.
   * @throws StoreError NoSuchMessage
   */
  structure(mailbox: string, uid: number): { structure: Part; prefixSize: number } {
    const mb = this.#mailboxRow(mailbox);
    const row = this.#stmt(
      "SELECT structure, prefix_size FROM messages WHERE mailbox_id = ? AND uid = ?",
    ).get(mb.id, uid) as { structure: string; prefix_size: number } | undefined;
    if (!row) throw new StoreError("NoSuchMessage", `Cannot find UID ${uid} in ${mb.name}`);
    return { structure: JSON.parse(row.structure) as Part, prefixSize: row.prefix_size };
  }

  /**
   * Changes flags of the messages with `uids` (missing UIDs are ignored, as IMAP
   * STORE does). With `unchangedSince`, messages modified later are left alone and
   * reported in `failed` (RFC 7162 §3.1.3).
   * @throws StoreError NoSuchMailbox, BadFlag
   */
  setFlags(mailbox: string, uids: readonly number[], change: FlagChange): FlagChangeResult {
    const { bits, keywords } = this.#flags(change.flags);
    return this.#transaction(() => {
      const mb = this.#mailboxRow(mailbox);
      const select = this.#stmt(
        "SELECT id, modseq, flags, keywords FROM messages WHERE mailbox_id = ? AND uid = ?",
      );
      const update = this.#stmt(
        "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE id = ?",
      );
      const result: FlagChangeResult = { changed: [], failed: [] };
      let modseq: number | undefined;
      for (const uid of uids) {
        const row = select.get(mb.id, uid) as
          | { id: number; modseq: number; flags: number; keywords: string }
          | undefined;
        if (!row) continue;
        if (change.unchangedSince !== undefined && row.modseq > change.unchangedSince) {
          result.failed.push(uid);
          continue;
        }
        const oldKeywords = JSON.parse(row.keywords) as string[];
        const newBits = change.op === "add"
          ? row.flags | bits
          : change.op === "remove"
          ? row.flags & ~bits
          : bits;
        const newKeywords = mergeKeywords(oldKeywords, keywords, change.op);
        if (newBits === row.flags && sameKeywords(oldKeywords, newKeywords)) continue;
        modseq ??= this.#nextModseq();
        update.run(newBits, JSON.stringify(newKeywords), modseq, row.id);
        result.changed.push({ uid, modseq, flags: decodeFlags(newBits, newKeywords) });
      }
      if (modseq !== undefined) {
        this.#stmt("UPDATE mailboxes SET highest_modseq = ? WHERE id = ?").run(modseq, mb.id);
      }
      return result;
    });
  }

  /**
   * Removes messages marked \Deleted (all of them, or those among `uids`, as UID
   * EXPUNGE does), leaving tombstones for QRESYNC. Returns the expunged UIDs.
   */
  async expunge(
    mailbox: string,
    uids?: readonly number[],
  ): Promise<{ uids: number[]; modseq: number }> {
    const { expunged, files, modseq } = this.#transaction(() => {
      const mb = this.#mailboxRow(mailbox);
      const rows = this.#stmt(
        "SELECT id, uid, file, size FROM messages WHERE mailbox_id = ? AND flags & ? ORDER BY uid",
      ).all(mb.id, deletedBit) as unknown as {
        id: number;
        uid: number;
        file: string;
        size: number;
      }[];
      const wanted = uids ? new Set(uids) : undefined;
      const chosen = rows.filter((r) => !wanted || wanted.has(r.uid));
      if (chosen.length === 0) return { expunged: [], files: [], modseq: mb.highest_modseq };
      const modseq = this.#nextModseq();
      const del = this.#stmt("DELETE FROM messages WHERE id = ?");
      const tomb = this.#stmt(
        "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
      );
      for (const r of chosen) {
        del.run(r.id);
        tomb.run(mb.id, r.uid, modseq);
      }
      deleteText(this.#db, chosen.map((r) => r.id));
      this.#adjustUsage(-chosen.length, -chosen.reduce((sum, r) => sum + r.size, 0));
      this.#stmt("UPDATE mailboxes SET highest_modseq = ? WHERE id = ?").run(modseq, mb.id);
      return { expunged: chosen.map((r) => r.uid), files: chosen.map((r) => r.file), modseq };
    });
    // After the commit: a crash here leaves orphan files, never rows without files.
    await this.gate.remove(this.dir, files);
    return { uids: expunged, modseq };
  }

  /** Flag changes and expunges after `modseq` (RFC 7162 §3.1.4, §3.2.5). */
  changesSince(mailbox: string, modseq: number): Changes {
    const mb = this.#mailboxRow(mailbox);
    const changed = (this.#stmt(
      `SELECT uid, modseq, flags, keywords FROM messages
       WHERE mailbox_id = ? AND modseq > ? ORDER BY uid`,
    ).all(mb.id, modseq) as unknown as MessageRow[]).map((r) => ({
      uid: r.uid,
      modseq: r.modseq,
      flags: decodeFlags(r.flags, JSON.parse(r.keywords) as string[]),
    }));
    const expunged = (this.#stmt(
      "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
    ).all(mb.id, modseq) as unknown as { uid: number }[]).map((r) => r.uid);
    return { highestModseq: mb.highest_modseq, changed, expunged };
  }

  /**
   * UIDs in `mailbox` matching `criteria` (RFC 9051 §6.4.4), ascending, one page at a
   * time: never the whole mailbox in memory.
   * @throws StoreError NoSuchMailbox, BadSearch
   */
  async search(
    mailbox: string,
    criteria: Criteria,
    page: { afterUid?: number; limit?: number } = {},
  ): Promise<SearchResult> {
    // Text is indexed after delivery (see indexPendingText); catch up first so a search
    // never misses a message.
    while (await this.indexPendingText(1000) > 0) { /* until none is pending */ }
    const mb = this.#mailboxRow(mailbox);
    try {
      return search(this.#db, mb.id, criteria, page);
    } catch (err) {
      if (err instanceof SearchError) throw new StoreError("BadSearch", err.message);
      throw err;
    }
  }

  /**
   * Indexes the text of up to `limit` messages that have none yet: new deliveries
   * (indexing is kept out of the delivery path: a trigram index costs more than storing
   * the message) and messages stored before the index existed. Returns how many.
   */
  async indexPendingText(limit = 200): Promise<number> {
    {
      const ids = unindexed(this.#db, limit);
      if (ids.length === 0) return 0;
      const texts: [number, MessageText][] = [];
      for (const id of ids) {
        const row = this.#stmt("SELECT file, prefix_size, structure FROM messages WHERE id = ?")
          .get(id) as { file: string; prefix_size: number; structure: string | null } | undefined;
        if (!row) continue; // expunged meanwhile
        let bytes: Uint8Array;
        try {
          bytes = (await readMessageFile(this.dir, row.file)).subarray(row.prefix_size);
        } catch (err) {
          // Empty text marks it indexed, so pending work always ends; verifydata reports
          // the missing file.
          log.error("cannot index message text", {
            account: this.name,
            id,
            err: (err as Error).message,
          });
          texts.push([id, { headers: "", body: "" }]);
          continue;
        }
        const structure = row.structure ? JSON.parse(row.structure) as Part : parseStructure(bytes);
        texts.push([id, extractText(bytes, structure)]);
      }
      this.#transaction(() => {
        // A message expunged meanwhile must not get text back.
        const exists = this.#stmt("SELECT 1 FROM messages WHERE id = ?");
        for (const [id, text] of texts) if (exists.get(id)) indexText(this.#db, id, text);
      });
      return ids.length;
    }
  }

  /**
   * Inside a transaction: the thread of a message being added, recorded for the
   * messages after it. The rule, cheapest test first:
   * 1. the thread of the message's own Message-ID or of any it references, as an
   *    earlier message left them in message_refs: a reply joins its parent's thread, a
   *    parent the thread its early reply started; when several threads match, the
   *    oldest (lowest id). Threads are never merged: a thread id, once given, does not
   *    change (clients cache it, as JMAP clients do its immutable threadId);
   * 2. else, when the subject marks a reply or forward (RFC 5256 §2.1), the thread of
   *    the latest message with the same base subject, if its internal date is within
   *    {@linkcode subjectWindow} of this one's;
   * 3. else a new thread.
   */
  #thread(keys: ThreadKeys, date: number, newThread: () => number): number {
    const ids = JSON.stringify(
      keys.messageId === null ? keys.references : [keys.messageId, ...keys.references],
    );
    let thread: number | undefined;
    if (ids !== "[]") {
      const found = this.#stmt(
        `SELECT min(thread_id) AS thread FROM message_refs
         WHERE message_id IN (SELECT value FROM json_each(?))`,
      ).get(ids) as { thread: number | null };
      thread = found.thread ?? undefined;
    }
    if (thread === undefined && keys.replyOrForward && keys.baseSubject !== "") {
      const row = this.#stmt("SELECT thread_id, last_date FROM thread_subjects WHERE subject = ?")
        .get(keys.baseSubject) as { thread_id: number; last_date: number } | undefined;
      if (row && Math.abs(date - row.last_date) <= subjectWindow) thread = row.thread_id;
    }
    thread ??= newThread();
    if (ids !== "[]") {
      this.#stmt(
        `INSERT OR IGNORE INTO message_refs (message_id, thread_id)
         SELECT value, ? FROM json_each(?)`,
      ).run(thread, ids);
    }
    if (keys.baseSubject !== "") {
      this.#stmt(
        `INSERT INTO thread_subjects (subject, thread_id, last_date) VALUES (?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET thread_id = excluded.thread_id,
           last_date = excluded.last_date
         WHERE excluded.last_date >= thread_subjects.last_date`,
      ).run(keys.baseSubject, thread, date);
    }
    return thread;
  }

  #info(r: MailboxRow): MailboxInfo {
    const counts = this.#stmt(
      `SELECT count(*) AS messages, coalesce(sum(size), 0) AS size,
              coalesce(sum((flags & ?) = 0), 0) AS unseen
       FROM messages WHERE mailbox_id = ?`,
    ).get(seenBit, r.id) as { messages: number; size: number; unseen: number };
    return {
      name: r.name,
      specialUse: r.special_use,
      uidValidity: r.uidvalidity,
      uidNext: r.uidnext,
      highestModseq: r.highest_modseq,
      subscribed: r.subscribed === 1,
      ...counts,
    };
  }

  #flags(flags: readonly string[]): { bits: number; keywords: string[] } {
    try {
      return encodeFlags(flags);
    } catch (err) {
      if (err instanceof FlagError) throw new StoreError("BadFlag", err.message);
      throw err;
    }
  }

  #findMailbox(name: string): MailboxRow | undefined {
    return this.#stmt("SELECT * FROM mailboxes WHERE name = ?").get(name) as
      | MailboxRow
      | undefined;
  }

  #mailboxRow(name: string): MailboxRow {
    const full = mailboxName(name);
    const row = this.#findMailbox(full);
    if (!row) throw new StoreError("NoSuchMailbox", `Cannot find mailbox ${full}`);
    return row;
  }

  #insertMailbox(name: string, specialUse: string | null, subscribed: boolean): void {
    const uidvalidity = this.#counter("uidvalidity")!;
    this.#setCounter("uidvalidity", uidvalidity + 1);
    this.#stmt(
      "INSERT INTO mailboxes (name, special_use, uidvalidity, subscribed) VALUES (?, ?, ?, ?)",
    ).run(name, specialUse, uidvalidity, subscribed ? 1 : 0);
  }

  #counter(key: string): number | undefined {
    const row = this.#stmt("SELECT value FROM meta WHERE key = ?").get(key) as
      | { value: number }
      | undefined;
    return row?.value;
  }

  #setCounter(key: string, value: number): void {
    this.#stmt("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  /** Messages and octets the account keeps, across mailboxes. */
  usage(): { messages: number; size: number } {
    return {
      messages: this.#counter("total_messages") ?? 0,
      size: this.#counter("total_size") ?? 0,
    };
  }

  /** Inside a transaction: checks the quota for `messages` more of `size` octets. */
  #checkQuota(messages: number, size: number): void {
    const used = this.usage();
    const { quota } = this;
    if (
      (quota.messages > 0 && used.messages + messages > quota.messages) ||
      (quota.size > 0 && used.size + size > quota.size)
    ) {
      throw new StoreError(
        "OverQuota",
        `Cannot add to account ${this.name}: over quota (${used.messages} messages, ${used.size} octets kept)`,
      );
    }
  }

  #adjustUsage(messages: number, size: number): void {
    const used = this.usage();
    this.#setCounter("total_messages", used.messages + messages);
    this.#setCounter("total_size", used.size + size);
  }

  #nextModseq(): number {
    const next = this.#counter("modseq")! + 1;
    this.#setCounter("modseq", next);
    return next;
  }

  /**
   * A prepared statement, cached by its SQL text: preparing anew on every call leaves
   * native statements waiting for garbage collection (memory grew by hundreds of MB
   * over a 100k-message import).
   */
  #stmt(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `fn` in one write transaction. `fn` must not await. */
  #transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }
}

function toMeta(r: MessageRow): MessageMeta {
  return {
    uid: r.uid,
    modseq: r.modseq,
    flags: decodeFlags(r.flags, JSON.parse(r.keywords) as string[]),
    size: r.size,
    internalDate: r.internal_date,
    saveDate: r.save_date,
    messageId: r.message_id,
    threadId: r.thread_id,
  };
}

function sameKeywords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
