/**
 * The SMTP session through the real server with a raw client, for what the client
 * programs in smtp_clients_test.ts do not do: BDAT/CHUNKING, pipelining across DATA,
 * SMTP smuggling, AUTH SCRAM against the real store, STARTTLS command injection, and
 * delivery when one recipient's account is over quota.
 */

import assert from "node:assert/strict";
import { parseDomainsConfig } from "../core/config/mod.ts";
import { ScramTestClient } from "../core/auth/_test_client.ts";
import { encodeBase64, tryDecodeBase64 } from "../core/auth/base64.ts";
import { TestClient } from "./_harness.ts";
import { alicePassword, domainsYaml, inbox, mailServer } from "./_smtp_server.ts";

const b64 = (s: string) => encodeBase64(new TextEncoder().encode(s));
const unb64 = (s: string) => new TextDecoder().decode(tryDecodeBase64(s));

/** Reads one reply (all its lines); returns the last line. */
async function reply(c: TestClient): Promise<string> {
  for (;;) {
    const line = await c.line();
    if (!/^\d{3}-/.test(line)) return line;
  }
}

async function ask(c: TestClient, text: string): Promise<string> {
  c.send(text);
  return await reply(c);
}

async function connect(port: number): Promise<TestClient> {
  const c = await TestClient.connect(port);
  assert.match(await reply(c), /^220 /);
  assert.match(await ask(c, "EHLO client.test\r\n"), /^250 /);
  return c;
}

Deno.test("SMTP server: BDAT chunks and pipelined transactions are delivered", async () => {
  await using server = await mailServer();
  using c = await connect(server.port("smtp"));
  c.send(
    "MAIL FROM:<a@remote.test> BODY=BINARYMIME\r\nRCPT TO:<bob@example.org>\r\n" +
      "BDAT 21\r\nSubject: chunked\r\n\r\n1BDAT 3 LAST\r\n23\n" +
      "MAIL FROM:<b@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n",
  );
  for (const expected of ["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0", "250 2.1.0"]) {
    assert.match(await reply(c), new RegExp(`^${expected} `));
  }
  assert.match(await reply(c), /^250 2\.1\.5 /);
  assert.match(await reply(c), /^354 /);
  assert.match(await ask(c, "Subject: piped\r\n\r\n..x\r\n.\r\n"), /^250 2\.0\.0 /);
  assert.match(await ask(c, "QUIT\r\n"), /^221 /);
  const [bob] = await inbox(server, "bob");
  assert.match(bob!, /\r\nSubject: chunked\r\n\r\n123\n$/);
  const [alice] = await inbox(server, "alice");
  assert.match(alice!, /\r\nSubject: piped\r\n\r\n\.x\r\n$/);
});

Deno.test("SMTP server: smuggling attempts are refused and the session stays in step", async () => {
  await using server = await mailServer();
  using c = await connect(server.port("smtp"));
  for (const end of ["\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n"]) {
    assert.match(await ask(c, "MAIL FROM:<a@remote.test>\r\n"), /^250 /);
    assert.match(await ask(c, "RCPT TO:<bob@example.org>\r\n"), /^250 /);
    assert.match(await ask(c, "DATA\r\n"), /^354 /);
    c.send(
      `Subject: one\r\n\r\nx${end}MAIL FROM:<admin@example.org>\r\nRCPT TO:<alice@example.org>\r\n` +
        "DATA\r\nSubject: smuggled\r\n\r\n.\r\n",
    );
    assert.match(await reply(c), /^554 5\.5\.2 .*smuggling/i, JSON.stringify(end));
    assert.match(await ask(c, "NOOP\r\n"), /^250 /);
  }
  assert.deepEqual(await inbox(server, "alice"), []);
  assert.deepEqual(await inbox(server, "bob"), []);
});

Deno.test("SMTP server: AUTH SCRAM-SHA-256 and -SHA-1 log in through the store", async () => {
  await using server = await mailServer();
  for (const hash of ["SHA-256", "SHA-1"] as const) {
    using c = await TestClient.connectTls(server.port("submissions"), "mail.example.org");
    assert.match(await reply(c), /^220 /);
    assert.match(await ask(c, "EHLO client.test\r\n"), /^250 /);
    const client = new ScramTestClient({ hash, username: "alice", password: alicePassword });
    const first = await ask(c, `AUTH SCRAM-${hash} ${b64(client.first())}\r\n`);
    assert.match(first, /^334 /);
    const final = await ask(c, `${b64(await client.final(unb64(first.slice(4))))}\r\n`);
    assert.match(final, /^334 /);
    assert.ok(client.verify(unb64(final.slice(4))), "server proved it knows the password");
    assert.match(await ask(c, "\r\n"), /^235 2\.7\.0 /);
    assert.match(await ask(c, "MAIL FROM:<alice@example.org>\r\n"), /^250 /);
  }
  using bad = await TestClient.connectTls(server.port("submissions"), "mail.example.org");
  await reply(bad);
  await ask(bad, "EHLO client.test\r\n");
  const client = new ScramTestClient({ hash: "SHA-256", username: "alice", password: "wrong" });
  const first = await ask(bad, `AUTH SCRAM-SHA-256 ${b64(client.first())}\r\n`);
  const final = await ask(bad, `${b64(await client.final(unb64(first.slice(4))))}\r\n`);
  assert.match(final, /^535 5\.7\.8 /);
});

Deno.test("STARTTLS command injection: the SMTP worker runs nothing sent before the handshake", async () => {
  await using server = await mailServer();
  using c = await connect(server.port("smtp"));
  c.send("STARTTLS\r\nMAIL FROM:<attacker@remote.test>\r\nRCPT TO:<bob@example.org>\r\n");
  assert.match(await c.line(), /^220 2\.0\.0 /);
  await c.upgrade("mail.example.org");
  // The session starts over: no EHLO yet, no transaction.
  assert.match(await ask(c, "RCPT TO:<bob@example.org>\r\n"), /^503 /);
  assert.match(await ask(c, "EHLO client.test\r\n"), /^250 /);
  assert.match(await ask(c, "RCPT TO:<bob@example.org>\r\n"), /^503 /);
});

Deno.test("SMTP server: a message reaching an account over quota is accepted for the others", async () => {
  await using server = await mailServer();
  await server.sup.setDomains(
    parseDomainsConfig(domainsYaml.replace("  bob:\n", "  bob:\n    quotaMessages: 1\n"), "d")
      .value!,
  );
  using c = await connect(server.port("smtp"));
  const send = async (to: string) => {
    assert.match(await ask(c, "MAIL FROM:<a@remote.test>\r\n"), /^250 /);
    assert.match(await ask(c, `RCPT TO:<${to}>\r\n`), /^250 /);
    assert.match(await ask(c, "DATA\r\n"), /^354 /);
    return await ask(c, `Subject: to ${to}\r\n\r\nx\r\n.\r\n`);
  };
  assert.match(await send("bob@example.org"), /^250 2\.0\.0 /);
  assert.match(await send("team@example.org"), /^250 2\.0\.0 /);
  assert.match(await send("bob@example.org"), /^452 4\.2\.2 /);
  assert.equal((await inbox(server, "bob")).length, 1);
  assert.equal((await inbox(server, "alice")).length, 1);
});
