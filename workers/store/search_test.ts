import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { extractText, parseStructure } from "../../core/mime/mod.ts";
import { migrate } from "./schema.ts";
import {
  type Criteria,
  deleteText,
  indexText,
  search,
  SearchError,
  searchLimits,
} from "./search.ts";

const encoder = new TextEncoder();
const day = 24 * 60 * 60 * 1000;
const base = Date.UTC(2024, 0, 1);

/** What a synthetic message holds, for computing the expected results in JS. */
interface Msg {
  uid: number;
  modseq: number;
  flags: number;
  keywords: string[];
  size: number;
  internalDate: number;
  saveDate: number;
  from: string;
  to: string;
  cc?: string;
  subject: string;
  tag?: string;
  body: string;
  attachment?: string;
}

const names = ["Alice Smith", "Bob Jones", "Jörg Müller", "Zoë Ωmega", "Carol"];

function synthetic(i: number): Msg {
  const m: Msg = {
    uid: i + (i > 100 ? 5 : 0), // a gap in the UIDs
    modseq: ((i * 7919) % 1000) + 1,
    flags: i % 32,
    keywords: i % 5 === 0 ? ["$Junk"] : i % 7 === 0 ? ["Work", "$Forwarded"] : [],
    size: 1000 + i * 10,
    internalDate: base + i * 6 * 60 * 60 * 1000, // four a day
    saveDate: base + i * 6 * 60 * 60 * 1000 + day,
    from: `${names[i % 5]} <user${i % 7}@example.org>`,
    to: `team${i % 3}@example.com`,
    subject: i % 10 === 0 ? "Grüße aus Köln" : `Report ${i}`,
    body: `Hello number ${i}. ${i % 3 === 0 ? "The quick brown fox" : "Lorem ipsum"}` +
      (i % 50 === 0 ? ' 50% off_now; it\'s "quoted"' : "") +
      (i % 11 === 0 ? " Viele Grüße" : ""),
  };
  if (i % 4 === 0) m.cc = "Boss <boss@example.net>";
  if (i % 9 === 0) m.tag = `ab-${i}`;
  if (i % 8 === 0) m.attachment = "secretattachmentword";
  return m;
}

/** The message as RFC 5322 bytes, with encoded words, HTML and attachments. */
function rfc5322(m: Msg): string {
  const q = (s: string) => /[^\x20-\x7e]/.test(s) ? `=?utf-8?B?${b64(s)}?=` : s;
  const lines = [
    `From: ${q(m.from.replace(/ <.*/, ""))} ${m.from.replace(/.* </, "<")}`,
    `To: ${m.to}`,
    ...(m.cc === undefined ? [] : [`Cc: ${m.cc}`]),
    `Subject: ${q(m.subject)}`,
    ...(m.tag === undefined ? [] : [`X-Tag: ${m.tag}`]),
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
  ];
  if (m.uid % 6 === 0) {
    lines.push(
      "Content-Type: text/html; charset=utf-8",
      "",
      `<p>${m.body.replace(/&/g, "&amp;")}</p>`,
    );
  } else {
    lines.push("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "");
    lines.push(b64(m.body));
  }
  if (m.attachment !== undefined) {
    lines.push("--b", "Content-Type: text/plain", "Content-Disposition: attachment", "");
    lines.push(m.attachment);
  }
  lines.push("--b--", "");
  return lines.join("\r\n");
}

function b64(s: string): string {
  return btoa(String.fromCharCode(...encoder.encode(s)));
}

const messages = Array.from({ length: 300 }, (_, i) => synthetic(i + 1));

function openDb(): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  migrate(db);
  db.exec(
    `INSERT INTO mailboxes (id, name, uidvalidity) VALUES (1, 'Inbox', 1), (2, 'Other', 1)`,
  );
  return db;
}

const insert = `INSERT INTO messages (mailbox_id, uid, modseq, flags, keywords, size,
  internal_date, save_date, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'f') RETURNING id`;

