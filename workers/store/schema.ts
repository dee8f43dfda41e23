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
];

/** The schema version this code writes. */
export const schemaVersion = migrations.length;

/**
 * Brings `db` to {@linkcode schemaVersion}.
 * @throws Error when the database is newer than this code (a downgrade)
 */
export function migrate(db: DatabaseSync): void {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  const current = row.user_version;
  if (current > schemaVersion) {
    throw new Error(
      `Cannot open account index: schema version ${current} is newer than this Postern (${schemaVersion})`,
    );
  }
  for (let v = current; v < schemaVersion; v++) {
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
