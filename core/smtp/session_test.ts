import assert from "node:assert/strict";
import { testTlsFacts } from "../wire/_test_conn.ts";
import { smtpLimits } from "./limits.ts";
import { connected, greeted, ready, testTls } from "./_test_session.ts";

/** The EHLO reply lines for a listener and TLS state. */
function ehlo(
  o: { startTls?: boolean; tls?: boolean; auth?: boolean; submission?: boolean } = {},
): string {
  const lines = [
    "mail.example.org",
    "PIPELINING",
    `SIZE ${smtpLimits.messageOctets}`,
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    ...(o.startTls ? ["STARTTLS"] : []),
    ...(o.tls ? ["REQUIRETLS"] : []),
    ...(o.auth ? ["AUTH SCRAM-SHA-256 SCRAM-SHA-1 PLAIN LOGIN"] : []),
    "CHUNKING",
    "BINARYMIME",
    "DSN",
    `LIMITS RCPTMAX=${smtpLimits.recipients}`,
    ...(o.submission ? ["FUTURERELEASE 2592000 2024-02-01T03:04:05Z"] : []),
  ];
  return lines.map((l, i) => `S: 250${i === lines.length - 1 ? " " : "-"}${l}`).join("\n");
}

Deno.test("SmtpSession.start() sends a 220 greeting with the host name", async () => {
  const { conn, session, run } = connected();
  await session.start();
  await run("S: 220 mail.example.org ESMTP*");
  assert.ok(!conn.closed);
});

Deno.test("SmtpSession.receive() lists port 25 extensions with STARTTLS before TLS", async () => {
  const f = await greeted({ conn: { tlsMode: "starttls" } });
  await f.run(`C: EHLO client.example.com\n${ehlo({ startTls: true })}`);
});

Deno.test("SmtpSession.receive() lists no STARTTLS when tlsMode is none", async () => {
  const f = await greeted({ conn: { tlsMode: "none" } });
  await f.run(`C: EHLO client.example.com\n${ehlo()}`);
});

Deno.test("SmtpSession.receive() lists REQUIRETLS and no STARTTLS on implicit TLS", async () => {
  const f = await greeted({ conn: { tlsMode: "implicit", tls: testTlsFacts } });
  await f.run(`C: EHLO client.example.com\n${ehlo({ tls: true })}`);
});

Deno.test("SmtpSession.receive() lists AUTH and FUTURERELEASE on submission only over TLS", async () => {
  const plain = await greeted({ session: { protocol: "submission" } });
  await plain.run(`C: EHLO client.example.com\n${ehlo({ startTls: true, submission: true })}`);
  const tls = await greeted({
    session: { protocol: "submission" },
    conn: { tlsMode: "implicit", tls: testTls },
  });
  await tls.run(`C: EHLO c.example\n${ehlo({ tls: true, auth: true, submission: true })}`);
  const insecure = await greeted({
    session: { protocol: "submission", allowInsecureAuth: true },
    conn: { tlsMode: "none" },
  });
  await insecure.run(`C: EHLO c.example\n${ehlo({ auth: true, submission: true })}`);
});

Deno.test("SmtpSession.receive() accepts verbs in any case and HELO", async () => {
  const f = await greeted({ conn: { tlsMode: "none" } });
  await f.run(`
    C: ehlo client.example.com
    ${ehlo()}
    C: NoOp
    S: 250 2.0.0
    C: HELO client.example.com
    S: 250 mail.example.org
    C: HELO [192.0.2.1]
    S: 250 mail.example.org
  `);
});

Deno.test("SmtpSession.receive() replies 501 5.5.4 to EHLO or HELO without a domain", async () => {
  const f = await greeted();
  await f.run(`
    C: EHLO
    S: 501 5.5.4
    C: EHLO    
    S: 501 5.5.4
    C: HELO
    S: 501 5.5.4
  `);
});

Deno.test("SmtpSession.receive() replies 503 to STARTTLS before EHLO", async () => {
  const f = await greeted();
  await f.run("C: STARTTLS\nS: 503 5.5.1");
  assert.equal(f.conn.startTlsCalls.length, 0);
});

Deno.test("SmtpSession.receive() replies 501 to STARTTLS with parameters", async () => {
  const f = await ready();
  await f.run("C: STARTTLS now\nS: 501 5.5.4");
  assert.equal(f.conn.startTlsCalls.length, 0);
});

Deno.test("SmtpSession.receive() replies 502 to STARTTLS when tlsMode is none", async () => {
  const f = await ready({ conn: { tlsMode: "none" } });
  await f.run("C: STARTTLS\nS: 502 5.5.1");
  assert.equal(f.conn.startTlsCalls.length, 0);
});

