import assert from "node:assert/strict";
import fc from "fast-check";
import { TestConn, type TestConnOptions, testTlsFacts, transcript } from "../wire/_test_conn.ts";
import { ImapSession } from "./session.ts";
import type { ImapBackend } from "./backend.ts";

const encoder = new TextEncoder();

interface Fixture {
  conn: TestConn;
  session: ImapSession;
}

// Fixtures build each state on the previous one: connected → greeted.

/** A backend for tests that never reach storage: any call fails the test. */
const noBackend = new Proxy({}, {
  get: (_, name) => () => Promise.reject(new Error(`unexpected backend call ${String(name)}`)),
}) as ImapBackend;

function connected(options: TestConnOptions = {}): Fixture {
  const conn = new TestConn(options);
  return { conn, session: new ImapSession(conn, noBackend) };
}

async function greeted(options: TestConnOptions = {}): Promise<Fixture> {
  const f = connected(options);
  await f.session.start();
  await transcript(f.session, f.conn, "S: * OK*");
  return f;
}

Deno.test("ImapSession.start() greets with STARTTLS and LOGINDISABLED in starttls mode", async () => {
  const { conn, session } = connected({ tlsMode: "starttls" });
  await session.start();
  await transcript(session, conn, "S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED");
});

Deno.test("ImapSession.start() greets without STARTTLS but with AUTH on implicit TLS", async () => {
  const { conn, session } = connected({ tlsMode: "implicit", tls: testTlsFacts });
  await session.start();
  await transcript(session, conn, "S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN");
});

Deno.test("ImapSession.receive() answers CAPABILITY", async () => {
  const { conn, session } = await greeted();
  await transcript(
    session,
    conn,
    `
    C: a1 CAPABILITY
    S: * CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED
    S: a1 OK
    C: a2 capability
    S: * CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED
    S: a2 OK
  `,
  );
});

Deno.test("ImapSession.receive() answers NOOP with a tagged OK", async () => {
  const { conn, session } = await greeted();
  await transcript(
    session,
    conn,
    `
    C: a1 NOOP
    S: a1 OK
  `,
  );
});

Deno.test("ImapSession.receive() answers LOGOUT with BYE, then a tagged OK, and closes", async () => {
  const { conn, session } = await greeted();
  await transcript(
    session,
    conn,
    `
    C: a1 LOGOUT
    S: * BYE
    S: a1 OK
  `,
  );
  assert.ok(conn.closed);
});

Deno.test("ImapSession.receive() starts TLS with a tagged OK go-ahead", async () => {
  const { conn, session } = await greeted();
  await transcript(
    session,
    conn,
    `
    C: a1 STARTTLS
    S: a1 OK
  `,
  );
  assert.deepEqual(conn.startTlsCalls, ["a1 OK Begin TLS negotiation now\r\n"]);
  assert.deepEqual(conn.tls, testTlsFacts);
  assert.ok(!conn.closed);
  // RFC 9051 §6.2.1: STARTTLS is no longer on offer.
  await transcript(
    session,
    conn,
    `
    C: a2 CAPABILITY
    S: * CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN
    S: a2 OK
    C: a3 STARTTLS
    S: a3 BAD
  `,
  );
  assert.equal(conn.startTlsCalls.length, 1);
});

// RFC 9051 §6.2.1; imapflow starttls-injection-test.js.
Deno.test("STARTTLS command injection: pipelined IMAP commands are discarded", async () => {
  const { conn, session } = await greeted();
  await session.receive(encoder.encode("a1 STARTTLS\r\na2 LOGOUT\r\na3 NOOP\r\na4 LOG"));
  await transcript(session, conn, "S: a1 OK");
  assert.ok(!conn.closed);
  // The partial "a4 LOG" was dropped: "OUT" does not complete it into "a4 LOGOUT".
  await transcript(
    session,
    conn,
    `
    C: OUT
    S: OUT BAD
    C: a5 NOOP
    S: a5 OK
  `,
  );
  assert.ok(!conn.closed);
});

Deno.test("ImapSession.receive() stops when the TLS handshake fails", async () => {
  const { conn, session } = await greeted({ handshake: new Error("handshake failed") });
  await session.receive(encoder.encode("a1 STARTTLS\r\na2 NOOP\r\n"));
  await transcript(session, conn, "S: a1 OK");
  assert.ok(conn.closed);
  await session.receive(encoder.encode("a3 NOOP\r\n"));
  assert.equal(conn.unread(), "");
  assert.equal(conn.writtenAfterClose, "");
});

Deno.test("ImapSession.receive() replies BAD to STARTTLS with arguments", async () => {
  const { conn, session } = await greeted();
  await transcript(
    session,
    conn,
    `
    C: a1 STARTTLS now
    S: a1 BAD
  `,
  );
  assert.equal(conn.startTlsCalls.length, 0);
});

Deno.test("ImapSession.receive() replies BAD to STARTTLS when tlsMode is none", async () => {
  const { conn, session } = await greeted({ tlsMode: "none" });
  await transcript(
    session,
    conn,
    `
    C: a1 STARTTLS
    S: a1 BAD
  `,
  );
  assert.equal(conn.startTlsCalls.length, 0);
});