/** Mailbox 1 with `messages`; mailbox 2 with one message that matches nearly anything. */
function fixture(): DatabaseSync {
  const db = openDb();
  db.exec("BEGIN");
  const add = db.prepare(insert);
  for (const m of messages) {
    const row = add.get(
      1,
      m.uid,
      m.modseq,
      m.flags,
      JSON.stringify(m.keywords),
      m.size,
      m.internalDate,
      m.saveDate,
    ) as { id: number };
    const bytes = encoder.encode(rfc5322(m));
    indexText(db, row.id, extractText(bytes, parseStructure(bytes)));
  }
  const other = add.get(2, 1, 5000, 31, '["$Junk"]', 999_999, base, base) as { id: number };
  indexText(db, other.id, {
    headers: "From: everyone\nSubject: Grüße Report zz\nX-Tag: ab",
    body: "Hello quick brown fox Lorem ipsum Grüße 50% off_now",
  });
  db.exec("COMMIT");
  return db;
}

function expected(pred: (m: Msg) => boolean): number[] {
  return messages.filter(pred).map((m) => m.uid);
}

function uids(db: DatabaseSync, criteria: Criteria): number[] {
  return search(db, 1, criteria).uids;
}

const has = (hay: string | undefined, needle: string) =>
  hay !== undefined && hay.toLowerCase().includes(needle.toLowerCase());
const dayOf = (ms: number) => Math.floor(ms / day);
const headerText = (m: Msg) => [m.from, m.to, m.cc ?? "", m.subject, m.tag ?? ""].join("\n");

Deno.test("search() matches each criterion like a reference filter", () => {
  using db = fixture();
  const d = messages[40]!.internalDate + 3 * 60 * 60 * 1000; // same day, another hour
  const cases: [Criteria, (m: Msg) => boolean][] = [
    [{ all: true }, () => true],
    [
      { uid: [[3, 9], [120, 110], [300, 400]] },
      (m) => (m.uid >= 3 && m.uid <= 9) || (m.uid >= 110 && m.uid <= 120) || m.uid >= 300,
    ],
    [{ uid: [] }, () => false],
    [{ flag: "\\Seen", set: true }, (m) => (m.flags & 1) !== 0],
    [{ flag: "\\FLAGGED", set: false }, (m) => (m.flags & 4) === 0],
    [{ flag: "\\Draft", set: true }, (m) => (m.flags & 16) !== 0],
    [{ flag: "\\Recent", set: true }, () => false],
    [{ flag: "$junk", set: true }, (m) => m.keywords.includes("$Junk")],
    [{ flag: "WORK", set: true }, (m) => m.keywords.includes("Work")],
    [{ flag: "work", set: false }, (m) => !m.keywords.includes("Work")],
    [{ header: "X-Tag", contains: "" }, (m) => m.tag !== undefined],
    [{ header: "x-tag", contains: "AB-1" }, (m) => has(m.tag, "ab-1")],
    [{ header: "Cc", contains: "boss@" }, (m) => has(m.cc, "boss@")],
    [{ header: "X-Missing", contains: "" }, () => false],
    [{ from: "müller" }, (m) => has(m.from, "müller")],
    [{ from: "USER3@" }, (m) => has(m.from, "user3@")],
    [{ from: "team1" }, () => false], // only in To
    [{ to: "team1@" }, (m) => has(m.to, "team1@")],
    [{ cc: "example.net" }, (m) => has(m.cc, "example.net")],
    [{ bcc: "anything" }, () => false],
    [{ subject: "GRÜßE AUS" }, (m) => has(m.subject, "grüße aus")],
    [{ subject: "grüße AUS" }, (m) => has(m.subject, "grüße aus")],
    [{ subject: "report 1" }, (m) => has(m.subject, "report 1")],
    [{ body: "quick BROWN" }, (m) => has(m.body, "quick brown")],
    [{ body: "secretattachmentword" }, () => false], // attachments are not indexed
    [{ body: "Report" }, () => false], // headers are not body
    [{ text: "Report 12" }, (m) => has(m.subject, "report 12") || has(m.body, "report 12")],
    [{ text: "zoë ω" }, (m) => has(headerText(m), "zoë ω") || has(m.body, "zoë ω")],
    [{ body: "VIELE GRÜSSE" }, () => false], // no ß/ss folding
    [{ body: "viele GRÜße" }, (m) => has(m.body, "viele grüße")],
    [{ before: d }, (m) => dayOf(m.internalDate) < dayOf(d)],
    [{ on: d }, (m) => dayOf(m.internalDate) === dayOf(d)],
    [{ since: d }, (m) => dayOf(m.internalDate) >= dayOf(d)],
    [{ sentBefore: d }, (m) => dayOf(m.internalDate) < dayOf(d)],
    [{ sentOn: d }, (m) => dayOf(m.internalDate) === dayOf(d)],
    [{ sentSince: d }, (m) => dayOf(m.internalDate) >= dayOf(d)],
    [{ saveBefore: d }, (m) => dayOf(m.saveDate) < dayOf(d)],
    [{ saveOn: d }, (m) => dayOf(m.saveDate) === dayOf(d)],
    [{ saveSince: d }, (m) => dayOf(m.saveDate) >= dayOf(d)],
    [{ larger: 2000 }, (m) => m.size > 2000],
    [{ smaller: 1500 }, (m) => m.size < 1500],
    [{ modseq: 900 }, (m) => m.modseq >= 900],
  ];
  for (const [criteria, pred] of cases) {
    assert.deepEqual(uids(db, criteria), expected(pred), JSON.stringify(criteria));
  }
  // Sanity: the interesting cases are not vacuous.
  assert.ok(expected((m) => dayOf(m.internalDate) === dayOf(d)).length === 4);
  assert.ok(expected((m) => has(m.body, "viele grüße")).length > 5);
});

