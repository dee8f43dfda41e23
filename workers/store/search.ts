/**
 * IMAP SEARCH over one mailbox (RFC 9051 §6.4.4), compiled to one parameterised SQLite
 * query over `messages` and an FTS5 trigram index of each message's text, paged by UID.
 *
 * Contract: {@linkcode search} validates the criteria (throwing {@linkcode SearchError},
 * code "BadSearch", past the limits in {@linkcode searchLimits} or on a malformed node),
 * then runs ONE SQL statement in which every value from the criteria is a bound
 * parameter; the SQL text is built only from constant fragments. Results come back
 * ascending by UID, at most `limit` per call, so a caller pages through a mailbox of
 * any size holding one page at a time; SQLite streams the rows in UID order (index on
 * (mailbox_id, uid)) and stops after `limit + 1`.
 *
 * What is exact and what is approximate:
 * - Exact: UID sets, flags and keywords (keywords case-insensitive, RFC 9051 §2.3.2),
 *   LARGER/SMALLER on the stored size (which includes the header lines added at
 *   delivery), MODSEQ (RFC 7162 §3.1.5: modseq >= value), BEFORE/ON/SINCE on the
 *   internal date and SAVEDBEFORE/SAVEDON/SAVEDSINCE on the save date (RFC 8514),
 *   compared by calendar day in UTC: the value is any instant (ms since the epoch) in
 *   the wanted day. DEVIATION(RFC 9051 §6.4.4): the RFC leaves the time zone of the
 *   comparison open ("disregarding time and timezone"); we fix it to UTC.
 * - Approximate: SENTBEFORE/SENTON/SENTSINCE compare the internal date, not the Date:
 *   header, which is not indexed. DEVIATION(RFC 9051 §6.4.4): for delivered mail the
 *   two are usually within minutes; for APPENDed mail the client sets the internal date.
 * - Text is searched in what `extractText` (core/mime/text.ts) made of the message: decoded text
 *   of the inline text parts (BODY) and the top-level header fields decoded (TEXT
 *   searches both). RFC 9051 §6.4.4 says "contains the specified string": we match a
 *   substring, case-insensitively with Unicode simple case folding (the trigram
 *   tokenizer's), without removing diacritics. Header fields of embedded messages,
 *   attachments and MIME part headers are not searched.
 * - HEADER name value, FROM/TO/CC/BCC/SUBJECT: exact on the indexed header text: some
 *   field called `name` (case-insensitive) whose decoded value contains the string
 *   (case-insensitive, JavaScript toLowerCase); an empty string means the field is
 *   present. FROM etc. match the whole field text ("Name <addr@host>"), not parsed
 *   addresses. The FTS index finds candidates ("Name: " and the string), a SQL
 *   function registered on the connection (`postern_header_contains`) checks each.
 * - Strings under 3 characters cannot use the trigram index: BODY/TEXT fall back to
 *   LIKE on the stored text of each candidate message of this mailbox (a full read of
 *   that text per message, so cost grows with the mailbox until `limit` matches are
 *   found); LIKE folds ASCII case and we add the upper/lower variants of non-ASCII
 *   characters. HEADER with a short string runs the check function on every message of
 *   the account that has such a field.
 * - An empty BODY/TEXT string matches every message (every text contains ""). Messages
 *   with no row in `message_text` (stored before this migration, or added without
 *   indexText) match no other text or header criterion, and so match NOT of one: the
 *   store must index existing messages when it adds the migration.
 * - Cost: the trigram index stores the text and about one index entry per
 *   character. A MATCH runs once per query over the whole account and its rowids are
 *   kept in a temporary set inside SQLite (not in JS); the outer scan walks
 *   (mailbox_id, uid) and stops after `limit + 1` matches. The date and size indexes
 *   serve selective date/size searches once ANALYZE statistics exist; without them the
 *   planner walks the UID index, which pages well.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { systemFlags } from "./flags.ts";

/**
 * SQL of the schema migration that adds the search index (to become migration 2 in
 * schema.ts). `message_text.rowid` is `messages.id`; the text keeps its content so
 * short strings can fall back to LIKE and header matches can be checked exactly.
 */
