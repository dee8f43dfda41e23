/**
 * SMTP interop with real clients through the real server (supervisor, smtp worker,
 * store): swaks (Debian) for port 25 delivery, STARTTLS, PIPELINING and AUTH PLAIN/LOGIN
 * on submission; Python smtplib for submission with STARTTLS + AUTH and SMTPUTF8;
 * nodemailer for submission over STARTTLS and implicit TLS. Every accepted message is
 * read back through the store. swaks has no SCRAM or BDAT: those are covered by
 * tests/smtp_session_test.ts and the core transcripts.
 */

import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import type { TestServer } from "./_harness.ts";
import { alicePassword, inbox, mailServer, run } from "./_smtp_server.ts";

function swaks(server: TestServer, listener: string, args: string[]) {
  return run("swaks", [
    "--server",
    "127.0.0.1",
    "--port",
    String(server.port(listener)),
    "--ehlo",
    "client.test",
    "--timeout",
    "10",
    ...args,
  ]);
}

Deno.test("swaks delivers on port 25: plain, STARTTLS, pipelined; unknown users refused", async () => {
  await using server = await mailServer();
  const common = ["--from", "sender@remote.test", "--to", "bob@example.org"];
  const plain = await swaks(server, "smtp", [...common, "--h-Subject", "swaks plain"]);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  const tls = await swaks(server, "smtp", [...common, "--tls", "--h-Subject", "swaks tls"]);
  assert.equal(tls.code, 0, tls.stdout + tls.stderr);
  const piped = await swaks(server, "smtp", [
    "--from",
    "sender@remote.test",
    "--to",
    "team@example.org,bob@example.org",
    "--pipeline",
    "--h-Subject",
    "swaks pipelined",
  ]);
  assert.equal(piped.code, 0, piped.stdout + piped.stderr);
  assert.match(piped.stdout, /PIPELINING/);

  const bob = await inbox(server, "bob");
  assert.equal(bob.length, 3);
  assert.match(
    bob[0]!,
    /^Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mail\.example\.org \(Postern\) with ESMTP id /,
  );
  assert.match(bob[0]!, /\tfor <bob@example\.org>; /);
  assert.match(bob[0]!, /\r\nSubject: swaks plain\r\n/);
  assert.match(bob[1]!, /with ESMTPS id \S+\r\n\t\(using TLSv1\.[23] with cipher \S+\)/);
  assert.match(bob[2]!, /\r\nSubject: swaks pipelined\r\n/);
  assert.equal((await inbox(server, "alice")).length, 1);

  const unknown = await swaks(server, "smtp", [
    "--from",
    "a@remote.test",
    "--to",
    "nobody@example.org",
  ]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stdout, /<\*\* 550 5\.1\.1/);
  const relay = await swaks(server, "smtp", [
    "--from",
    "a@remote.test",
    "--to",
    "x@elsewhere.test",
  ]);
  assert.match(relay.stdout, /<\*\* 550 5\.7\.1/);
});