Deno.test("search() combines criteria with and, or and not", () => {
  using db = fixture();
  const cases: [Criteria, (m: Msg) => boolean][] = [
    [{ and: [] }, () => true],
    [
      { and: [{ flag: "\\Seen", set: true }, { body: "quick" }, { smaller: 2500 }] },
      (m) => (m.flags & 1) !== 0 && has(m.body, "quick") && m.size < 2500,
    ],
    [
      { or: [{ subject: "grüße" }, { flag: "$Junk", set: true }] },
      (m) => has(m.subject, "grüße") || m.keywords.includes("$Junk"),
    ],
    [{ not: { body: "lorem" } }, (m) => !has(m.body, "lorem")],
    [{ not: { header: "X-Tag", contains: "" } }, (m) => m.tag === undefined],
    [
      { not: { or: [{ uid: [[1, 250]] }, { not: { text: "fox" } }] } },
      (m) => !(m.uid <= 250 || !has(m.body, "fox")),
    ],
    [
      { and: [{ not: { body: "ü" } }, { or: [{ from: "bob" }, { cc: "boss" }] }] },
      (m) => !has(m.body, "ü") && (has(m.from, "bob") || has(m.cc, "boss")),
    ],
  ];
  for (const [criteria, pred] of cases) {
    assert.deepEqual(uids(db, criteria), expected(pred), JSON.stringify(criteria));
  }
});

Deno.test("search() finds strings shorter than 3 characters with LIKE", () => {
  using db = fixture();
  const cases: [Criteria, (m: Msg) => boolean][] = [
    [{ body: "Ü" }, (m) => has(m.body, "ü")],
    [{ body: "üS" }, (m) => has(m.body, "üs")],
    [{ body: "%" }, (m) => m.body.includes("%")],
    [{ body: "f_" }, (m) => m.body.includes("f_")],
    [{ body: "x" }, (m) => has(m.body, "x")],
    [{ text: "Zo" }, (m) => has(headerText(m), "zo") || has(m.body, "zo")],
    [{ subject: "Ö" }, (m) => has(m.subject, "ö")],
    [{ header: "X-TAG", contains: "b-" }, (m) => has(m.tag, "b-")],
    [{ body: "" }, () => true],
  ];
  for (const [criteria, pred] of cases) {
    const want = expected(pred);
    assert.deepEqual(uids(db, criteria), want, JSON.stringify(criteria));
  }
});

