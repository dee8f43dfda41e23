/**
 * Backpressure through the supervisor: a client that sends faster than its worker
 * consumes, and a client that never reads, must not make the supervisor (or the
 * worker) buffer without bound. A worker that ignores its write credit loses the
 * connection.
 */

import assert from "node:assert/strict";
import { inboundWindow, outboundHardCap, outboundWindow } from "../workers/protocol.ts";
import { makeCert, probeWorker, startServer, TestClient, until } from "./_harness.ts";

const probeYaml = `listeners:
  - name: probe
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: none
workers: { smtp: 1, imap: 1 }
`;

const probeTlsYaml = probeYaml.replace("tls: none", "tls: implicit");

async function certYaml(dir: string): Promise<string> {
  const c = await makeCert(dir, ["localhost"]);
  return `tls:\n  certificates:\n    - cert: ${c.certFile}\n      key: ${c.keyFile}\n`;
}

/** Largest chunk one socket read hands over (node's default highWaterMark). */
const readChunk = 64 * 1024;

for (const tls of [false, true]) {
  Deno.test(`supervisor pauses a client that sends faster than its worker consumes (${tls ? "TLS" : "plain"})`, async () => {
    await using server = await startServer(tls ? probeTlsYaml : probeYaml, {
      entries: { smtp: probeWorker },
      ...(tls ? { setup: certYaml } : {}),
    });
    using client = tls
      ? await TestClient.connectTls(server.port("probe"), "localhost")
      : await TestClient.connect(server.port("probe"));
    await client.line();
    client.send("SLOW 20\r\n");
    assert.equal(await client.line(), "OK");

    // 32 MiB of commands, queued as fast as the client's socket takes them.
    const block = new TextEncoder().encode("NOP\r\n".repeat(64 * 1024 / 5));
    for (let sent = 0; sent < 32 * 1024 * 1024; sent += block.length) client.socket.write(block);

    let maxHeld = 0;
    let sawPause = false;
    const deadline = Date.now() + 1_500;
    while (Date.now() < deadline) {
      for (const s of server.sup.stats()) {
        maxHeld = Math.max(maxHeld, s.inflight + s.readBuffered);
        sawPause ||= s.paused;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const [stats] = server.sup.stats();
    assert.ok(stats, "connection is still open");
    assert.ok(sawPause, "the socket was paused");
    assert.ok(
      maxHeld <= inboundWindow + 2 * readChunk,
      `supervisor held ${maxHeld} bytes (window ${inboundWindow})`,
    );
    // The worker consumes ~64 KiB per 20 ms: far less than what was sent reached us.
    assert.ok(stats.bytesIn < 16 * 1024 * 1024, `read ${stats.bytesIn} bytes`);
    assert.ok(client.socket.writableLength > 8 * 1024 * 1024, "the client is pushed back on");
  });
}

Deno.test("supervisor stops reading from the worker when a client never reads", async () => {
  await using server = await startServer(probeYaml, { entries: { smtp: probeWorker } });
  using client = await TestClient.connect(server.port("probe"));
  await client.line();
  client.socket.pause(); // never read again
  client.send("FLOOD\r\n");

  let maxBuffered = 0;
  const samples: number[] = [];
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    const [s] = server.sup.stats();
    assert.ok(s, "connection is still open");
    maxBuffered = Math.max(maxBuffered, s.writeBuffered);
    samples.push(s.bytesOut);
    await new Promise((r) => setTimeout(r, 10));
  }
  // The worker waits for credit: the supervisor's write buffer stays within the window
  // plus one chunk, and output stalls once the kernel's buffers are full.
  assert.ok(
    maxBuffered <= outboundWindow + 64 * 1024,
    `supervisor buffered ${maxBuffered} bytes for a client that does not read`,
  );
  const last = samples.at(-1)!;
  const halfway = samples[Math.floor(samples.length / 2)]!;
  assert.equal(last, halfway, "output stalled");
  assert.ok(last < 64 * 1024 * 1024, `flushed ${last} bytes to the kernel`);
});

Deno.test("supervisor drops a connection whose worker writes past its credit", async () => {
  await using server = await startServer(probeYaml, { entries: { smtp: probeWorker } });
  using client = await TestClient.connect(server.port("probe"));
  await client.line();
  client.socket.pause();
  client.send("BLAST 200\r\n"); // 12.5 MiB posted at once
  let maxBuffered = 0;
  await until("the connection to be dropped", () => {
    for (const s of server.sup.stats()) maxBuffered = Math.max(maxBuffered, s.writeBuffered);
    return server.sup.connections.size === 0;
  });
  assert.ok(maxBuffered <= outboundHardCap, `buffered ${maxBuffered}`);
  client.socket.resume(); // a paused socket reports the close only after its data is read
  await client.closedWithin(2_000);
});