Deno.test("swaks submits with AUTH PLAIN and LOGIN after STARTTLS and over implicit TLS", async () => {
  await using server = await mailServer();
  const auth = (mech: string) => [
    "--auth",
    mech,
    "--auth-user",
    "alice@example.org",
    "--auth-password",
    alicePassword,
    "--from",
    "alice@example.org",
    "--to",
    "bob@example.org",
    "--h-Subject",
    `swaks ${mech}`,
  ];
  for (const mech of ["PLAIN", "LOGIN"]) {
    const r = await swaks(server, "submission", ["--tls", ...auth(mech)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
  const implicit = await swaks(server, "submissions", ["--tlsc", ...auth("PLAIN")]);
  assert.equal(implicit.code, 0, implicit.stdout + implicit.stderr);
  // Before TLS, AUTH is not offered.
  const early = await swaks(server, "submission", auth("PLAIN"));
  assert.notEqual(early.code, 0);
  assert.doesNotMatch(early.stdout, /250-AUTH/);
  const wrong = await swaks(server, "submission", [
    "--tls",
    ...auth("PLAIN").map((a) => a === alicePassword ? "wrong" : a),
  ]);
  assert.match(wrong.stdout, /<[*~]\* 535 5\.7\.8/);
  const remote = await swaks(server, "submission", [
    "--tls",
    ...auth("LOGIN").map((a) => a === "bob@example.org" ? "friend@elsewhere.test" : a),
  ]);
  assert.match(remote.stdout, /<[*~]\* 550 5\.7\.1/);

  const bob = await inbox(server, "bob");
  assert.deepEqual(bob.map((m) => /\r\nSubject: (.*)\r\n/.exec(m)?.[1]), [
    "swaks PLAIN",
    "swaks LOGIN",
    "swaks PLAIN",
  ]);
  assert.match(bob[0]!, /with ESMTPSA id /);
});

const python = `
import os, smtplib, ssl
from email.message import EmailMessage
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP("127.0.0.1", int(os.environ["SUBMISSION"]), local_hostname="py.test", timeout=10) as s:
    s.starttls(context=ctx)
    s.login("alice@example.org", os.environ["PASSWORD"])
    m = EmailMessage()
    m["From"] = "Alice <alice@example.org>"
    m["To"] = "bob@example.org"
    m["Subject"] = "from smtplib"
    m.set_content("caf\\u00e9\\n")
    s.send_message(m)
    print("auth", s.esmtp_features.get("auth"))
with smtplib.SMTP("127.0.0.1", int(os.environ["SMTP"]), local_hostname="py.test", timeout=10) as s:
    m = EmailMessage()
    m["From"] = "j\\u00f6rg@remote.test"
    m["To"] = "bob@b\\u00fccher.example"
    m["Subject"] = "utf8"
    m.set_content("hello")
    s.send_message(m)  # adds SMTPUTF8 itself for the UTF-8 addresses
    try:
        s.sendmail("a@remote.test", ["nobody@example.org"], "Subject: x\\r\\n\\r\\nx\\r\\n")
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", e.recipients["nobody@example.org"][0])
`;

Deno.test("Python smtplib submits with STARTTLS and AUTH, and delivers SMTPUTF8 mail", async () => {
  await using server = await mailServer();
  const r = await run("python3", ["-c", python], {
    env: {
      SUBMISSION: String(server.port("submission")),
      SMTP: String(server.port("smtp")),
      PASSWORD: alicePassword,
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /auth +SCRAM-SHA-256 SCRAM-SHA-1 PLAIN LOGIN/);
  assert.match(r.stdout, /refused 550/);
  const [submitted, utf8] = await inbox(server, "bob");
  assert.ok(submitted && utf8);
  // The submission server added what the client left out.
  assert.match(submitted, /\r\nDate: [A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} /);
  assert.match(submitted, /\r\nMessage-ID: <[^>]+@mail\.example\.org>\r\n/);
  assert.match(submitted, /\r\nSubject: from smtplib\r\n/);
  assert.match(utf8, /with UTF8SMTP id /);
  assert.match(utf8, /\r\nFrom: jörg@remote\.test\r\n/);
});

Deno.test("nodemailer submits over STARTTLS and implicit TLS", async () => {
  await using server = await mailServer();
  for (const [listener, secure] of [["submission", false], ["submissions", true]] as const) {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: server.port(listener),
      secure,
      requireTLS: !secure,
      name: "nodemailer.test",
      tls: { rejectUnauthorized: false },
      auth: { user: "alice", pass: alicePassword },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 10_000,
    });
    try {
      const info = await transport.sendMail({
        from: "alice@example.org",
        to: "bob@example.org, team@example.org",
        subject: `nodemailer ${listener}`,
        text: "hello from nodemailer",
      });
      assert.deepEqual(info.accepted, ["bob@example.org", "team@example.org"]);
      assert.match(info.response, /^250 2\.0\.0 /);
    } finally {
      transport.close();
    }
  }
  const bob = await inbox(server, "bob");
  assert.deepEqual(bob.map((m) => /\r\nSubject: (.*)\r\n/.exec(m)?.[1]), [
    "nodemailer submission",
    "nodemailer submissions",
  ]);
  assert.match(bob[1]!, /\r\n\r\nhello from nodemailer/);
  assert.equal((await inbox(server, "alice")).length, 2);
});
