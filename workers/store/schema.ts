/**
 * The account index schema (SQLite, one database per account) and its forward
 * migrations. `PRAGMA user_version` holds the schema version; each migration runs in
 * its own transaction, so a crash mid-upgrade leaves the previous version intact.
 *
 * Nothing outside workers/store/ knows this schema; the store's RPC API is the seam.
 */

import type { DatabaseSync } from "node:sqlite";
import { searchMigration } from "./search.ts";

/** Migrations in order; index i upgrades version i to i + 1. Never edit a released one. */
const migrations: string[] = [
  // 1: mailboxes, messages, expunge tombstones, credentials, counters.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
  CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,            -- hierarchy separator "/"; Inbox is "Inbox"
    special_use TEXT,                      -- RFC 6154 attribute, e.g. "\\Sent"
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL DEFAULT 1,
    highest_modseq INTEGER NOT NULL DEFAULT 1,
    subscribed INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    flags INTEGER NOT NULL DEFAULT 0,      -- system flags, bits in flags.ts
    keywords TEXT NOT NULL DEFAULT '[]',   -- JSON array of keywords
    size INTEGER NOT NULL,
    internal_date INTEGER NOT NULL,        -- ms since epoch
    save_date INTEGER NOT NULL,            -- ms since epoch (RFC 8514)
    file TEXT NOT NULL,                    -- relative path of the message file
    prefix_size INTEGER NOT NULL DEFAULT 0, -- header lines added at delivery, at the start of the file
    message_id TEXT,
    structure TEXT,                        -- JSON of core/mime Part; NULL when unparsable
    facts TEXT,                            -- JSON delivery facts for junk filtering
    UNIQUE (mailbox_id, uid)
  ) STRICT;
  CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);
  CREATE TABLE expunged (
    mailbox_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
  ) STRICT;
  CREATE INDEX expunged_by_modseq ON expunged (mailbox_id, modseq);
  CREATE TABLE credentials (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL) STRICT;
  `,
  // 2: full-text index (FTS5 trigram) for SEARCH, date and size indexes.
  searchMigration,
  // 3: thread ids (see thread.ts and Account.addBatch). Existing messages: copies of one
  // Message-ID share a thread, the rest are each their own; their references are not
  // known without reading every file, so only their own Message-IDs are recorded.
  `
  ALTER TABLE messages ADD COLUMN thread_id INTEGER;
  CREATE INDEX messages_by_message_id ON messages (message_id);
  UPDATE messages SET thread_id = CASE WHEN message_id IS NULL THEN id
    ELSE (SELECT min(m.id) FROM messages m WHERE m.message_id = messages.message_id) END;
  CREATE INDEX messages_by_thread ON messages (mailbox_id, thread_id);
  -- Every Message-ID seen, own or referenced, and its thread: a reply that arrives
  -- before its parent leaves the parent's id here, and the parent joins its thread.
  CREATE TABLE message_refs (
    message_id TEXT PRIMARY KEY,
    thread_id INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  INSERT INTO message_refs (message_id, thread_id)
    SELECT message_id, min(thread_id) FROM messages WHERE message_id IS NOT NULL
    GROUP BY message_id;
  -- Subject fallback: per base subject, the thread of its latest message and that
  -- message's internal date (ms since epoch).
  CREATE TABLE thread_subjects (
    subject TEXT PRIMARY KEY,
    thread_id INTEGER NOT NULL,
    last_date INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  -- New threads are numbered from here, above every id the rows above used.
  INSERT INTO meta (key, value) SELECT 'next_thread', coalesce(max(id), 0) + 1 FROM messages;
  `,
];

/** The schema version this code writes. */
export const schemaVersion = migrations.length;

/**
 * Brings `db` to {@linkcode schemaVersion} (or to `target`, for tests of an upgrade).
 * @throws Error when the database is newer than this code (a downgrade)
 */
export function migrate(db: DatabaseSync, target = schemaVersion): void {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  const current = row.user_version;
  if (current > schemaVersion) {
    throw new Error(
      `Cannot open account index: schema version ${current} is newer than this Postern (${schemaVersion})`,
    );
  }
  for (let v = current; v < target; v++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(migrations[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  }
}
