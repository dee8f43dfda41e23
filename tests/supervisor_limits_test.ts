/**
 * Admission limits (per source, rate, global) and timeouts (idle, whole session) as
 * the supervisor enforces them, including against a worker that does not cooperate;
 * and listeners on IPv4 and IPv6 at once.
 */

import assert from "node:assert/strict";
import { expireGraceMs } from "../workers/supervisor/connection.ts";
import { probeWorker, startServer, TestClient, until } from "./_harness.ts";

const smtpYaml = (extra: string) =>
  `hostname: mail.example.org
listeners:
  - name: smtp
    protocol: smtp
    addresses: ["127.0.0.1:0", "[::1]:0"]
    tls: none
workers: { smtp: 1, imap: 1 }
${extra}`;

Deno.test("a source over its concurrent connection limit gets 421 4.7.0 and is closed", async () => {
  await using server = await startServer(smtpYaml("limits: { perIpConnections: 2 }\n"));
  const port = server.port("smtp", "127.0.0.1");
  using a = await TestClient.connect(port);
  using b = await TestClient.connect(port);
  assert.match(await a.line(), /^220 /);
  assert.match(await b.line(), /^220 /);
  using c = await TestClient.connect(port);
  assert.match(await c.line(), /^421 4\.7\.0 /);
  await c.closedWithin(2_000);
  // Another source (IPv6 loopback) is counted apart.
  using v6 = await TestClient.connect(server.port("smtp", "::1"), "::1");
  assert.match(await v6.line(), /^220 /);
  // A freed slot can be used again.
  a.send("QUIT\r\n");
  assert.match(await a.line(), /^221 /);
  await a.closedWithin(2_000);
  await until("the server to see the close", () => server.sup.limiter.open === 2);
  using d = await TestClient.connect(port);
  assert.match(await d.line(), /^220 /);
});

Deno.test("a source over its connection rate gets 421 4.7.0", async () => {
  await using server = await startServer(smtpYaml("limits: { perIpRatePerMinute: 3 }\n"));
  const port = server.port("smtp", "127.0.0.1");
  for (let i = 0; i < 3; i++) {
    using c = await TestClient.connect(port);
    assert.match(await c.line(), /^220 /);
  }
  using over = await TestClient.connect(port);
  assert.match(await over.line(), /^421 4\.7\.0 /);
});

Deno.test("the global connection cap applies across sources and listeners", async () => {
  await using server = await startServer(smtpYaml("limits: { maxConnections: 1 }\n"));
  using a = await TestClient.connect(server.port("smtp", "127.0.0.1"));
  assert.match(await a.line(), /^220 /);
  using b = await TestClient.connect(server.port("smtp", "::1"), "::1");
  assert.match(await b.line(), /^421 4\.7\.0 /);
});

Deno.test("an idle SMTP session gets 421 4.4.2 and is closed", async () => {
  await using server = await startServer(smtpYaml("limits: { idleTimeout: 300ms }\n"));
  using c = await TestClient.connect(server.port("smtp", "127.0.0.1"));
  assert.match(await c.line(), /^220 /);
  const started = Date.now();
  assert.match(await c.line(2_000), /^421 4\.4\.2 /);
  await c.closedWithin(1_000);
  assert.ok(Date.now() - started >= 250);
});

Deno.test("activity keeps a session open, but not past the session timeout", async () => {
  await using server = await startServer(
    smtpYaml("limits: { idleTimeout: 300ms, sessionTimeout: 900ms }\n"),
  );
  using c = await TestClient.connect(server.port("smtp", "127.0.0.1"));
  assert.match(await c.line(), /^220 /);
  const started = Date.now();
  for (;;) {
    c.send("NOOP\r\n");
    const reply = await c.line(2_000);
    if (reply.startsWith("421")) {
      assert.match(reply, /^421 4\.4\.2 .*Session too long/);
      break;
    }
    assert.match(reply, /^250 /);
    await new Promise((r) => setTimeout(r, 100));
  }
  const took = Date.now() - started;
  assert.ok(took >= 800 && took < 2_000, `closed after ${took} ms`);
  await c.closedWithin(1_000);
});

Deno.test("a timed-out connection is closed even when its worker ignores the timeout", async () => {
  await using server = await startServer(
    `listeners:
  - name: probe
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: none
    idleTimeout: 200ms
workers: { smtp: 1, imap: 1 }
`,
    { entries: { smtp: probeWorker } },
  );
  using c = await TestClient.connect(server.port("probe"));
  await c.line();
  c.send("DEAF\r\n");
  assert.equal(await c.line(), "OK");
  const started = Date.now();
  await c.closedWithin(200 + expireGraceMs + 1_000);
  assert.ok(Date.now() - started >= expireGraceMs, "the session had its grace period");
});

Deno.test("an HTTP request to the SMTP port closes the connection at once", async () => {
  await using server = await startServer(smtpYaml(""));
  using c = await TestClient.connect(server.port("smtp", "127.0.0.1"));
  assert.match(await c.line(), /^220 /);
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await c.closedWithin(2_000);
});