Deno.test("search() pages by UID with afterUid, limit and more", () => {
  using db = fixture();
  const criteria: Criteria = { body: "lorem" };
  const all = expected((m) => has(m.body, "lorem"));
  const got: number[] = [];
  let afterUid = 0;
  for (let pages = 0;; pages++) {
    assert.ok(pages < 100);
    const page = search(db, 1, criteria, { afterUid, limit: 17 });
    assert.ok(page.uids.length <= 17);
    got.push(...page.uids);
    if (!page.more) break;
    assert.equal(page.uids.length, 17);
    afterUid = page.uids.at(-1)!;
  }
  assert.deepEqual(got, all);
  const exact = search(db, 1, criteria, { limit: all.length });
  assert.deepEqual(exact, { uids: all, more: false });
  assert.deepEqual(search(db, 1, criteria, { afterUid: all.at(-1)! }), { uids: [], more: false });
});

Deno.test("search() reports the highest MODSEQ of the matches only for a MODSEQ search", () => {
  using db = fixture();
  const want = messages.filter((m) => m.modseq >= 500 && has(m.body, "fox"));
  const result = search(db, 1, { and: [{ modseq: 500 }, { body: "fox" }] });
  assert.deepEqual(result.uids, want.map((m) => m.uid));
  assert.equal(result.highestModseq, Math.max(...want.map((m) => m.modseq)));
  assert.equal(search(db, 1, { body: "fox" }).highestModseq, undefined);
  const none = search(db, 1, { modseq: 1_000_000 });
  assert.deepEqual(none, { uids: [], more: false }); // RFC 7162 §3.1.5: no MODSEQ when empty
  const page = search(db, 1, { not: { modseq: 2_000 } }, { limit: 3 });
  assert.equal(page.highestModseq, Math.max(...messages.slice(0, 3).map((m) => m.modseq)));
});

Deno.test("search() keeps SQL- and FTS-looking input as data", () => {
  using db = fixture();
  const hostile: Criteria[] = [
    { body: "'); DROP TABLE messages; --" },
    { body: '" OR "1"="1' },
    { text: "fox* OR NEAR(a b) ^x col:y" },
    { header: 'Subject" OR 1=1 --', contains: "x" },
    { header: "Subject", contains: "') OR 1=1 --" },
    { subject: "' OR ''='" },
    { body: "\\" },
    { flag: "x') OR 1=1 --", set: true },
  ];
  for (const criteria of hostile) {
    assert.deepEqual(uids(db, criteria), [], JSON.stringify(criteria));
  }
  assert.deepEqual(uids(db, { body: 'it\'s "quoted"' }), expected((m) => m.body.includes("it's")));
  assert.deepEqual(uids(db, { body: "'" }), expected((m) => m.body.includes("'")));
  assert.deepEqual(uids(db, { body: "50% off_now" }), expected((m) => m.body.includes("50%")));
  assert.equal(uids(db, { all: true }).length, messages.length);
});

Deno.test("search() rejects criteria past the limits with BadSearch", () => {
  using db = fixture();
  const bad = (criteria: unknown, page?: { afterUid?: number; limit?: number }) =>
    assert.throws(
      () => search(db, 1, criteria as Criteria, page),
      (err: unknown) => err instanceof SearchError && err.code === "BadSearch",
      JSON.stringify(criteria),
    );
  const nest = (n: number): Criteria => n === 0 ? { all: true } : { not: nest(n - 1) };
  assert.deepEqual(uids(db, nest(searchLimits.maxDepth)), uids(db, { all: true }));
  bad(nest(searchLimits.maxDepth + 1));

  const many = (n: number): Criteria => ({
    and: Array.from({ length: n - 1 }, () => ({ larger: 0 })),
  });
  assert.equal(uids(db, many(searchLimits.maxNodes)).length, messages.length);
  bad(many(searchLimits.maxNodes + 1));
  const ranges = Array.from({ length: searchLimits.maxNodes }, (_, i): [number, number] => [i, i]);
  bad({ uid: ranges });

  const long = "x".repeat(searchLimits.maxString);
  assert.deepEqual(uids(db, { body: long }), []);
  bad({ body: long + "x" });
  bad({ header: long + "x", contains: "" });

  bad({});
  bad({ all: false });
  bad({ nope: 1 });
  bad({ toString: 1 });
  bad({ body: "a", text: "b" });
  bad({ body: 1 });
  bad({ larger: -1 });
  bad({ before: Number.NaN });
  bad({ uid: [[1]] });
  bad({ or: [{ all: true }] });
  bad({ flag: "\\Bogus", set: true });
  bad({ flag: "x" });
  bad(null);
  bad({ all: true }, { limit: 0 });
  bad({ all: true }, { limit: searchLimits.maxLimit + 1 });
  bad({ all: true }, { afterUid: -1 });
});

