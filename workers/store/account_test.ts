import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Account, defaultMailboxes, mailboxName } from "./account.ts";
import { StoreError } from "./api.ts";
import { migrate } from "./schema.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const message = (subject: string, id = subject) =>
  enc.encode(
    `From: a@example.org\r\nMessage-ID: <${id}@example.org>\r\nSubject: ${subject}\r\n\r\nBody of ${subject}\r\n`,
  );

async function withAccount(fn: (a: Account, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postern-account-" });
  const account = await Account.open("alice", dir);
  try {
    await fn(account, dir);
  } finally {
    account.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const storeCode = (code: string) => (err: unknown) =>
  err instanceof StoreError && err.code === code;

Deno.test("Account.open() creates the default mailboxes with special-use attributes", () =>
  withAccount((a) => {
    const boxes = a.mailboxes();
    assert.deepEqual(
      boxes.map((b) => [b.name, b.specialUse]).sort(),
      defaultMailboxes.map(([n, s]) => [n, s]).sort(),
    );
    const validities = new Set(boxes.map((b) => b.uidValidity));
    assert.equal(validities.size, boxes.length, "each mailbox has its own UIDVALIDITY");
    assert.ok(boxes.every((b) => b.uidNext === 1 && b.messages === 0 && b.subscribed));
    return Promise.resolve();
  }));

Deno.test("Account.add() stores the message with its delivery prefix, durably numbered", () =>
  withAccount(async (a) => {
    const added = await a.add({
      mailbox: "inbox",
      message: message("one"),
      prefix: "Received: from x by y\r\n",
      flags: ["\\Seen", "$Forwarded"],
      internalDate: 1_700_000_000_000,
      facts: { remoteIp: "192.0.2.1", ehlo: "x.example" },
    });
    assert.equal(added.mailbox, "Inbox");
    assert.equal(added.uid, 1);
    const bytes = dec.decode(await a.read("Inbox", 1));
    assert.ok(bytes.startsWith("Received: from x by y\r\nFrom: a@example.org\r\n"));
    const [meta] = a.messages("Inbox");
    assert.deepEqual(meta?.flags, ["\\Seen", "$Forwarded"]);
    assert.equal(meta?.size, bytes.length);
    assert.equal(meta?.messageId, "one@example.org");
    assert.equal(meta?.internalDate, 1_700_000_000_000);
    assert.equal(dec.decode(await a.read("Inbox", 1, { start: 0, end: 8 })), "Received");
    const info = a.mailbox("Inbox");
    assert.equal(info.uidNext, 2);
    assert.equal(info.messages, 1);
    assert.equal(info.unseen, 0);
    assert.equal(info.highestModseq, added.modseq);
  }));

Deno.test("Account.add() gives concurrent adds distinct ascending UIDs", () =>
  withAccount(async (a) => {
    const added = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.add({ mailbox: "Inbox", message: message(`m${i}`) })),
    );
    const uids = added.map((x) => x.uid).sort((x, y) => x - y);
    assert.deepEqual(uids, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(new Set(added.map((x) => x.modseq)).size, 50, "each add has its own modseq");
    assert.equal(a.mailbox("Inbox").messages, 50);
  }));

Deno.test("Account.add() rejects unknown mailboxes and bad flags without leaving a file", () =>
  withAccount(async (a, dir) => {
    await assert.rejects(
      a.add({ mailbox: "Nope", message: message("x") }),
      storeCode("NoSuchMailbox"),
    );
    await assert.rejects(
      a.add({ mailbox: "Inbox", message: message("x"), flags: ["\\Bogus"] }),
      storeCode("BadFlag"),
    );
    await assert.rejects(
      a.add({ mailbox: "Inbox", message: message("x"), flags: ["has space"] }),
      storeCode("BadFlag"),
    );
    const files = [];
    try {
      for await (const b of Deno.readDir(`${dir}/msg`)) files.push(b.name);
    } catch { /* no msg dir at all: fine */ }
    assert.deepEqual(files, []);
  }));

Deno.test("Account.messages() pages through a mailbox by UID", () =>
  withAccount(async (a) => {
    for (let i = 0; i < 25; i++) await a.add({ mailbox: "Inbox", message: message(`m${i}`) });
    const first = a.messages("Inbox", 1, Number.MAX_SAFE_INTEGER, 10);
    assert.deepEqual(first.map((m) => m.uid), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const next = a.messages("Inbox", first.at(-1)!.uid + 1, Number.MAX_SAFE_INTEGER, 10);
    assert.equal(next[0]?.uid, 11);
    assert.deepEqual(a.messages("Inbox", 20, 22).map((m) => m.uid), [20, 21, 22]);
  }));

Deno.test("Account.setFlags() adds, removes and replaces, and honours UNCHANGEDSINCE", () =>
  withAccount(async (a) => {
    for (let i = 0; i < 3; i++) await a.add({ mailbox: "Inbox", message: message(`m${i}`) });
    const before = a.mailbox("Inbox").highestModseq;
    const r1 = a.setFlags("Inbox", [1, 2, 99], { op: "add", flags: ["\\Seen", "$Junk"] });
    assert.deepEqual(r1.changed.map((c) => c.uid), [1, 2], "unknown UIDs ignored");
    assert.ok(r1.changed.every((c) => c.modseq > before));
    assert.deepEqual(r1.changed[0]?.flags, ["\\Seen", "$Junk"]);
    assert.equal(a.mailbox("Inbox").unseen, 1);

    const again = a.setFlags("Inbox", [1], { op: "add", flags: ["\\seen", "$junk"] });
    assert.deepEqual(again.changed, [], "no change, no new modseq");

    const removed = a.setFlags("Inbox", [1], { op: "remove", flags: ["$JUNK"] });
    assert.deepEqual(removed.changed[0]?.flags, ["\\Seen"]);
    const replaced = a.setFlags("Inbox", [2], { op: "replace", flags: ["\\Flagged"] });
    assert.deepEqual(replaced.changed[0]?.flags, ["\\Flagged"]);

    // RFC 7162 §3.1.3: message 1 changed after `before`, message 3 did not.
    const cond = a.setFlags("Inbox", [1, 3], {
      op: "add",
      flags: ["\\Answered"],
      unchangedSince: before,
    });
    assert.deepEqual(cond.failed, [1]);
    assert.deepEqual(cond.changed.map((c) => c.uid), [3]);
  }));

Deno.test("Account.expunge() removes \\Deleted messages, leaves tombstones and drops files", () =>
  withAccount(async (a, dir) => {
    for (let i = 0; i < 4; i++) await a.add({ mailbox: "Inbox", message: message(`m${i}`) });
    const mark = a.setFlags("Inbox", [1, 2, 3], { op: "add", flags: ["\\Deleted"] });
    const since = mark.changed[0]!.modseq;
    const partial = await a.expunge("Inbox", [2]);
    assert.deepEqual(partial.uids, [2], "UID EXPUNGE takes only the given \\Deleted UIDs");
    const rest = await a.expunge("Inbox");
    assert.deepEqual(rest.uids, [1, 3]);
    assert.deepEqual(a.messages("Inbox").map((m) => m.uid), [4]);
    await assert.rejects(a.read("Inbox", 1), storeCode("NoSuchMessage"));
    const changes = a.changesSince("Inbox", since);
    assert.deepEqual(changes.expunged, [1, 2, 3]);
    assert.equal(changes.highestModseq, rest.modseq);
    let files = 0;
    for await (const bucket of Deno.readDir(`${dir}/msg`)) {
      for await (const _ of Deno.readDir(`${dir}/msg/${bucket.name}`)) files++;
    }
    assert.equal(files, 1, "only the remaining message's file is left");
  }));

Deno.test("Account.changesSince() reports flag changes after a modseq", () =>
  withAccount(async (a) => {
    await a.add({ mailbox: "Inbox", message: message("a") });
    const added = await a.add({ mailbox: "Inbox", message: message("b") });
    a.setFlags("Inbox", [1], { op: "add", flags: ["\\Seen"] });
    const changes = a.changesSince("Inbox", added.modseq);
    assert.deepEqual(changes.changed.map((c) => [c.uid, c.flags]), [[1, ["\\Seen"]]]);
    assert.deepEqual(changes.expunged, []);
  }));

Deno.test("Account.createMailbox() creates missing parents and refuses duplicates", () =>
  withAccount((a) => {
    a.createMailbox("Lists/deno/announce");
    const names = a.mailboxes().map((b) => b.name);
    assert.ok(["Lists", "Lists/deno", "Lists/deno/announce"].every((n) => names.includes(n)));
    assert.throws(() => a.createMailbox("Lists/deno"), storeCode("MailboxExists"));
    assert.throws(() => a.createMailbox("INBOX"), storeCode("MailboxExists"));
    assert.throws(() => a.createMailbox("a//b"), storeCode("BadMailboxName"));
    return Promise.resolve();
  }));

Deno.test("mailboxName() normalises Inbox and rejects bad names", () => {
  assert.equal(mailboxName("INBOX"), "Inbox");
  assert.equal(mailboxName("inbox/Sub"), "Inbox/Sub");
  assert.equal(mailboxName("Sent"), "Sent");
  for (const bad of ["", "/a", "a/", "a\x00b", "a*", "%", "x".repeat(513)]) {
    assert.throws(() => mailboxName(bad), storeCode("BadMailboxName"), JSON.stringify(bad));
  }
});

Deno.test("Account.open() keeps state across reopen and refuses a newer schema", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-account-" });
  try {
    const a = await Account.open("alice", dir);
    await a.add({ mailbox: "Inbox", message: message("kept") });
    const validity = a.mailbox("Inbox").uidValidity;
    a.close();
    const b = await Account.open("alice", dir);
    assert.equal(b.mailbox("Inbox").uidValidity, validity);
    assert.equal(b.mailbox("Inbox").uidNext, 2);
    assert.equal(dec.decode(await b.read("Inbox", 1)).includes("Subject: kept"), true);
    b.close();
    const db = new DatabaseSync(`${dir}/index.db`);
    db.exec("PRAGMA user_version = 99");
    db.close();
    await assert.rejects(Account.open("alice", dir), /schema version 99 is newer/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Account.add() stores a malformed message byte for byte, its structure marked", () =>
  withAccount(async (a) => {
    const odd = enc.encode(
      "Content-Type: multipart/mixed; boundary=b\r\nMessage-ID: <odd@x>\r\n\r\n--b\r\n" +
        "Content-Type: text/plain\r\n\r\nno closing boundary, \xff bytes\r\n",
    );
    await a.add({ mailbox: "Inbox", message: odd, prefix: "Received: by test\r\n" });
    const stored = await a.read("Inbox", 1);
    assert.deepEqual(stored.subarray("Received: by test\r\n".length), odd);
    const { structure, prefixSize } = a.structure("Inbox", 1);
    assert.equal(prefixSize, "Received: by test\r\n".length);
    assert.equal(structure.type, "multipart");
    assert.ok((structure.problems ?? []).length > 0, "problems noted");
    const part = structure.parts[0]!;
    const body = dec.decode(
      stored.subarray(prefixSize + part.bodyStart, prefixSize + part.bodyEnd),
    );
    assert.match(body, /^no closing boundary/);
    assert.equal(a.messages("Inbox")[0]?.messageId, "odd@x");
  }));

Deno.test("Account.renameMailbox() renames children and keeps UIDVALIDITY", () =>
  withAccount(async (a) => {
    a.createMailbox("Projects/Alpha/Notes");
    const before = a.mailbox("Projects/Alpha").uidValidity;
    await a.add({ mailbox: "Projects/Alpha", message: message("p") });
    a.renameMailbox("Projects", "Work/Old");
    const names = a.mailboxes().map((b) => b.name);
    assert.ok(names.includes("Work/Old/Alpha/Notes") && !names.includes("Projects"));
    assert.equal(a.mailbox("Work/Old/Alpha").uidValidity, before);
    assert.equal(a.mailbox("Work/Old/Alpha").messages, 1);
    assert.throws(() => a.renameMailbox("Work", "Work/Inner"), storeCode("BadMailboxName"));
    assert.throws(() => a.renameMailbox("Work", "Sent"), storeCode("MailboxExists"));
  }));

Deno.test("Account.renameMailbox() of Inbox moves its messages and leaves Inbox empty", () =>
  withAccount(async (a) => {
    await a.add({ mailbox: "Inbox", message: message("a") });
    await a.add({ mailbox: "Inbox", message: message("b") });
    a.renameMailbox("INBOX", "Old mail");
    assert.equal(a.mailbox("Inbox").messages, 0);
    assert.deepEqual(a.messages("Old mail").map((m) => m.messageId), [
      "a@example.org",
      "b@example.org",
    ]);
    assert.deepEqual(a.changesSince("Inbox", 1).expunged, [1, 2]);
    assert.match(dec.decode(await a.read("Old mail", 1)), /Subject: a/);
  }));

Deno.test("Account.deleteMailbox() refuses Inbox and parents unless recursive", () =>
  withAccount(async (a, dir) => {
    a.createMailbox("Lists/deno");
    await a.add({ mailbox: "Lists/deno", message: message("d") });
    await assert.rejects(a.deleteMailbox("Inbox"), storeCode("CannotDelete"));
    await assert.rejects(a.deleteMailbox("Lists"), storeCode("HasChildren"));
    await a.deleteMailbox("Lists", true);
    assert.ok(!a.mailboxes().some((b) => b.name.startsWith("Lists")));
    let files = 0;
    for await (const bucket of Deno.readDir(`${dir}/msg`)) {
      for await (const _ of Deno.readDir(`${dir}/msg/${bucket.name}`)) files++;
    }
    assert.equal(files, 0, "message files removed");
    // A new mailbox of the same name gets a new UIDVALIDITY (RFC 9051 §2.3.1.1).
    a.createMailbox("Lists");
  }));

Deno.test("Account.subscribe() sets and clears subscriptions", () =>
  withAccount((a) => {
    a.createMailbox("News");
    assert.equal(a.mailbox("News").subscribed, false);
    a.subscribe("News", true);
    assert.equal(a.mailbox("News").subscribed, true);
    a.subscribe("News", false);
    assert.equal(a.mailbox("News").subscribed, false);
    assert.throws(() => a.subscribe("Nope", true), storeCode("NoSuchMailbox"));
    return Promise.resolve();
  }));

Deno.test("Account.copy() shares message files; expunging one copy keeps the other", () =>
  withAccount(async (a) => {
    await a.add({ mailbox: "Inbox", message: message("c"), flags: ["\\Flagged"] });
    await a.add({ mailbox: "Inbox", message: message("d") });
    const result = await a.copy("Inbox", [2, 1, 99], "Archive");
    assert.deepEqual(result.mapping, [[2, 1], [1, 2]]);
    assert.equal(result.uidValidity, a.mailbox("Archive").uidValidity);
    assert.deepEqual(a.messages("Archive").map((m) => m.flags), [[], ["\\Flagged"]]);
    a.setFlags("Inbox", [1], { op: "add", flags: ["\\Deleted"] });
    await a.expunge("Inbox");
    assert.match(dec.decode(await a.read("Archive", 2)), /Subject: c/);
    assert.equal(a.mailbox("Inbox").messages, 1);
  }));

Deno.test("Account.move() gives new UIDs in the target and tombstones in the source", () =>
  withAccount(async (a) => {
    for (const s of ["a", "b", "c"]) await a.add({ mailbox: "Inbox", message: message(s) });
    const before = a.mailbox("Inbox").highestModseq;
    const result = a.move("Inbox", [1, 3], "Trash");
    assert.deepEqual(result.mapping, [[1, 1], [3, 2]]);
    assert.deepEqual(a.messages("Inbox").map((m) => m.uid), [2]);
    assert.deepEqual(a.messages("Trash").map((m) => m.messageId), [
      "a@example.org",
      "c@example.org",
    ]);
    assert.deepEqual(a.changesSince("Inbox", before).expunged, [1, 3]);
    assert.ok(a.mailbox("Trash").highestModseq > before);
  }));

Deno.test("Account quotas limit messages and octets, counting adds, copies and expunges", () =>
  withAccount(async (a) => {
    a.quota = { messages: 2, size: 0 };
    await a.add({ mailbox: "Inbox", message: message("a") });
    await a.add({ mailbox: "Inbox", message: message("b") });
    await assert.rejects(
      a.add({ mailbox: "Inbox", message: message("c") }),
      storeCode("OverQuota"),
    );
    await assert.rejects(a.copy("Inbox", [1], "Archive"), storeCode("OverQuota"));
    a.move("Inbox", [1], "Archive"); // a move keeps usage as it is
    assert.equal(a.usage().messages, 2);
    a.setFlags("Archive", [1], { op: "add", flags: ["\\Deleted"] });
    await a.expunge("Archive");
    assert.deepEqual(a.usage(), { messages: 1, size: message("b").length });
    await a.add({ mailbox: "Inbox", message: message("c") });

    a.quota = { messages: 0, size: a.usage().size + 10 };
    await assert.rejects(
      a.add({ mailbox: "Inbox", message: message("d") }),
      storeCode("OverQuota"),
    );
    a.quota = { messages: 0, size: 0 };
    await a.add({ mailbox: "Inbox", message: message("d") });
    assert.equal(a.usage().messages, 3);
  }));

Deno.test("Account.add() creates Rejects on first use", () =>
  withAccount(async (a) => {
    assert.ok(!a.mailboxes().some((b) => b.name === "Rejects"));
    await a.add({ mailbox: "Rejects", message: message("spam") });
    assert.equal(a.mailbox("Rejects").messages, 1);
  }));

Deno.test("Account.addBatch() adds all or nothing, in order, under one modseq", () =>
  withAccount(async (a, dir) => {
    const batch = ["a", "b", "c"].map((s) => ({ mailbox: "Inbox", message: message(s) }));
    const added = await a.addBatch(batch);
    assert.deepEqual(added.map((x) => x.uid), [1, 2, 3]);
    assert.equal(new Set(added.map((x) => x.modseq)).size, 1);
    assert.deepEqual(a.messages("Inbox").map((m) => m.messageId), [
      "a@example.org",
      "b@example.org",
      "c@example.org",
    ]);
    a.quota = { messages: 4, size: 0 };
    await assert.rejects(a.addBatch(batch), storeCode("OverQuota"));
    await assert.rejects(
      a.addBatch([{ mailbox: "Inbox", message: message("d") }, {
        mailbox: "Nope",
        message: message("e"),
      }]),
      storeCode("NoSuchMailbox"),
    );
    assert.equal(a.mailbox("Inbox").messages, 3, "nothing of a failed batch is visible");
    let files = 0;
    for await (const bucket of Deno.readDir(`${dir}/msg`)) {
      for await (const f of Deno.readDir(`${dir}/msg/${bucket.name}`)) {
        if (!f.name.startsWith(".")) files++;
      }
    }
    assert.equal(files, 3, "no files left over by failed batches");
  }));

Deno.test("Account.search() finds messages by body, header and flag, and forgets expunged ones", () =>
  withAccount(async (a) => {
    await a.add({
      mailbox: "Inbox",
      message: enc.encode(
        "Subject: Grüße aus Berlin\r\nFrom: x@example.org\r\n\r\nDas Treffen ist morgen.\r\n",
      ),
    });
    await a.add({
      mailbox: "Inbox",
      message: enc.encode(
        "Subject: invoice\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nUGxlYXNlIHBheSB0aGUgaW52b2ljZQ==\r\n",
      ),
      flags: ["\\Seen"],
    });
    assert.deepEqual((await a.search("Inbox", { body: "treffen" })).uids, [1]);
    assert.deepEqual(
      (await a.search("Inbox", { subject: "GRÜSSE" })).uids,
      [],
      "no folding of ß to ss",
    );
    assert.deepEqual((await a.search("Inbox", { subject: "grüße" })).uids, [1]);
    assert.deepEqual(
      (await a.search("Inbox", { body: "pay the" })).uids,
      [2],
      "base64 body decoded",
    );
    assert.deepEqual((await a.search("Inbox", { flag: "\\Seen", set: false })).uids, [1]);
    await a.copy("Inbox", [2], "Archive");
    assert.deepEqual(
      (await a.search("Archive", { body: "invoice" })).uids,
      [1],
      "copies are searchable",
    );
    a.setFlags("Inbox", [2], { op: "add", flags: ["\\Deleted"] });
    await a.expunge("Inbox");
    assert.deepEqual((await a.search("Inbox", { text: "invoice" })).uids, []);
    await assert.rejects(a.search("Inbox", { body: "x".repeat(5000) }), storeCode("BadSearch"));
  }));

Deno.test("Account.open() indexes the text of messages stored before the index (upgrade)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-account-" });
  try {
    const a = await Account.open("alice", dir);
    for (let i = 0; i < 250; i++) await a.add({ mailbox: "Inbox", message: message(`needle${i}`) });
    a.close();
    const db = new DatabaseSync(`${dir}/index.db`);
    db.exec("DELETE FROM message_text");
    db.close();
    const b = await Account.open("alice", dir);
    assert.deepEqual((await b.search("Inbox", { subject: "needle249" })).uids, [250]);
    assert.equal((await b.search("Inbox", { body: "Body of needle" })).uids.length, 250);
    b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Account.add() accepts every IMAP atom as a keyword, as import reads them", () =>
  withAccount(async (a) => {
    // "/", "[" and "}" are ATOM-CHARs (RFC 9051 §9); an mbox with them must import.
    await a.add({ mailbox: "Inbox", message: message("k"), flags: ["a/b", "x[1", "}"] });
    assert.deepEqual(a.messages("Inbox")[0]?.flags, ["a/b", "x[1", "}"]);
  }));

const day = 24 * 60 * 60 * 1000;
const t0 = 1_700_000_000_000;
/** A message with the given header lines (CRLF-joined) and internal date. */
const mail = (internalDate: number, ...header: string[]) => ({
  mailbox: "Inbox",
  message: enc.encode(`From: a@example.org\r\n${header.join("\r\n")}\r\n\r\nBody\r\n`),
  internalDate,
});
const threadOf = (a: Account, uid: number, mailbox = "Inbox") =>
  a.messages(mailbox, uid, uid)[0]!.threadId;

Deno.test("Account.add() puts a reply in its parent's thread, others in new threads", () =>
  withAccount(async (a) => {
    await a.add(mail(t0, "Message-ID: <p@x>", "Subject: Plans"));
    await a.add(mail(t0 + 1, "Message-ID: <r@x>", "Subject: Re: Plans", "In-Reply-To: <p@x>"));
    // Subject changed, References only: still the thread.
    await a.add(mail(t0 + 2, "Message-ID: <s@x>", "Subject: Other", "References: <p@x> <r@x>"));
    await a.add(mail(t0 + 3, "Message-ID: <u@x>", "Subject: Unrelated"));
    await a.add(mail(t0 + 4, "Subject: Plans")); // same subject, not a reply: new thread
    const [p, r, s, u, plans] = a.messages("Inbox").map((m) => m.threadId);
    assert.equal(r, p);
    assert.equal(s, p);
    assert.equal(new Set([p, u, plans]).size, 3);
  }));

Deno.test("Account.add() joins a parent to the thread its earlier reply started", () =>
  withAccount(async (a) => {
    // The grandchild names only its parent; the child, arriving later, links it to the root.
    await a.add(mail(t0, "Message-ID: <g@x>", "Subject: Re: Plans", "In-Reply-To: <c@x>"));
    await a.add(mail(t0, "Message-ID: <c@x>", "Subject: Re: Plans", "References: <p@x>"));
    await a.add(mail(t0, "Message-ID: <p@x>", "Subject: Plans"));
    const threads = a.messages("Inbox").map((m) => m.threadId);
    assert.equal(new Set(threads).size, 1, `one thread: ${threads}`);
  }));

Deno.test("Account.add() takes the oldest thread when references name several, merging none", () =>
  withAccount(async (a) => {
    await a.add(mail(t0, "Message-ID: <a@x>", "Subject: A"));
    await a.add(mail(t0, "Message-ID: <b@x>", "Subject: B"));
    await a.add(mail(t0, "Message-ID: <c@x>", "Subject: Re: B", "References: <b@x> <a@x>"));
    const [ta, tb, tc] = a.messages("Inbox").map((m) => m.threadId);
    assert.ok(ta! < tb!);
    assert.equal(tc, ta);
    assert.equal(threadOf(a, 2), tb, "a thread id never changes");
  }));

Deno.test("Account.add() threads a reply without references by subject within 30 days", () =>
  withAccount(async (a) => {
    await a.add(mail(t0, "Message-ID: <p@x>", "Subject: [list] Plans"));
    await a.add(mail(t0 + 20 * day, "Subject: Re: plans")); // joins; the thread's latest is now +20
    await a.add(mail(t0 + 45 * day, "Subject: RE: [list] Plans")); // within 30 days of +20
    await a.add(mail(t0 + 100 * day, "Subject: Re: Plans")); // 55 days later: a new thread
    await a.add(mail(t0 + 101 * day, "Subject: Fwd: Plans")); // joins the newest
    const [p, r1, r2, late, fwd] = a.messages("Inbox").map((m) => m.threadId);
    assert.equal(r1, p);
    assert.equal(r2, p);
    assert.notEqual(late, p);
    assert.equal(fwd, late);
  }));

Deno.test("Account.add() keeps same-subject replies far apart in time in separate threads", () =>
  withAccount(async (a) => {
    await a.add(mail(t0, "Subject: Invoice"));
    await a.add(mail(t0 + 31 * day, "Subject: Re: Invoice"));
    await a.add(mail(t0 - 31 * day, "Subject: Re: Invoice")); // imported out of order
    assert.equal(new Set(a.messages("Inbox").map((m) => m.threadId)).size, 3);
  }));

Deno.test("Account.addBatch() threads a reply to a parent earlier in the same batch", () =>
  withAccount(async (a) => {
    await a.addBatch([
      mail(t0, "Message-ID: <p@x>", "Subject: Plans"),
      mail(t0, "Message-ID: <q@x>", "Subject: Other"),
      mail(t0, "Message-ID: <r@x>", "Subject: Re: Plans", "References: <p@x>"),
    ]);
    const [p, q, r] = a.messages("Inbox").map((m) => m.threadId);
    assert.equal(r, p);
    assert.notEqual(q, p);
  }));

Deno.test("Account.copy() and move() keep the thread id", () =>
  withAccount(async (a) => {
    await a.add(mail(t0, "Message-ID: <p@x>", "Subject: Plans"));
    await a.add(mail(t0, "Message-ID: <q@x>", "Subject: Other"));
    const [p, q] = a.messages("Inbox").map((m) => m.threadId);
    await a.copy("Inbox", [1, 2], "Archive");
    a.move("Inbox", [2], "Trash");
    assert.deepEqual(a.messages("Archive").map((m) => m.threadId), [p, q]);
    assert.deepEqual(a.messages("Trash").map((m) => m.threadId), [q]);
    // A reply to the moved message still finds it.
    await a.add(mail(t0, "Message-ID: <r@x>", "Subject: Re: Other", "In-Reply-To: <q@x>"));
    assert.equal(threadOf(a, 3), q);
  }));

Deno.test("Account.open() gives thread ids to messages of a schema 2 index", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-account-" });
  try {
    const db = new DatabaseSync(`${dir}/index.db`);
    migrate(db, 2);
    db.exec(`
      INSERT INTO meta (key, value) VALUES ('uidvalidity', 100), ('modseq', 5);
      INSERT INTO mailboxes (id, name, uidvalidity, uidnext) VALUES (1, 'Inbox', 1, 5),
        (2, 'Archive', 2, 2);
      INSERT INTO messages (id, mailbox_id, uid, modseq, size, internal_date, save_date, file,
        message_id) VALUES
        (7, 1, 1, 2, 10, 0, 0, 'msg/a', 'a@x'),
        (8, 1, 2, 3, 10, 0, 0, 'msg/b', 'b@x'),
        (9, 1, 3, 4, 10, 0, 0, 'msg/c', NULL),
        (10, 2, 1, 5, 10, 0, 0, 'msg/a2', 'a@x');
    `);
    db.close();
    const a = await Account.open("alice", dir);
    try {
      assert.deepEqual(a.messages("Inbox").map((m) => m.threadId), [7, 8, 9]);
      assert.deepEqual(a.messages("Archive").map((m) => m.threadId), [7], "a copy shares it");
      // Replies to old messages find them by Message-ID; new threads do not reuse ids.
      await a.add(mail(t0, "Message-ID: <r@x>", "Subject: Re: B", "References: <b@x>"));
      await a.add(mail(t0, "Message-ID: <n@x>", "Subject: New"));
      const [, , , r, n] = a.messages("Inbox").map((m) => m.threadId);
      assert.equal(r, 8);
      assert.ok(n! > 10, `new thread ${n} above every old id`);
    } finally {
      a.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
