/**
 * `deno task bench`: figures for the runtime, measured through a real supervisor on
 * loopback. Each row runs for a fixed time and prints a rate.
 *
 * - connections/s: connect, read the SMTP greeting, QUIT, close (real SMTP worker)
 * - inbound MB/s: client → supervisor → worker, plain and TLS (probe worker, SINK)
 * - outbound MB/s: worker → supervisor → client, plain and TLS (probe worker, FLOOD)
 * - RPC calls/s: supervisor → service worker round trips, sequential and 64 in flight
 *
 * The protocol comparisons with Postfix and Dovecot belong to the SMTP and IMAP
 * benchmarks; the runtime has no peer of its own to run against.
 */

import { configureLogging } from "../../core/log/mod.ts";
import { makeCert, probeWorker, startServer, TestClient } from "../_harness.ts";

configureLogging({ level: "error", packages: {} });
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? "3");
const rows: [string, string][] = [];
const report = (name: string, value: string) => {
  rows.push([name, value]);
  // deno-lint-ignore no-console -- printing the figures is the point
  console.log(`${name.padEnd(44)} ${value}`);
};

const dir = await Deno.makeTempDir({ prefix: "postern-bench-" });
const cert = await makeCert(dir, ["localhost"]);
const yaml = `listeners:
  - name: smtp
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: none
  - name: probe
    protocol: submission
    addresses: ["127.0.0.1:0"]
    tls: none
  - name: probetls
    protocol: submission
    addresses: ["127.0.0.1:0"]
    tls: implicit
tls:
  certificates:
    - cert: ${cert.certFile}
      key: ${cert.keyFile}
limits: { perIpConnections: 1000, perIpRatePerMinute: 1000000, maxConnections: 10000 }
workers: { smtp: 2, imap: 1 }
`;

// Two servers: one with the real SMTP worker, one with the probe worker.
await using smtp = await startServer(yaml);
await using probe = await startServer(yaml, { entries: { smtp: probeWorker } });

{
  const port = smtp.port("smtp");
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const parallel = 8;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (Date.now() < end) {
      using c = await TestClient.connect(port);
      await c.line();
      c.send("QUIT\r\n");
      await c.line();
      await c.closedWithin(5_000);
      n++;
    }
  }));
  report("SMTP connections/s (greet, QUIT; 8 clients)", (n / seconds).toFixed(0));
}

async function inbound(tls: boolean): Promise<void> {
  using c = tls
    ? await TestClient.connectTls(probe.port("probetls"), "localhost")
    : await TestClient.connect(probe.port("probe"));
  await c.line();
  const total = 256 * 1024 * 1024;
  c.send(`SINK ${total}\r\n`);
  await c.line();
  const block = new Uint8Array(256 * 1024).fill(0x61);
  const started = performance.now();
  for (let sent = 0; sent < total; sent += block.length) {
    if (!c.socket.write(block)) await new Promise((r) => c.socket.once("drain", r));
  }
  const done = await c.line(120_000);
  if (done !== "DONE") throw new Error(`Expected DONE, got ${done}`);
  const secs = (performance.now() - started) / 1000;
  report(`inbound MB/s (256 MB), ${tls ? "TLS" : "plain"}`, (total / secs / 1e6).toFixed(1));
}

async function outbound(tls: boolean): Promise<void> {
  const c = tls
    ? await TestClient.connectTls(probe.port("probetls"), "localhost")
    : await TestClient.connect(probe.port("probe"));
  await c.line();
  let received = 0;
  c.socket.removeAllListeners("data");
  c.socket.on("data", (chunk: Uint8Array) => received += chunk.length);
  c.send("FLOOD\r\n");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const total = received;
  c.socket.destroy();
  report(`outbound MB/s, ${tls ? "TLS" : "plain"}`, (total / seconds / 1e6).toFixed(1));
}

await inbound(false);
await inbound(true);
await outbound(false);
await outbound(true);

{
  const client = probe.sup.services[0]!.client;
  let n = 0;
  let end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await client.call("ping", {});
    n++;
  }
  report("RPC calls/s, sequential", (n / seconds).toFixed(0));
  n = 0;
  end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (Date.now() < end) {
      await client.call("ping", {});
      n++;
    }
  }));
  report("RPC calls/s, 64 in flight", (n / seconds).toFixed(0));
}

await Deno.remove(dir, { recursive: true });
