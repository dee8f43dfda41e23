// MAIL and RCPT through the session: port 25 recipient checks, submission sender checks,
// extension parameters.
import assert from "node:assert/strict";
import { testTlsFacts } from "../wire/_test_conn.ts";
import { authenticated, inMail, ready } from "./_test_session.ts";

Deno.test("SmtpSession RCPT accepts local addresses in all their forms", async () => {
  const f = await inMail(await ready());
  await f.run(`
    C: RCPT TO:<alice@example.org>
    S: 250 2.1.5
    C: RCPT TO:<ROBERT@Example.ORG>
    S: 250 2.1.5
    C: RCPT TO:<alice+lists@example.org>
    S: 250 2.1.5
    C: RCPT TO:<anything@example.net>
    S: 250 2.1.5
    C: RCPT TO:<alice@xn--bcher-kva.example>
    S: 250 2.1.5
    C: RCPT TO:<Postmaster>
    S: 250 2.1.5
    C: RCPT TO:<team@example.org>
    S: 250 2.1.5
    C: RCPT TO:<loop1@example.org>
    S: 250 2.1.5
  `);
  assert.deepEqual(f.session.tx.accounts, ["alice", "bob", "catchall", "postmaster"]);
  assert.equal(f.session.tx.recipients.length, 8);
});

Deno.test("SmtpSession RCPT takes U-label domains with SMTPUTF8 only", async () => {
  const f = await ready();
  await f.run(`
    C: MAIL FROM:<sender@remote.example>
    S: 250 2.1.0
    C: RCPT TO:<alice@bücher.example>
    S: 553 5.6.7
    C: RSET
    S: 250 2.0.0
    C: MAIL FROM:<sender@remote.example> SMTPUTF8
    S: 250 2.1.0
    C: RCPT TO:<alice@bücher.example>
    S: 250 2.1.5
    C: RCPT TO:<ålice@example.org>
    S: 550 5.1.1
  `);
  assert.deepEqual(f.session.tx.accounts, ["alice"]);
});

Deno.test("SmtpSession RCPT refuses unknown users alike and never relays on port 25", async () => {
  const f = await inMail(await ready());
  await f.run(`
    C: RCPT TO:<nobody@example.org>
    S: 550 5.1.1 Recipient address rejected: no such user here
    C: RCPT TO:<alice+x@example.org.evil.example>
    S: 550 5.7.1
    C: RCPT TO:<bob@remote.example>
    S: 550 5.7.1
    C: RCPT TO:<bob@[192.0.2.25]>
    S: 550 5.7.1
    C: RCPT TO:<outside@example.org>
    S: 550 5.7.1
    C: RCPT TO:<nobody+tag@example.org>
    S: 550 5.1.1 Recipient address rejected: no such user here
    C: DATA
    S: 554 5.5.1
  `);
});

Deno.test("SmtpSession RCPT replies 452 4.5.3 past the recipient limit", async () => {
  const f = await inMail(await ready({ session: { maxRecipients: 2 } }));
  await f.run(`
    C: RCPT TO:<alice@example.org>
    S: 250 2.1.5
    C: RCPT TO:<bob@example.org>
    S: 250 2.1.5
    C: RCPT TO:<postmaster@example.org>
    S: 452 4.5.3
  `);
});

Deno.test("SmtpSession RCPT replies 451 4.3.0 before the domains configuration arrived", async () => {
  const f = await inMail(await ready({ backend: { domains: undefined } }));
  await f.run("C: RCPT TO:<alice@example.org>\nS: 451 4.3.0");
});

Deno.test("SmtpSession RCPT stores DSN parameters", async () => {
  const f = await ready();
  await f.run(`
    C: MAIL FROM:<a@remote.example> RET=HDRS ENVID=QQ314159 BODY=8BITMIME SIZE=100 AUTH=<>
    S: 250 2.1.0
    C: RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org
    S: 250 2.1.5
  `);
  assert.equal(f.session.tx.mailParams?.ret, "HDRS");
  assert.equal(f.session.tx.mailParams?.envid, "QQ314159");
  assert.deepEqual(f.session.tx.recipients[0]?.params.notify, ["SUCCESS", "FAILURE"]);
  assert.equal(f.session.tx.recipients[0]?.params.orcpt?.address, "bob@example.org");
});