export const searchMigration = `
  CREATE VIRTUAL TABLE message_text USING fts5(headers, body, tokenize = 'trigram');
  CREATE INDEX messages_by_internal_date ON messages (mailbox_id, internal_date);
  CREATE INDEX messages_by_size ON messages (mailbox_id, size);
`;

/** Limits on one search's criteria, so a client cannot make the query arbitrarily big. */
export const searchLimits = {
  /** Deepest nesting of and/or/not below the top node. */
  maxDepth: 32,
  /** Most nodes in all (a UID range counts as one node). */
  maxNodes: 1000,
  /** Longest string (header name or searched text), in UTF-16 units. */
  maxString: 1000,
  /** Largest page. */
  maxLimit: 100_000,
} as const;

/** The default page size of {@linkcode search}. */
export const defaultSearchLimit = 10_000;

/** Search criteria, a tree close to RFC 9051 §6.4.4 search-key. Dates are ms since the epoch. */
export type Criteria =
  | { all: true }
  | { and: Criteria[] } // an empty list matches everything
  | { or: [Criteria, Criteria] }
  | { not: Criteria }
  | { uid: [number, number][] } // inclusive ranges, either order; "*" resolved by the caller
  | { flag: string; set: boolean } // "\\Seen" etc. or a keyword
  | { header: string; contains: string } // "" = the field is present
  | { from: string }
  | { to: string }
  | { cc: string }
  | { bcc: string }
  | { subject: string }
  | { body: string }
  | { text: string }
  | { before: number }
  | { on: number }
  | { since: number }
  | { sentBefore: number }
  | { sentOn: number }
  | { sentSince: number }
  | { larger: number }
  | { smaller: number }
  | { modseq: number }
  | { saveBefore: number }
  | { saveOn: number }
  | { saveSince: number };

/** A page of search results. */
export interface SearchResult {
  /** Matching UIDs after `afterUid`, ascending, at most `limit`. */
  uids: number[];
  /**
   * RFC 7162 §3.1.5: the highest MODSEQ of the messages in `uids`, present when the
   * criteria have a modseq node and `uids` is not empty. Per page: a caller paging
   * through takes the maximum over the pages.
   */
  highestModseq?: number;
  /** True when more matches follow the last UID in `uids`. */
  more: boolean;
}

/** Invalid search criteria or page; `code` is stable. */
export class SearchError extends Error {
  readonly code = "BadSearch";
  constructor(detail: string) {
    super(`Cannot search: ${detail}`);
    this.name = "SearchError";
  }
}

/** Statements used on every add or expunge, prepared once per connection (see account.ts). */
const statements = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

function stmt(db: DatabaseSync, sql: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) statements.set(db, cache = new Map());
  let s = cache.get(sql);
  if (!s) cache.set(sql, s = db.prepare(sql));
  return s;
}

/** Stores the text of a message (from extractText); call inside the add transaction. */
export function indexText(
  db: DatabaseSync,
  messageId: number,
  text: { headers: string; body: string },
): void {
  stmt(db, "INSERT OR REPLACE INTO message_text (rowid, headers, body) VALUES (?, ?, ?)")
    .run(messageId, text.headers, text.body);
}

/**
 * Removes the text of messages; call inside the expunge transaction, before a message
 * id can be reused (messages.id is a plain rowid, so the largest one can come back).
 */
export function deleteText(db: DatabaseSync, messageIds: number[]): void {
  const del = stmt(db, "DELETE FROM message_text WHERE rowid = ?");
  for (const id of messageIds) del.run(id);
}

/** Gives message `toId` the indexed text of `fromId` (COPY); call inside its transaction. */
export function copyText(db: DatabaseSync, fromId: number, toId: number): void {
  stmt(
    db,
    "INSERT OR REPLACE INTO message_text (rowid, headers, body) SELECT ?, headers, body FROM message_text WHERE rowid = ?",
  ).run(toId, fromId);
}

/** Ids of messages that have no indexed text yet (after an upgrade), at most `limit`. */
export function unindexed(db: DatabaseSync, limit: number): number[] {
  return (stmt(
    db,
    "SELECT id FROM messages WHERE id NOT IN (SELECT rowid FROM message_text) ORDER BY id LIMIT ?",
  ).all(limit) as unknown as { id: number }[]).map((r) => r.id);
}

const day = 24 * 60 * 60 * 1000;