Deno.test("SmtpSession.receive() starts TLS with a 220 2.0.0 go-ahead after EHLO", async () => {
  const f = await ready();
  await f.run("C: STARTTLS\nS: 220 2.0.0");
  assert.equal(f.conn.startTlsCalls.length, 1);
  assert.match(f.conn.startTlsCalls[0] ?? "", /^220 2\.0\.0 [^\r\n]*\r\n$/);
  assert.deepEqual(f.conn.tls, testTlsFacts);
  assert.ok(!f.conn.closed);
});

Deno.test("SmtpSession.receive() forgets EHLO and the transaction after STARTTLS", async () => {
  const f = await ready();
  await f.run(`
    C: MAIL FROM:<a@remote.example>
    S: 250 2.1.0
    C: RSET
    S: 250 2.0.0
    C: STARTTLS
    S: 220 2.0.0
    C: MAIL FROM:<a@remote.example>
    S: 503 5.5.1
    C: EHLO client.example.com
    ${ehlo({ tls: true })}
    C: STARTTLS
    S: 502 5.5.1
  `);
  assert.equal(f.conn.startTlsCalls.length, 1);
});

Deno.test("SmtpSession.receive() refuses STARTTLS inside a transaction", async () => {
  const f = await ready();
  await f.run("C: MAIL FROM:<>\nS: 250 2.1.0\nC: STARTTLS\nS: 503 5.5.1");
});

// RFC 3207 §4.2 / §6; mox TestSmuggle-style named test. A client (or a man in the middle
// before the handshake) pipelines plaintext commands behind STARTTLS; they must never run
// in the TLS session.
Deno.test("STARTTLS command injection: pipelined commands are discarded", async () => {
  const f = await ready();
  await f.send(
    "STARTTLS\r\nMAIL FROM:<attacker@example.com>\r\nRCPT TO:<bob@example.org>\r\nQUIT\r\nNOOP",
  );
  // Only the go-ahead: no reply to MAIL/RCPT, QUIT did not close.
  await f.run("S: 220 2.0.0");
  assert.ok(!f.conn.closed);
  // The partial "NOOP" was dropped too: "QUIT" is not read as "NOOPQUIT".
  await f.run("C: QUIT\nS: 221 2.0.0");
  assert.ok(f.conn.closed);
});

Deno.test("SmtpSession.receive() stops when the TLS handshake fails", async () => {
  const f = await ready({ conn: { handshake: new Error("handshake failed") } });
  await f.send("STARTTLS\r\nNOOP\r\n");
  await f.run("S: 220 2.0.0");
  assert.ok(f.conn.closed);
  await f.send("NOOP\r\n");
  assert.equal(f.conn.unread(), "");
  assert.equal(f.conn.writtenAfterClose, "");
});

Deno.test("SmtpSession.receive() replies to NOOP, RSET, VRFY, EXPN and HELP", async () => {
  const f = await greeted();
  await f.run(`
    C: NOOP
    S: 250 2.0.0
    C: NOOP anything
    S: 250 2.0.0
    C: RSET
    S: 250 2.0.0
    C: VRFY bob
    S: 252 2.5.0
    C: EXPN team@example.org
    S: 252 2.5.0
    C: HELP
    S: 214 2.0.0
    C: HELP MAIL
    S: 214 2.0.0
  `);
});

Deno.test("SmtpSession.receive() replies 221 to QUIT, closes, and ignores what follows", async () => {
  const f = await ready();
  await f.send("QUIT\r\nNOOP\r\n");
  await f.run("S: 221 2.0.0");
  assert.ok(f.conn.closed);
});

Deno.test("SmtpSession.receive() replies 500 5.5.2 to an unknown verb", async () => {
  const f = await ready();
  await f.run("C: FOO bar\nS: 500 5.5.2\nC:\nS: 500 5.5.2\nC: GET / HTTP/1.1\nS: 500 5.5.2");
  assert.ok(!f.conn.closed);
});