Deno.test("deleteText() and indexText() keep the text index in step with the messages", () => {
  using db = fixture();
  const id = (uid: number) =>
    (db.prepare("SELECT id FROM messages WHERE mailbox_id = 1 AND uid = ?").get(uid) as {
      id: number;
    }).id;
  const before = uids(db, { body: "quick brown" });
  const [first, second] = before as [number, number];
  deleteText(db, [id(first), id(second)]);
  assert.deepEqual(uids(db, { body: "quick brown" }), before.slice(2));
  indexText(db, id(first), { headers: "Subject: replaced", body: "quick brown again" });
  indexText(db, id(first), { headers: "Subject: replaced twice", body: "quick brown again" });
  assert.deepEqual(uids(db, { body: "quick brown" }), [first, ...before.slice(2)]);
  assert.deepEqual(uids(db, { subject: "replaced twice" }), [first]);
  // A message without text matches no (non-empty) text criterion, so NOT of one.
  assert.ok(!uids(db, { body: "ello" }).includes(second));
  assert.ok(!uids(db, { body: "el" }).includes(second));
  assert.ok(uids(db, { not: { body: "zzzz" } }).includes(second));
});

Deno.test("search() finds a selective body string in a 100,000-message mailbox in under 2 s", () => {
  using db = openDb();
  const count = 100_000;
  const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
  // Generated in SQL: a JS loop would spend most of the test's time on row inserts.
  db.prepare(
    `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?)
     INSERT INTO messages (mailbox_id, uid, modseq, flags, size, internal_date, save_date, file)
     SELECT 1, x, x, x % 32, 2000 + x, ? + x * 60000, ?, 'f' FROM n`,
  ).run(count, base, base);
  db.prepare(
    `INSERT INTO message_text (rowid, headers, body)
     SELECT id, printf('From: user%d@example.org' || char(10) || 'Subject: Report %d', uid % 100, uid),
       printf('Message %d: %s %s status report%s', uid,
         json_extract(?, '$[' || (uid % 8) || ']'), json_extract(?, '$[' || (uid * 7 % 8) || ']'),
         CASE WHEN uid % 10007 = 0 THEN ' the rare zanzibar quokka appears' ELSE '' END)
     FROM messages`,
  ).run(JSON.stringify(words), JSON.stringify(words));
  const rare = Array.from({ length: count }, (_, i) => i + 1).filter((u) => u % 10_007 === 0);

  const heapBefore = Deno.memoryUsage().heapUsed;
  let start = performance.now();
  const found = search(db, 1, { body: "Zanzibar Quokka" });
  const selective = performance.now() - start;
  assert.deepEqual(found, { uids: rare, more: false });
  assert.ok(selective < 2000, `selective body search took ${selective.toFixed(0)} ms`);

  // Non-selective searches return one page, not the mailbox.
  start = performance.now();
  const page = search(db, 1, { body: "status report" }, { limit: 1000 });
  assert.equal(page.uids.length, 1000);
  assert.ok(page.more);
  const combined = search(db, 1, {
    and: [{ flag: "\\Seen", set: true }, { not: { body: "quokka" } }, { since: base }],
  }, { afterUid: 50_000, limit: 100 });
  assert.equal(combined.uids.length, 100);
  assert.equal(combined.uids[0], 50_001);
  const short = search(db, 1, { body: "qu" }, { limit: 5 });
  assert.deepEqual(short.uids, rare.slice(0, 5));
  const all = search(db, 1, { all: true });
  assert.equal(all.uids.length, 10_000);
  assert.ok(all.more);
  const others = performance.now() - start;
  assert.ok(others < 5000, `paged searches took ${others.toFixed(0)} ms`);
  const grown = Deno.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown} bytes`);
});
