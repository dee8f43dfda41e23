/**
 * Graceful shutdown: on SIGTERM, SIGINT or `postern stop`, the server stops accepting,
 * sessions are ended the protocol's way (SMTP 421, IMAP BYE), and the process exits 0
 * within the configured deadline, even when sessions do not cooperate.
 */

import assert from "node:assert/strict";
import { controlRequest } from "../workers/supervisor/control.ts";
import {
  eventually,
  probeWorker,
  repoRoot,
  ServerProcess,
  startServer,
  TestClient,
} from "./_harness.ts";

const postern = `hostname: mail.example.org
log:
  level: info
listeners:
  - name: smtp
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: none
  - name: imap
    protocol: imap
    addresses: ["127.0.0.1:0"]
    tls: none
workers: { smtp: 1, imap: 1 }
shutdown:
  deadline: 3s
`;

async function startProcess() {
  const dir = await Deno.makeTempDir({ prefix: "postern-shutdown-" });
  await Deno.writeTextFile(`${dir}/postern.yaml`, postern);
  await Deno.writeTextFile(`${dir}/domains.yaml`, "domains:\n  example.org: {}\n");
  const server = new ServerProcess(`${dir}/postern.yaml`);
  let listeners: { listener: string; port: number }[] = [];
  await eventually("the server to answer on its control socket", async () => {
    const status = await controlRequest(`${dir}/data/control.sock`, "status");
    listeners = status.listeners as typeof listeners;
    return status.ok === true;
  });
  const port = (name: string) => listeners.find((l) => l.listener === name)!.port;
  const smtp = await TestClient.connect(port("smtp"));
  assert.match(await smtp.line(), /^220 mail\.example\.org /);
  const imap = await TestClient.connect(port("imap"));
  assert.match(await imap.line(), /^\* OK /);
  return {
    dir,
    server,
    smtp,
    imap,
    async [Symbol.asyncDispose]() {
      smtp.socket.destroy();
      imap.socket.destroy();
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function assertSessionsEndedAndExit0(s: Awaited<ReturnType<typeof startProcess>>) {
  const started = Date.now();
  // RFC 5321 §3.8: 421 on shutdown; RFC 9051 §7.1.5: BYE.
  assert.match(await s.smtp.line(), /^421 4\.3\.2 /);
  assert.match(await s.imap.line(), /^\* BYE \[UNAVAILABLE\] /);
  await s.smtp.closedWithin(3_000);
  await s.imap.closedWithin(3_000);
  const status = await s.server.exited();
  assert.equal(status.code, 0, s.server.stderr);
  assert.ok(Date.now() - started < 3_000, "exited within the deadline");
  assert.match(s.server.stderr, /msg=stopped/);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} ends SMTP sessions with 421 and IMAP sessions with BYE, then exits 0`, async () => {
    await using s = await startProcess();
    s.server.kill(signal);
    await assertSessionsEndedAndExit0(s);
    assert.match(s.server.stderr, new RegExp(`signal=${signal}`));
  });
}

Deno.test("postern stop shuts a running server down gracefully", async () => {
  await using s = await startProcess();
  const stop = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "stop", "--config", `${s.dir}/postern.yaml`],
    cwd: repoRoot,
    stdin: "null",
  }).output();
  await assertSessionsEndedAndExit0(s);
  const r = await stop;
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  assert.equal(new TextDecoder().decode(r.stdout), "stopped\n");
});

Deno.test("postern stop fails clearly when no server is running", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-shutdown-" });
  await Deno.writeTextFile(`${dir}/postern.yaml`, postern);
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "stop", "--config", `${dir}/postern.yaml`],
    cwd: repoRoot,
    stdin: "null",
  }).output();
  await Deno.remove(dir, { recursive: true });
  assert.equal(r.code, 1);
  assert.match(new TextDecoder().decode(r.stderr), /cannot stop server at .*control\.sock/);
});

Deno.test("shutdown closes sessions that ignore the drain once the deadline passes", async () => {
  const server = await startServer(
    `listeners:
  - name: probe
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: none
workers: { smtp: 1, imap: 1 }
shutdown: { deadline: 500ms }
`,
    { entries: { smtp: probeWorker } },
  );
  using client = await TestClient.connect(server.port("probe"));
  await client.line();
  client.send("DEAF\r\n");
  assert.equal(await client.line(), "OK");
  const started = Date.now();
  await server[Symbol.asyncDispose]();
  const took = Date.now() - started;
  assert.ok(took >= 450 && took < 1_500, `stop took ${took} ms`);
  await client.closedWithin(1_000);
  // New connections are no longer accepted.
  await assert.rejects(TestClient.connect(server.port("probe")));
});

Deno.test("a second server on the same data directory refuses to start, touching nothing", async () => {
  await using s = await startProcess();
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "serve", "--config", `${s.dir}/postern.yaml`],
    cwd: repoRoot,
    stdin: "null",
  }).output();
  assert.equal(r.code, 1);
  assert.equal(
    new TextDecoder().decode(r.stderr),
    `postern: cannot start: a server is already running (${s.dir}/data/control.sock)\n`,
  );
  // The first server is unaffected.
  s.smtp.send("NOOP\r\n");
  assert.match(await s.smtp.line(), /^250 2\.0\.0 /);
});