Deno.test("SmtpSession.receive() replies 500 and closes when the first command is unknown", async () => {
  for (const line of ["FOO", "", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"]) {
    const f = await greeted();
    await f.run(`C: ${line}\nS: 500 5.5.2`);
    assert.ok(f.conn.closed, JSON.stringify(line));
  }
});

Deno.test("SmtpSession.receive() closes without a reply when the first line is HTTP", async () => {
  for (const line of ["GET / HTTP/1.1", "POST /submit HTTP/1.1", "CONNECT a:25 HTTP/1.1"]) {
    const f = await greeted();
    await f.send(`${line}\r\nHost: mail.example.org\r\n\r\n`);
    assert.equal(f.conn.unread(), "", line);
    assert.ok(f.conn.closed, line);
  }
});

Deno.test("SmtpSession.receive() replies 421 and closes after 10 errors", async () => {
  const f = await ready();
  const nine = Array.from(
    { length: 9 },
    (_, i) => i % 2 === 0 ? "C: FOO\nS: 500 5.5.2" : "C: EHLO\nS: 501 5.5.4",
  ).join("\n");
  await f.run(nine);
  assert.ok(!f.conn.closed);
  await f.run("C: DATA\nS: 503 5.5.1\nS: 421 4.7.0");
  assert.ok(f.conn.closed);
});

Deno.test("SmtpSession.receive() does not count 4xx replies as errors", async () => {
  const f = await ready({ session: { maxRecipients: 1 } });
  await f.run("C: MAIL FROM:<>\nS: 250 2.1.0\nC: RCPT TO:<bob@example.org>\nS: 250 2.1.5");
  await f.run(Array(12).fill("C: RCPT TO:<alice@example.org>\nS: 452 4.5.3").join("\n"));
  assert.ok(!f.conn.closed);
});

const cap = smtpLimits.commandLineOctetsExtended;

Deno.test("SmtpSession.receive() accepts a command line of the cap (CRLF included)", async () => {
  const f = await greeted();
  await f.run(`C: NOOP ${"x".repeat(cap - 7)}\nS: 250 2.0.0`);
  assert.ok(!f.conn.closed);
});

Deno.test("SmtpSession.receive() replies 500 5.5.2 to a line one over the cap and closes", async () => {
  const f = await greeted();
  await f.run(`C: NOOP ${"x".repeat(cap - 6)}\nS: 500 5.5.2`);
  assert.ok(f.conn.closed);
});

Deno.test("SmtpSession.receive() never runs the tail of an over-long line as a command", async () => {
  const f = await ready();
  // The cap is passed before the line ends: the reader drops what it has and throws.
  await f.send(`NOOP ${"x".repeat(cap)}`);
  await f.run("S: 500 5.5.2");
  await f.send("x\r\nQUIT\r\n");
  assert.equal(f.conn.unread(), "");
  assert.equal(f.conn.writtenAfterClose, "");
  assert.ok(f.conn.closed);
});

Deno.test("SmtpSession.receive() keeps error replies short when the parser quotes a long line", async () => {
  const f = await ready();
  await f.run(`C: MAIL FROM:<a@b.example> ${"X".repeat(600)}=1\nS: 555 5.5.4`);
  await f.run(`C: MAIL FROM:<a@b.example> ${"Ä".repeat(600)}\nS: 501 5.5.2`);
});

Deno.test("SmtpSession.drain() replies 421 4.3.2 and closes", async () => {
  const f = await ready();
  await f.session.drain();
  await f.run("S: 421 4.3.2");
  assert.ok(f.conn.closed);
});

Deno.test("SmtpSession.expire() replies 421 4.4.2 and closes on idle and session timeout", async () => {
  for (const reason of ["idle", "session"] as const) {
    const f = await ready();
    await f.session.expire(reason);
    await f.run("S: 421 4.4.2");
    assert.ok(f.conn.closed, reason);
  }
});

Deno.test("SmtpSession.receive() refuses each leniency with 501 in pedantic mode", async () => {
  const lenient = [
    "MAIL FROM: <a@remote.example>",
    "MAIL FROM:a@remote.example",
    "MAIL FROM:<a@remote.example>  SIZE=10",
    "MAIL FROM:<a..b@remote.example>",
    `MAIL FROM:<${"a".repeat(65)}@remote.example>`,
    "HELO [192.0.2.1]",
    "HELO my_host.example",
    "NOOP ",
  ];
  for (const line of lenient) {
    const relaxed = await ready();
    await relaxed.run(`C: ${line}\nS: 250`);
    const strict = await ready({ session: { pedantic: true } });
    await strict.run(`C: ${line}\nS: 501 5.5.2`);
  }
});

Deno.test("SmtpSession.receive() accepts bare-LF command lines unless pedantic", async () => {
  const relaxed = await ready();
  await relaxed.send("NOOP\nRSET\n");
  await relaxed.run("S: 250 2.0.0\nS: 250 2.0.0");
  const strict = await ready({ session: { pedantic: true } });
  await strict.send("NOOP\n");
  await strict.run("S: 501 5.5.2");
});