/** Connections with the SQL function registered. */
const prepared = new WeakSet<DatabaseSync>();

/**
 * Whether the `headers` text (lines "Name: value", as extractText makes them) has a
 * field called `name` whose value contains `needle`, both case-insensitive.
 */
function headerContains(headers: string, name: string, needle: string): boolean {
  const prefix = `${name.toLowerCase()}:`;
  const want = needle.toLowerCase();
  for (const line of headers.toLowerCase().split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const value = line.slice(line[prefix.length] === " " ? prefix.length + 1 : prefix.length);
    if (value.includes(want)) return true;
  }
  return false;
}

function registerFunctions(db: DatabaseSync): void {
  if (prepared.has(db)) return;
  db.function(
    "postern_header_contains",
    { deterministic: true },
    (headers, name, needle) =>
      typeof headers === "string" && typeof name === "string" && typeof needle === "string" &&
        headerContains(headers, name, needle)
        ? 1
        : 0,
  );
  prepared.add(db);
}

/**
 * UIDs of the messages in `mailboxId` that match `criteria`, ascending, one page at a
 * time: those above `page.afterUid` (default 0), at most `page.limit` (default 10,000).
 *
 * @throws SearchError (code "BadSearch") for criteria past {@linkcode searchLimits},
 *   a malformed criteria node or page
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.4.4
 * @see https://www.rfc-editor.org/rfc/rfc7162#section-3.1.5
 */
export function search(
  db: DatabaseSync,
  mailboxId: number,
  criteria: Criteria,
  page: { afterUid?: number; limit?: number } = {},
): SearchResult {
  const afterUid = page.afterUid ?? 0;
  const limit = page.limit ?? defaultSearchLimit;
  if (!Number.isSafeInteger(afterUid) || afterUid < 0) throw new SearchError("bad afterUid");
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > searchLimits.maxLimit) {
    throw new SearchError(`limit must be 1 to ${searchLimits.maxLimit}`);
  }
  const compiler = new Compiler();
  const where = compiler.compile(criteria, 0);
  registerFunctions(db);
  const sql = `SELECT m.uid AS uid, m.modseq AS modseq FROM messages AS m
    WHERE m.mailbox_id = ? AND m.uid > ? AND (${where})
    ORDER BY m.uid LIMIT ?`;
  const rows = db.prepare(sql).all(mailboxId, afterUid, ...compiler.params, limit + 1) as {
    uid: number;
    modseq: number;
  }[];
  const more = rows.length > limit;
  if (more) rows.pop();
  const result: SearchResult = { uids: rows.map((r) => r.uid), more };
  if (compiler.usesModseq && rows.length > 0) {
    result.highestModseq = rows.reduce((max, r) => Math.max(max, r.modseq), 0);
  }
  return result;
}

/** Columns of the date criteria: internal date (RFC 9051), save date (RFC 8514). */
const dateKeys: Record<string, [column: string, op: "before" | "on" | "since"]> = {
  before: ["m.internal_date", "before"],
  on: ["m.internal_date", "on"],
  since: ["m.internal_date", "since"],
  // DEVIATION(RFC 9051 §6.4.4): SENT* use the internal date, see the module notes.
  sentBefore: ["m.internal_date", "before"],
  sentOn: ["m.internal_date", "on"],
  sentSince: ["m.internal_date", "since"],
  saveBefore: ["m.save_date", "before"], // RFC 8514 §4: SAVEDBEFORE
  saveOn: ["m.save_date", "on"],
  saveSince: ["m.save_date", "since"],
};

/** Header fields of the FROM/TO/CC/BCC/SUBJECT keys (RFC 9051 §6.4.4). */
const headerKeys: Record<string, string> = {
  from: "From",
  to: "To",
  cc: "Cc",
  bcc: "Bcc",
  subject: "Subject",
};

/** FTS columns of BODY and TEXT. */
const textKeys: Record<string, { fts: string; columns: string[] }> = {
  body: { fts: "body", columns: ["t.body"] },
  text: { fts: "{headers body}", columns: ["t.headers", "t.body"] },
};

/** Turns criteria into a SQL boolean expression over `m` and the values it binds. */
class Compiler {
  readonly params: SQLInputValue[] = [];
  usesModseq = false;
  #nodes = 0;

