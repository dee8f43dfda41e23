/**
 * Real IMAP clients against the real server (supervisor, imap worker, store worker):
 * Python's imaplib and npm imapflow.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { parseDomainsConfig } from "../core/config/mod.ts";
import { repoRoot, startServer, within } from "./_harness.ts";

const yaml = `hostname: mail.example.org
dataDir: data
listeners:
  - name: imap
    protocol: imap
    addresses:
      - 127.0.0.1:0
    tls: none
workers:
  smtp: 1
  imap: 1
`;

async function serverWithAlice() {
  const server = await startServer(yaml);
  const domains = parseDomainsConfig(
    "domains:\n  example.org: {}\naccounts:\n  alice:\n    addresses: [alice@example.org]\n",
    "domains.yaml",
  );
  await server.sup.setDomains(domains.value!);
  await server.sup.store.client.call("setPassword", { account: "alice", password: "secret" });
  return server;
}

Deno.test("python imaplib: login, list, create, append, select, search, fetch, store, expunge", async () => {
  await using server = await serverWithAlice();
  const out = await new Deno.Command("python3", {
    args: [
      `${repoRoot}/tests/fixtures/imap_client.py`,
      String(server.port("imap")),
      "alice",
      "secret",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  assert.equal(dec.decode(out.stdout), "ok\n");
});

Deno.test("imapflow: append, fetch envelope and structure, flags, move, IDLE sees new mail", async () => {
  await using server = await serverWithAlice();
  const options = {
    host: "127.0.0.1",
    port: server.port("imap"),
    secure: false,
    doSTARTTLS: false,
    auth: { user: "alice@example.org", pass: "secret" },
    logger: false as const,
  };
  const client = new ImapFlow(options);
  const other = new ImapFlow(options);
  await client.connect();
  await other.connect();
  try {
    const raw = "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\n" +
      "Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <m1@example.org>\r\n" +
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" +
      "hello\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
      "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n";
    const appended = await client.append("INBOX", raw, ["\\Seen"]);
    assert.ok(appended && appended.uid === 1);
    const lock = await client.getMailboxLock("INBOX");
    try {
      const msg = await client.fetchOne("1", {
        envelope: true,
        bodyStructure: true,
        source: true,
        flags: true,
        uid: true,
      });
      assert.ok(msg);
      assert.equal(msg.envelope?.subject, "grüße");
      assert.equal(msg.envelope?.from?.[0]?.address, "bob@example.org");
      assert.equal(msg.envelope?.messageId, "<m1@example.org>");
      assert.equal(msg.bodyStructure?.type, "multipart/mixed");
      assert.equal(msg.bodyStructure?.childNodes?.length, 2);
      assert.equal(msg.source?.toString(), raw);
      assert.ok(msg.flags?.has("\\Seen"));
      const { content } = await client.download("1", "2");
      const chunks: Uint8Array[] = [];
      for await (const c of content!) chunks.push(c as Uint8Array);
      assert.deepEqual([...chunks.flatMap((c) => [...c])], [0, 1, 2]);
      await client.messageFlagsAdd("1", ["$Important"]);
      const again = await client.fetchOne("1", { flags: true });
      assert.ok(again && again.flags?.has("$Important"));
      assert.deepEqual(await client.search({ seen: true }), [1]);

      // IDLE: another connection's APPEND arrives as EXISTS.
      const exists = new Promise<number>((resolve) => {
        client.on("exists", (e: { count: number }) => resolve(e.count));
      });
      const idling = client.idle();
      await other.append("INBOX", "Subject: second\r\n\r\nagain\r\n");
      assert.equal(await within(exists, "EXISTS during IDLE"), 2);
      await client.noop();
      await idling.catch(() => {});

      const moved = await client.messageMove("1", "Archive");
      assert.ok(moved);
      assert.equal(moved.uidMap?.get(1), 1);
    } finally {
      lock.release();
    }
    const status = await client.status("Archive", { messages: true });
    assert.ok(status && status.messages === 1);
  } finally {
    await client.logout().catch(() => {});
    await other.logout().catch(() => {});
  }
});
