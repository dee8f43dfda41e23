// AUTH (RFC 4954) through the session: PLAIN, LOGIN, SCRAM-SHA-1/-256, failures.
import assert from "node:assert/strict";
import { ScramTestClient } from "../auth/_test_client.ts";
import { tryDecodeBase64 } from "../auth/base64.ts";
import { testTlsFacts } from "../wire/_test_conn.ts";
import { b64, type FixtureOptions, greeted, plain, ready } from "./_test_session.ts";

/** The base64 text of a "334 " challenge, decoded. */
function unb64(line: string): string {
  return new TextDecoder().decode(tryDecodeBase64(line.slice(4)));
}

const submission: FixtureOptions = {
  session: { protocol: "submission" },
  conn: { tlsMode: "implicit", tls: testTlsFacts },
};

Deno.test("SmtpSession AUTH PLAIN with an initial response logs in once", async () => {
  const f = await ready(submission);
  await f.run(`
    C: AUTH PLAIN ${plain("alice", "secret")}
    S: 235 2.7.0
    C: AUTH PLAIN ${plain("alice", "secret")}
    S: 503 5.5.1
    C: MAIL FROM:<alice@example.org>
    S: 250 2.1.0
  `);
  assert.equal(f.session.account, "alice");
  assert.deepEqual(f.backend.calls, ["login alice"]);
});

Deno.test("SmtpSession AUTH PLAIN asks with an empty 334 without an initial response", async () => {
  const f = await ready(submission);
  await f.send("AUTH PLAIN\r\n");
  assert.equal(f.conn.unread(), "334 \r\n");
  f.conn.readLine();
  await f.run(`C: ${plain("alice", "secret")}\nS: 235 2.7.0`);
});

Deno.test("SmtpSession AUTH LOGIN prompts for user name and password", async () => {
  const f = await ready(submission);
  await f.run(`
    C: AUTH LOGIN
    S: 334 VXNlcm5hbWU6
    C: ${b64("alice")}
    S: 334 UGFzc3dvcmQ6
    C: ${b64("secret")}
    S: 235 2.7.0
  `);
  const g = await ready(submission);
  await g.run(
    `C: AUTH LOGIN ${b64("alice")}\nS: 334 UGFzc3dvcmQ6\nC: ${b64("secret")}\nS: 235 2.7.0`,
  );
});

for (const hash of ["SHA-256", "SHA-1"] as const) {
  Deno.test(`SmtpSession AUTH SCRAM-${hash} runs the exchange with the backend`, async () => {
    const cases = [["secret", "235 2.7.0"], ["wrong", "535 5.7.8"]] as const;
    for (const [password, final] of cases) {
      const f = await ready(submission);
      const client = new ScramTestClient({ hash, username: "alice", password });
      await f.send(`AUTH SCRAM-${hash} ${b64(client.first())}\r\n`);
      const serverFirst = unb64(f.conn.readLine()!);
      await f.send(`${b64(await client.final(serverFirst))}\r\n`);
      if (final.startsWith("535")) {
        await f.run(`S: ${final}`);
        assert.equal(f.session.account, undefined);
        continue;
      }
      const serverFinal = unb64(f.conn.readLine()!);
      assert.ok(client.verify(serverFinal));
      await f.run(`C:\nS: ${final}`);
      assert.equal(f.session.account, "alice");
    }
  });
}

Deno.test("SmtpSession AUTH SCRAM cancelled after the server-final logs out", async () => {
  const f = await ready(submission);
  const client = new ScramTestClient({ hash: "SHA-256", username: "alice", password: "secret" });
  await f.run(`C: AUTH SCRAM-SHA-256\nS: 334`);
  await f.send(`${b64(client.first())}\r\n`);
  const serverFirst = unb64(f.conn.readLine()!);
  await f.send(`${b64(await client.final(serverFirst))}\r\n`);
  f.conn.readLine();
  await f.run("C: *\nS: 501 5.0.0");
  assert.equal(f.session.account, undefined);
  assert.equal(f.backend.calls.at(-1), "logout");
});

Deno.test("SmtpSession AUTH maps failures to RFC 4954 replies", async () => {
  const f = await ready({ ...submission, backend: { limited: ["mallory"] } });
  await f.run(`
    C: AUTH PLAIN ${plain("alice", "wrong")}
    S: 535 5.7.8
    C: AUTH PLAIN ${plain("nobody", "secret")}
    S: 535 5.7.8
    C: AUTH PLAIN ${plain("alice", "secret", "bob")}
    S: 535 5.7.8
    C: AUTH PLAIN ${plain("mallory", "x")}
    S: 454 4.7.0
    C: AUTH PLAIN =
    S: 501 5.5.2
    C: AUTH PLAIN
    S: 334
    C: not base64!
    S: 501 5.5.2
    C: AUTH LOGIN
    S: 334 VXNlcm5hbWU6
    C: *
    S: 501 5.0.0
    C: AUTH CRAM-MD5
    S: 504 5.5.4
    C: AUTH SCRAM-SHA-256-PLUS
    S: 504 5.5.4
  `);
  assert.equal(f.session.account, undefined);
  await f.run(`C: AUTH PLAIN ${plain("alice", "secret")}\nS: 235 2.7.0`);
});

Deno.test("SmtpSession AUTH needs submission, TLS, EHLO and no transaction", async () => {
  const port25 = await ready({ conn: { tlsMode: "implicit", tls: testTlsFacts } });
  await port25.run(`C: AUTH PLAIN ${plain("alice", "secret")}\nS: 502 5.5.1`);
  const plaintext = await ready({ session: { protocol: "submission" } });
  await plaintext.run(`C: AUTH PLAIN ${plain("alice", "secret")}\nS: 538 5.7.11`);
  const early = await greeted(submission);
  await early.run(`C: AUTH PLAIN ${plain("alice", "secret")}\nS: 503 5.5.1`);
  const insecure = await ready({
    session: { protocol: "submission", allowInsecureAuth: true },
    conn: { tlsMode: "none" },
  });
  await insecure.run(`C: AUTH PLAIN ${plain("alice", "secret")}\nS: 235 2.7.0`);
  await insecure.run(`
    C: MAIL FROM:<alice@example.org>
    S: 250 2.1.0
    C: AUTH PLAIN ${plain("alice", "secret")}
    S: 503 5.5.1
  `);
});

Deno.test("SmtpSession forgets a login made before STARTTLS", async () => {
  const f = await ready({ session: { protocol: "submission", allowInsecureAuth: true } });
  await f.run(`C: AUTH PLAIN ${plain("alice", "secret")}\nS: 235 2.7.0\nC: STARTTLS\nS: 220 2.0.0`);
  assert.equal(f.session.account, undefined);
  assert.equal(f.backend.calls.at(-1), "logout");
});
