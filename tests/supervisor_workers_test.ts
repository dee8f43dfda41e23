/**
 * Worker pools: a protocol worker that crashes or stops answering loses only its own
 * connections, is replaced, and the other workers' sessions carry on.
 */

import assert from "node:assert/strict";
import { probeWorker, startServer, TestClient, until } from "./_harness.ts";

const yaml = `listeners:
  - name: probe
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: none
workers: { smtp: 2, imap: 1, heartbeat: 400ms }
`;

async function open(port: number): Promise<{ client: TestClient; cid: string }> {
  const client = await TestClient.connect(port);
  const hello = await client.line();
  return { client, cid: hello.replace(/^HELLO /, "") };
}

for (const fault of ["CRASH", "HANG"] as const) {
  Deno.test(`a worker that ${fault === "CRASH" ? "crashes" : "hangs"} mid-session is replaced and other workers' sessions carry on`, async () => {
    await using server = await startServer(yaml, { entries: { smtp: probeWorker } });
    const pool = server.sup.pools.smtp;
    const port = server.port("probe");
    const a = await open(port);
    const b = await open(port);
    using _a = a.client;
    using _b = b.client;
    const workerOf = (cid: string) => pool.workers.findIndex((w) => w.conns.has(cid));
    const victim = workerOf(a.cid);
    assert.notEqual(victim, -1);
    assert.notEqual(workerOf(b.cid), victim, "connections are spread over the pool");
    const before = pool.workers[victim]!.worker;

    a.client.send(`${fault}\r\n`);
    // The supervisor says goodbye on the lost worker's behalf and closes.
    assert.match(await a.client.line(3_000), /^421 4\.3\.0 /);
    await a.client.closedWithin(2_000);

    // The other worker's session never noticed.
    b.client.send("ECHO still here\r\n");
    assert.equal(await b.client.line(), "still here");

    // A fresh worker takes the lost one's place and serves new connections.
    await until("the replacement worker", () => {
      const w = pool.workers[victim];
      return w !== undefined && w.worker !== before && w.state === "ready";
    });
    const c = await open(port);
    using _c = c.client;
    c.client.send("ECHO new\r\n");
    assert.equal(await c.client.line(), "new");
    b.client.send("ECHO again\r\n");
    assert.equal(await b.client.line(), "again");
  });
}

Deno.test("a worker that sends a malformed message is treated as compromised and replaced", async () => {
  await using server = await startServer(yaml, { entries: { smtp: probeWorker } });
  const pool = server.sup.pools.smtp;
  const a = await open(server.port("probe"));
  using _a = a.client;
  const index = pool.workers.findIndex((w) => w.conns.has(a.cid));
  const before = pool.workers[index]!;
  // Simulate what a compromised worker could post: a write for a connection id that is
  // not a valid id, then an oversized one. The supervisor must not act on it.
  before.worker.dispatchEvent(
    new MessageEvent("message", { data: { t: "write", cid: "../x", buf: new ArrayBuffer(1) } }),
  );
  await a.client.closedWithin(3_000);
  await until(
    "replacement",
    () => pool.workers[index] !== before && pool.workers[index]?.state === "ready",
  );
});