Deno.test("ImapSession.receive() replies BAD to lines without a valid tag or command", async () => {
  const { conn, session } = await greeted();
  await transcript(
    session,
    conn,
    `
    C: garbage
    S: garbage BAD
    C:
    S: * BAD
    C: a1  NOOP
    S: a1 BAD
    C: a(1 NOOP
    S: * BAD
    C: a* NOOP
    S: * BAD
    C: a1 NO0P
    S: a1 BAD
  `,
  );
  assert.ok(!conn.closed);
});

// RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+">; a "+" tag would make the tagged
// reply look like a continuation request.
Deno.test("ImapSession.receive() replies untagged BAD to a command tagged +", async () => {
  const { conn, session } = await greeted();
  await transcript(session, conn, "C: + NOOP\nS: * BAD");
});

Deno.test("ImapSession.receive() refuses LOGIN in clear, commands of other states and unknown ones", async () => {
  const { conn, session } = await greeted();
  await transcript(
    session,
    conn,
    `
    C: a1 LOGIN alice secret
    S: a1 NO [PRIVACYREQUIRED]
    C: a2 SELECT INBOX
    S: a2 BAD
    C: a3 FROBNICATE
    S: a3 BAD
  `,
  );
});

Deno.test("ImapSession.receive() sends BYE and closes after 20 errors", async () => {
  const { conn, session } = await greeted();
  const nine = Array.from({ length: 19 }, (_, i) => `C: a${i} FOO\nS: a${i} BAD`).join("\n");
  await transcript(session, conn, nine);
  assert.ok(!conn.closed);
  await transcript(session, conn, "C: garbage\nS: garbage BAD\nS: * BYE");
  assert.ok(conn.closed);
});

Deno.test("ImapSession.receive() accepts an 8192-octet command line", async () => {
  const { conn, session } = await greeted();
  // "a1 NOOP " + 8182 + CRLF = 8192 octets; NOOP takes no arguments.
  await transcript(session, conn, `C: a1 NOOP ${"x".repeat(8182)}\nS: a1 BAD`);
  assert.ok(!conn.closed);
});

Deno.test("ImapSession.receive() sends BYE and closes on a too-long command line", async () => {
  const { conn, session } = await greeted();
  await transcript(session, conn, `C: a1 NOOP ${"x".repeat(70_000)}\nS: * BYE [TOOBIG]`);
  assert.ok(conn.closed);
});

Deno.test("ImapSession.receive() sends BYE and closes when a line passes the cap across chunks", async () => {
  const { conn, session } = await greeted();
  for (let i = 0; i < 70 && !conn.closed; i++) {
    await session.receive(new Uint8Array(1000).fill(0x61));
  }
  await transcript(session, conn, "S: * BYE [TOOBIG]");
  assert.ok(conn.closed);
});

Deno.test("ImapSession.drain() sends BYE [UNAVAILABLE] and closes", async () => {
  const { conn, session } = await greeted();
  await session.drain();
  await transcript(session, conn, "S: * BYE [UNAVAILABLE]");
  assert.ok(conn.closed);
});

Deno.test("ImapSession.expire() sends BYE and closes", async () => {
  for (const reason of ["idle", "session"] as const) {
    const { conn, session } = await greeted();
    await session.expire(reason);
    await transcript(session, conn, "S: * BYE");
    assert.ok(conn.closed, reason);
  }
});

const realCommands = [
  "a1 CAPABILITY",
  "a2 NOOP",
  "a3 LOGOUT",
  "a4 STARTTLS",
  "a5 STARTTLS x",
  "a6 LOGIN alice secret",
  "a7 SELECT INBOX",
  "+ NOOP",
  "* NOOP",
  "",
];

const chunks = fc.array(
  fc.oneof(
    fc.constantFrom(...realCommands).map((c) => encoder.encode(c + "\r\n")),
    fc.constantFrom(...realCommands).map((c) => encoder.encode(c)),
    fc.constantFrom("\r\n", "\n", " ").map((c) => encoder.encode(c)),
    fc.string({ unit: "binary", maxLength: 40 }).map((s) => encoder.encode(s)),
    fc.uint8Array({ maxLength: 80 }),
  ),
  { maxLength: 40 },
);

Deno.test("ImapSession.receive() never throws and writes only complete lines", async () => {
  await fc.assert(
    fc.asyncProperty(chunks, async (input) => {
      const { conn, session } = await greeted();
      for (const chunk of input) {
        if (conn.closed) break;
        await session.receive(chunk);
      }
      const out = conn.unread();
      assert.ok(out === "" || out.endsWith("\r\n"));
      for (const line of out.split("\r\n").slice(0, -1)) {
        // Untagged or tagged status, never a continuation request.
        assert.match(
          line,
          /^(\* (OK|NO|BAD|BYE|CAPABILITY|ID|\d+ EXISTS) |\+ |[^+ ]+ (OK|NO|BAD) )/,
        );
      }
      assert.equal(conn.writtenAfterClose, "");
    }),
    { numRuns: 200 },
  );
});