  compile(node: Criteria, depth: number): string {
    if (depth > searchLimits.maxDepth) {
      throw new SearchError(`criteria nest deeper than ${searchLimits.maxDepth}`);
    }
    this.#count(1);
    if (typeof node !== "object" || node === null || Array.isArray(node)) {
      throw new SearchError("a criteria node is not an object");
    }
    // Read as plain data: criteria may come from another worker, so check every field.
    const c = node as Record<string, unknown>;
    const keys = Object.keys(c);
    const key = keys.length === 1
      ? keys[0]!
      : keys.length === 2 && "flag" in c && "set" in c
      ? "flag"
      : keys.length === 2 && "header" in c && "contains" in c
      ? "header"
      : undefined;
    if (key === undefined) throw new SearchError(`unknown criteria node {${keys.join(",")}}`);
    const value = c[key];

    if (Object.hasOwn(dateKeys, key)) {
      // RFC 9051 §6.4.4: dates compare "disregarding time and timezone"; by UTC day here.
      const [column, op] = dateKeys[key]!;
      const start = Math.floor(this.#number(value, key, -8.64e15) / day) * day;
      if (op === "before") return this.#bind(`${column} < ?`, start);
      if (op === "since") return this.#bind(`${column} >= ?`, start);
      return this.#bind(`(${column} >= ? AND ${column} < ?)`, start, start + day);
    }
    if (Object.hasOwn(headerKeys, key)) {
      return this.#header(headerKeys[key]!, this.#string(value, key));
    }
    if (Object.hasOwn(textKeys, key)) return this.#text(textKeys[key]!, this.#string(value, key));

    switch (key) {
      case "all":
        if (value !== true) throw new SearchError("all must be true");
        return "1";
      case "and": {
        if (!Array.isArray(value)) throw new SearchError("and needs a list");
        if (value.length === 0) return "1";
        return balanced(value.map((v: Criteria) => this.compile(v, depth + 1)), "AND");
      }
      case "or": {
        if (!Array.isArray(value) || value.length !== 2) throw new SearchError("or needs two");
        const [a, b] = value as [Criteria, Criteria];
        return `(${this.compile(a, depth + 1)} OR ${this.compile(b, depth + 1)})`;
      }
      case "not":
        return `NOT (${this.compile(value as Criteria, depth + 1)})`;
      case "uid":
        return this.#uids(value);
      case "flag":
        return this.#flag(this.#string(value, "flag"), c["set"]);
      case "header":
        return this.#header(this.#string(value, "header"), this.#string(c["contains"], "contains"));
      case "larger":
        return this.#bind("m.size > ?", this.#number(value, key, 0));
      case "smaller":
        return this.#bind("m.size < ?", this.#number(value, key, 0));
      case "modseq":
        // RFC 7162 §3.1.5: messages whose mod-sequence is >= the value.
        this.usesModseq = true;
        return this.#bind("m.modseq >= ?", this.#number(value, key, 0));
      default:
        throw new SearchError(`unknown criteria node {${key}}`);
    }
  }

  #count(n: number): void {
    this.#nodes += n;
    if (this.#nodes > searchLimits.maxNodes) {
      throw new SearchError(`criteria have more than ${searchLimits.maxNodes} nodes`);
    }
  }