Deno.test("SmtpSession MAIL checks parameters against the extensions on offer", async () => {
  const f = await ready({ session: { maxMessageSize: 1000 } });
  await f.run(`
    C: RCPT TO:<bob@example.org>
    S: 503 5.5.1
    C: MAIL FROM:<a@remote.example> SIZE=1001
    S: 552 5.3.4
    C: MAIL FROM:<ålice@remote.example>
    S: 550 5.6.7
    C: MAIL FROM:<a@remote.example> REQUIRETLS
    S: 530 5.7.10
    C: MAIL FROM:<a@remote.example> HOLDFOR=60
    S: 555 5.5.4
    C: MAIL FROM:<a@remote.example> FOO=BAR
    S: 555 5.5.4
    C: MAIL FROM:<a@remote.example> SIZE=1 SIZE=2
    S: 501 5.5.4
    C: MAIL FROM:<a@remote.example> SIZE=1000
    S: 250 2.1.0
    C: MAIL FROM:<a@remote.example>
    S: 503 5.5.1
  `);
});

Deno.test("SmtpSession MAIL accepts REQUIRETLS over TLS", async () => {
  const f = await ready({ conn: { tlsMode: "implicit", tls: testTlsFacts } });
  await f.run("C: MAIL FROM:<a@remote.example> REQUIRETLS\nS: 250 2.1.0");
  assert.equal(f.session.tx.mailParams?.requireTls, true);
});

Deno.test("SmtpSession MAIL before STARTTLS gets 530 5.7.0 when TLS is required", async () => {
  const f = await ready({ session: { requireTls: true } });
  await f.run(`
    C: MAIL FROM:<a@remote.example>
    S: 530 5.7.0
    C: STARTTLS
    S: 220 2.0.0
    C: EHLO client.example.com
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250-*
    S: 250 *
    C: MAIL FROM:<a@remote.example>
    S: 250 2.1.0
  `);
});

Deno.test("SmtpSession on submission needs AUTH before MAIL", async () => {
  const f = await ready({
    session: { protocol: "submission" },
    conn: { tlsMode: "implicit", tls: testTlsFacts },
  });
  await f.run("C: MAIL FROM:<alice@example.org>\nS: 530 5.7.0");
});

Deno.test("SmtpSession on submission takes only the account's own sender addresses", async () => {
  const f = await authenticated();
  await f.run(`
    C: MAIL FROM:<bob@example.org>
    S: 550 5.7.1
    C: MAIL FROM:<>
    S: 550 5.7.1
    C: MAIL FROM:<alice@[192.0.2.1]>
    S: 550 5.7.1
    C: MAIL FROM:<alice+tag@example.org>
    S: 550 5.7.1
    C: MAIL FROM:<Alice@Example.org>
    S: 250 2.1.0
    C: RSET
    S: 250 2.0.0
    C: MAIL FROM:<alice@bücher.example> SMTPUTF8
    S: 250 2.1.0
  `);
});

Deno.test("SmtpSession on submission delivers locally and refuses remote recipients", async () => {
  const f = await authenticated();
  await f.run(`
    C: MAIL FROM:<alice@example.org>
    S: 250 2.1.0
    C: RCPT TO:<someone@remote.example>
    S: 550 5.7.1 Outgoing mail to other domains is not available yet
    C: RCPT TO:<nobody@example.org>
    S: 550 5.1.1
    C: RCPT TO:<bob@example.org>
    S: 250 2.1.5
  `);
});

Deno.test("SmtpSession on submission accepts FUTURERELEASE holds within the maximum", async () => {
  const f = await authenticated({ session: { maxHoldSeconds: 3600 } });
  await f.run(`
    C: MAIL FROM:<alice@example.org> HOLDFOR=3600
    S: 250 2.1.0
    C: RSET
    S: 250 2.0.0
    C: MAIL FROM:<alice@example.org> HOLDFOR=3601
    S: 501 5.5.4
    C: MAIL FROM:<alice@example.org> HOLDUNTIL=2024-01-02T04:04:05Z
    S: 250 2.1.0
    C: RSET
    S: 250 2.0.0
    C: MAIL FROM:<alice@example.org> HOLDUNTIL=2024-01-02T04:04:06Z
    S: 501 5.5.4
  `);
});
