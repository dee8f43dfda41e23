/**
 * IMAP session transcripts against a real in-process store (_test_backend.ts): the
 * commands that read and change mailboxes, and what other sessions see.
 */
import assert from "node:assert/strict";
import { TestConn, testTlsFacts, transcript } from "../wire/_test_conn.ts";
import { ImapSession } from "./session.ts";
import { TestStore } from "./_test_backend.ts";
import { ScramTestClient } from "../auth/_test_client.ts";

const encoder = new TextEncoder();
const message = "From: bob@example.org\r\nSubject: hello\r\n\r\nHi Alice\r\n";

async function session(store: TestStore, cid = "c1") {
  const conn = new TestConn({ tlsMode: "implicit", tls: testTlsFacts });
  const s = new ImapSession(conn, store.backend(cid));
  await s.start();
  await transcript(s, conn, "S: * OK*");
  return { conn, s };
}

async function loggedIn(store: TestStore, cid = "c1") {
  const f = await session(store, cid);
  await transcript(f.s, f.conn, "C: a0 LOGIN alice secret\nS: a0 OK [CAPABILITY*");
  return f;
}

Deno.test("IMAP: LOGIN, LIST, APPEND, SELECT, FETCH, STORE, SEARCH, EXPUNGE", async () => {
  await using store = await TestStore.create();
  const { conn, s } = await session(store);
  await transcript(
    s,
    conn,
    `
    C: a1 LOGIN alice wrong
    S: a1 NO [AUTHENTICATIONFAILED]
    C: a2 LOGIN alice secret
    S: a2 OK [CAPABILITY*
    C: a3 LIST "" "*"
    S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
    S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
    S: * LIST (\\HasNoChildren) "/" "INBOX"
    S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
    S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
    S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
    S: a3 OK
  `,
  );
  await s.receive(
    encoder.encode(
      `a4 APPEND INBOX (\\Flagged) {${encoder.encode(message).length}+}\r\n${message}\r\n`,
    ),
  );
  await transcript(
    s,
    conn,
    `
    S: a4 OK [APPENDUID*
    C: a5 SELECT INBOX
    S: * 1 EXISTS
    S: * FLAGS*
    S: * OK [PERMANENTFLAGS*
    S: * OK [UIDVALIDITY*
    S: * OK [UIDNEXT 2]
    S: * 0 RECENT
    S: * OK [UNSEEN 1]
    S: a5 OK [READ-WRITE]
    C: a6 FETCH 1 (UID FLAGS RFC822.SIZE)
    S: * 1 FETCH (UID 1 FLAGS (\\Flagged) RFC822.SIZE ${encoder.encode(message).length})
    S: a6 OK
    C: a7 FETCH 1 BODY[HEADER.FIELDS (SUBJECT)]
    S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {18}
    S: Subject: hello
    S: 
    S:  FLAGS (\\Seen \\Flagged))
    S: a7 OK
    C: a8 UID SEARCH UNSEEN
    S: * SEARCH
    S: a8 OK
    C: a9 SEARCH FROM bob
    S: * SEARCH 1
    S: a9 OK
    C: b1 STORE 1 +FLAGS (\\Deleted)
    S: * 1 FETCH (FLAGS (\\Seen \\Flagged \\Deleted))
    S: b1 OK
    C: b2 EXPUNGE
    S: * 1 EXPUNGE
    S: b2 OK
    C: b3 STATUS INBOX (MESSAGES UIDNEXT UNSEEN SIZE)
    S: * STATUS "INBOX" (MESSAGES 0 UIDNEXT 2 UNSEEN 0 SIZE 0)
    S: b3 OK
    C: b4 LOGOUT
    S: * BYE
    S: b4 OK
  `,
  );
  assert.ok(conn.closed);
});

