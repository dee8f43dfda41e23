/**
 * Protocol workers reach the store through the session port the supervisor sets up
 * (workers/_store_link.ts, workers/store/session_port.ts), driven end to end through
 * the real supervisor with the probe worker (tests/fixtures/probe_session_worker.ts).
 */
import assert from "node:assert/strict";
import { parseDomainsConfig } from "../core/config/mod.ts";
import { eventually, probeWorker, startServer, TestClient } from "./_harness.ts";

const yaml = `hostname: mail.example.org
dataDir: data
listeners:
  - name: probe
    protocol: smtp
    addresses:
      - 127.0.0.1:0
    tls: none
workers:
  smtp: 1
  imap: 1
  heartbeat: 2s
`;

async function serverWithAlice() {
  const server = await startServer(yaml, { entries: { smtp: probeWorker } });
  const domains = parseDomainsConfig(
    `domains:
  example.org: {}
accounts:
  alice:
    addresses: [alice@example.org]
  bob:
    addresses: [bob@example.org]
`,
    "domains.yaml",
  );
  await server.sup.setDomains(domains.value!);
  await server.sup.store.client.call("setPassword", { account: "alice", password: "secret" });
  return server;
}

async function ask(client: TestClient, line: string): Promise<string> {
  client.send(`${line}\r\n`);
  return await client.line();
}

Deno.test("store link: a worker logs in and appends; the token is bound to its connection", async () => {
  await using server = await serverWithAlice();
  using a = await TestClient.connect(server.port("probe"));
  await a.line(); // HELLO
  assert.equal(await ask(a, "APPEND before login"), "NO NoSession");
  assert.equal(await ask(a, "LOGIN alice wrong"), "NO AuthFailed");
  assert.equal(await ask(a, "LOGIN alice@example.org secret"), "OK alice");
  assert.equal(await ask(a, "APPEND one"), "OK 1");
  assert.equal(await ask(a, "COUNT"), "OK 1");
  const token = (await ask(a, "WHOAMI")).slice(3);

  // Another connection on the same worker cannot use that token.
  using b = await TestClient.connect(server.port("probe"));
  await b.line();
  assert.equal(await ask(b, `TOKEN ${token}`), `OK ${token}`);
  assert.equal(await ask(b, "COUNT"), "NO NoSession");

  // Once the first connection closes, its token is gone.
  a.socket.destroy();
  await eventually("sessions ended", async () => {
    using c = await TestClient.connect(server.port("probe"));
    await c.line();
    return await ask(c, `TOKEN ${token}`) !== "" && await ask(c, "COUNT") === "NO NoSession";
  });
});

Deno.test("store link: inbound delivery needs no login and reaches the account", async () => {
  await using server = await serverWithAlice();
  using c = await TestClient.connect(server.port("probe"));
  await c.line();
  assert.equal(await ask(c, "DELIVER bob hello"), "OK 1");
  assert.equal(await ask(c, "DELIVER nobody hello"), "NO NoSuchAccount");
  const metas = await server.sup.store.client.call("messages", {
    account: "bob",
    mailbox: "Inbox",
  });
  assert.equal(metas.length, 1);
});

Deno.test("store link: after a store restart workers get a new port and log in again", async () => {
  await using server = await serverWithAlice();
  using c = await TestClient.connect(server.port("probe"));
  await c.line();
  assert.equal(await ask(c, "LOGIN alice secret"), "OK alice");
  assert.equal(await ask(c, "APPEND one"), "OK 1");
  server.sup.store.restart("test");
  // The new instance knows nothing of the old tokens…
  await eventually("store back", async () => await ask(c, "COUNT") === "NO NoSession");
  // …but the link works: log in again.
  assert.equal(await ask(c, "LOGIN alice secret"), "OK alice");
  assert.equal(await ask(c, "COUNT"), "OK 1");
});