  #bind(sql: string, ...values: SQLInputValue[]): string {
    this.params.push(...values);
    return sql;
  }

  #string(value: unknown, what: string): string {
    if (typeof value !== "string") throw new SearchError(`${what} needs a string`);
    if (value.length > searchLimits.maxString) {
      throw new SearchError(`${what} string longer than ${searchLimits.maxString}`);
    }
    return value;
  }

  #number(value: unknown, what: string, min: number): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      throw new SearchError(`${what} needs an integer >= ${min}`);
    }
    return value;
  }

  /** RFC 9051 §6.4.4 UID sequence-set: inclusive ranges, "2:4" = "4:2". */
  #uids(value: unknown): string {
    if (!Array.isArray(value)) throw new SearchError("uid needs a list of ranges");
    if (value.length === 0) return "0";
    this.#count(value.length);
    const terms = value.map((range: unknown) => {
      if (!Array.isArray(range) || range.length !== 2) throw new SearchError("bad uid range");
      const a = this.#number(range[0], "uid", 0);
      const b = this.#number(range[1], "uid", 0);
      return this.#bind("m.uid BETWEEN ? AND ?", Math.min(a, b), Math.max(a, b));
    });
    return balanced(terms, "OR");
  }

  /** RFC 9051 §6.4.4 SEEN/UNSEEN/…/KEYWORD/UNKEYWORD; keywords case-insensitive (§2.3.2). */
  #flag(flag: string, set: unknown): string {
    if (typeof set !== "boolean") throw new SearchError("flag needs set: boolean");
    const lower = flag.toLowerCase();
    if (flag.startsWith("\\")) {
      // IMAP4rev2 has no \Recent (RFC 9051 §2.3.2): no message has it.
      if (lower === "\\recent") return set ? "0" : "1";
      const bit = systemFlags[lower as keyof typeof systemFlags];
      if (bit === undefined) throw new SearchError(`unknown system flag ${flag.slice(0, 40)}`);
      return this.#bind(set ? "(m.flags & ?) <> 0" : "(m.flags & ?) = 0", bit);
    }
    // Stored keywords are ASCII atoms (flags.ts), so SQLite's ASCII lower() suffices.
    const has = "(m.keywords <> '[]' AND EXISTS " +
      "(SELECT 1 FROM json_each(m.keywords) AS k WHERE lower(k.value) = ?))";
    return this.#bind(set ? has : `NOT ${has}`, lower);
  }

  /** HEADER / FROM / …: a field called `name` whose value contains `needle`. */
  #header(name: string, needle: string): string {
    // Candidates from the index: the field's "Name: " (always >= 3 characters) and the
    // string when it is long enough; then the exact check per candidate.
    const phrases = [fts(`${name}: `)];
    if ([...needle].length >= 3) phrases.push(fts(needle));
    return this.#bind(
      "m.id IN (SELECT rowid FROM message_text WHERE message_text MATCH ?" +
        " AND postern_header_contains(headers, ?, ?))",
      `headers : (${phrases.join(" AND ")})`,
      name,
      needle,
    );
  }

  /** BODY / TEXT: a substring of the body text (or of the header text). */
  #text(where: { fts: string; columns: string[] }, needle: string): string {
    if (needle === "") return "1"; // every text contains ""
    if ([...needle].length >= 3) {
      return this.#bind(
        "m.id IN (SELECT rowid FROM message_text WHERE message_text MATCH ?)",
        `${where.fts} : ${fts(needle)}`,
      );
    }
    // Trigrams need 3 characters: LIKE over this message's stored text instead.
    const patterns = likePatterns(needle);
    const tests = where.columns.flatMap((col) =>
      patterns.map((p) => this.#bind(`${col} LIKE ? ESCAPE '\\'`, p))
    );
    return `EXISTS (SELECT 1 FROM message_text AS t WHERE t.rowid = m.id AND (${
      tests.join(" OR ")
    }))`;
  }
}

/**
 * `terms` joined with `op` as a balanced tree: SQLite caps expression depth at 1000,
 * and a flat chain of 1000 terms is a tree 1000 deep. Order (and so the order of the
 * bound parameters) is kept.
 */
function balanced(terms: string[], op: "AND" | "OR"): string {
  if (terms.length === 1) return terms[0]!;
  const mid = terms.length >> 1;
  return `(${balanced(terms.slice(0, mid), op)} ${op} ${balanced(terms.slice(mid), op)})`;
}

/** An FTS5 string (phrase): double quotes inside are doubled, so it is only ever data. */
function fts(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * LIKE patterns for a substring of 1 or 2 characters: "%", "_" and "\" escaped, and
 * one pattern per combination of case variants of non-ASCII characters (LIKE folds
 * only ASCII), so at most 9.
 */
function likePatterns(needle: string): string[] {
  let out = [""];
  for (const ch of needle) {
    const variants = new Set([ch]);
    if (ch > "\x7f") {
      for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
        if ([...v].length === 1) variants.add(v);
      }
    }
    const escaped = [...variants].map((v) => v.replace(/[\\%_]/g, "\\$&"));
    out = out.flatMap((p) => escaped.map((e) => p + e));
  }
  return out.map((p) => `%${p}%`);
}