Deno.test("IMAP: another session's APPEND shows up during IDLE, its EXPUNGE after NOOP", async () => {
  await using store = await TestStore.create();
  const a = await loggedIn(store, "c1");
  const b = await loggedIn(store, "c2");
  await transcript(
    a.s,
    a.conn,
    "C: a1 SELECT INBOX\nS: * 0 EXISTS\nS: *\nS: *\nS: *\nS: *\nS: *\nS: a1 OK",
  );
  await transcript(a.s, a.conn, "C: a2 IDLE\nS: + idling");
  await transcript(b.s, b.conn, `C: b1 APPEND INBOX {5+}\nC: hello\nS: b1 OK`);
  await transcript(a.s, a.conn, "S: * 1 EXISTS\nC: DONE\nS: a2 OK");
  await transcript(
    b.s,
    b.conn,
    `
    C: b2 SELECT INBOX
    S: * 1 EXISTS
    S: *
    S: *
    S: *
    S: *
    S: *
    S: *
    S: b2 OK
    C: b3 STORE 1 +FLAGS.SILENT (\\Deleted)
    S: b3 OK
    C: b4 EXPUNGE
    S: * 1 EXPUNGE
    S: b4 OK
  `,
  );
  // RFC 9051 §7.5.1: not during FETCH; then at NOOP.
  await transcript(
    a.s,
    a.conn,
    `
    C: a3 FETCH 1 (FLAGS)
    S: a3 OK
    C: a4 NOOP
    S: * 1 EXPUNGE
    S: a4 OK
  `,
  );
});

Deno.test("IMAP: COPY and MOVE report COPYUID; TRYCREATE for a missing mailbox", async () => {
  await using store = await TestStore.create();
  const { s, conn } = await loggedIn(store);
  await transcript(
    s,
    conn,
    `
    C: a1 APPEND INBOX {5+}
    C: one!!
    S: a1 OK
    C: a2 APPEND INBOX {5+}
    C: two!!
    S: a2 OK
    C: a3 SELECT INBOX
    S: * 2 EXISTS
    S: *
    S: *
    S: *
    S: *
    S: *
    S: *
    S: a3 OK
    C: a4 COPY 1 Nowhere
    S: a4 NO [TRYCREATE]
    C: a5 COPY 1:2 Archive
    S: a5 OK [COPYUID*
    C: a6 UID MOVE 2 Trash
    S: * OK [COPYUID*
    S: * 2 EXPUNGE
    S: a6 OK
    C: a7 CREATE Projects/2026
    S: a7 OK
    C: a8 LIST "" "Pro*"
    S: * LIST (\\HasChildren) "/" "Projects"
    S: * LIST (\\HasNoChildren) "/" "Projects/2026"
    S: a8 OK
  `,
  );
});

Deno.test("IMAP: AUTHENTICATE PLAIN (SASL-IR and continuation) and SCRAM-SHA-256", async () => {
  await using store = await TestStore.create();
  const plain = btoa("\0alice\0secret");
  const a = await session(store);
  await transcript(a.s, a.conn, `C: a1 AUTHENTICATE PLAIN ${plain}\nS: a1 OK [CAPABILITY*`);
  const b = await session(store, "c2");
  await transcript(b.s, b.conn, `C: b1 AUTHENTICATE PLAIN\nS: +\nC: ${plain}\nS: b1 OK`);
  const c = await session(store, "c3");
  await transcript(c.s, c.conn, `C: c1 AUTHENTICATE PLAIN\nS: +\nC: *\nS: c1 BAD`);

  const d = await session(store, "c4");
  const client = new ScramTestClient({ hash: "SHA-256", username: "alice", password: "secret" });
  await d.s.receive(encoder.encode(`d1 AUTHENTICATE SCRAM-SHA-256 ${btoa(client.first())}\r\n`));
  const challenge = () => {
    const line = d.conn.readLine() ?? assert.fail("no challenge");
    return atob(line.match(/^\+ (\S+)$/)?.[1] ?? assert.fail(line));
  };
  const serverFirst = challenge();
  await d.s.receive(encoder.encode(`${btoa(await client.final(serverFirst))}\r\n`));
  const serverFinal = challenge();
  assert.ok(client.verify(serverFinal));
  await transcript(d.s, d.conn, "C: \nS: d1 OK [CAPABILITY*");
});

Deno.test("IMAP: BINARY decodes a part, BINARY.SIZE tells its decoded size", async () => {
  await using store = await TestStore.create();
  const { s, conn } = await loggedIn(store);
  const raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
    "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n";
  await s.receive(encoder.encode(`a1 APPEND INBOX {${raw.length}+}\r\n${raw}\r\n`));
  await transcript(
    s,
    conn,
    `
    S: a1 OK
    C: a2 EXAMINE INBOX
    S: * 1 EXISTS
    S: *
    S: *
    S: *
    S: *
    S: *
    S: *
    S: a2 OK [READ-ONLY]
    C: a3 FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])
    S: * 1 FETCH (BINARY.SIZE[1] 5 BINARY[1] {5}
    S: hello)
    S: a3 OK
  `,
  );
});
