/**
 * Durability through the real server (issue: account store): 20 IMAP clients APPEND
 * concurrently to a `postern serve` process, which is killed with SIGKILL mid-run.
 * After a restart every acknowledged message is present and intact, every message
 * present is one a client sent in full (nothing half-visible), and `postern
 * verifydata` finds no problem.
 */

import assert from "node:assert/strict";
import { controlRequest } from "../workers/supervisor/control.ts";
import { eventually, runPostern, ServerProcess } from "./_harness.ts";
import { ImapTestClient } from "./_imap_client.ts";

const clients = 20;
const encoder = new TextEncoder();

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const postern = `hostname: mail.example.org
dataDir: data
log:
  level: error
listeners:
  - name: imap
    protocol: imap
    addresses:
      - 127.0.0.1:0
    tls: none
workers:
  imap: 2
shutdown:
  deadline: 2s
`;

async function start(dir: string): Promise<{ server: ServerProcess; port: number }> {
  const server = new ServerProcess(`${dir}/postern.yaml`);
  let port = 0;
  await eventually("the server to answer on its control socket", async () => {
    const status = await controlRequest(`${dir}/data/control.sock`, "status");
    const listeners = status.listeners as { listener: string; port: number }[] | undefined;
    port = listeners?.find((l) => l.listener === "imap")?.port ?? 0;
    return status.ok === true && port > 0;
  });
  return { server, port };
}

/** A message of 1–8 KB unique to (client, n). */
function message(client: number, n: number): Uint8Array<ArrayBuffer> {
  const filler = "x".repeat(1000 + ((client * 7919 + n * 104729) % 7000));
  return encoder.encode(
    `From: c${client}@example.org\r\nSubject: crash ${client}-${n}\r\nX-Test-Id: ${client}-${n}\r\n\r\n${filler}\r\n`,
  );
}

Deno.test("IMAP APPEND: every acknowledged message survives kill -9 of the server", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-imapcrash-" });
  try {
    await Deno.writeTextFile(`${dir}/postern.yaml`, postern);
    await Deno.writeTextFile(
      `${dir}/domains.yaml`,
      "domains:\n  example.org: {}\naccounts:\n  alice:\n    addresses: [alice@example.org]\n",
    );
    const pw = await runPostern(
      ["setaccountpassword", "--config", `${dir}/postern.yaml`, "alice"],
      {
        stdin: "secret\n",
      },
    );
    assert.equal(pw.code, 0, pw.stderr);

    const tried = new Set<string>(); // hashes of every message a client began to send
    const acked = new Map<number, string>(); // uid → hash
    {
      const { server, port } = await start(dir);
      let stop = false;
      const runs = Array.from({ length: clients }, async (_, c) => {
        using imap = await ImapTestClient.connect(port);
        assert.match((await imap.command("LOGIN alice secret")).tagged, / OK /);
        for (let n = 0; !stop; n++) {
          const m = message(c, n);
          const hash = await sha256(m);
          tried.add(hash);
          const r = await imap.command("APPEND INBOX", m).catch(() => undefined);
          const uid = r && /\[APPENDUID \d+ (\d+)\]/.exec(r.tagged)?.[1];
          if (!uid) return; // the server died under us
          acked.set(Number(uid), hash);
        }
      });
      const deadline = Date.now() + 30_000;
      while (acked.size < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.kill("SIGKILL");
      stop = true;
      await server.exited().catch(() => {});
      await Promise.allSettled(runs);
      await server[Symbol.asyncDispose]();
    }
    assert.ok(acked.size >= 300, `only ${acked.size} appends acknowledged before the kill`);

    const { server, port } = await start(dir);
    try {
      using imap = await ImapTestClient.connect(port);
      assert.match((await imap.command("LOGIN alice secret")).tagged, / OK /);
      assert.match((await imap.command("SELECT INBOX")).tagged, / OK /);
      const fetched = await imap.command("UID FETCH 1:* (UID BODY.PEEK[])", undefined, 60_000);
      assert.match(fetched.tagged, / OK /);
      const present = new Map<number, string>();
      for (const line of fetched.untagged) {
        const m = /^\* \d+ FETCH \(UID (\d+) BODY\[\] \{(\d+)\}([\s\S]*)\)$/.exec(line);
        if (!m) continue;
        const body = encoder.encode(m[3]!);
        assert.equal(body.length, Number(m[2]), "literal length matches");
        present.set(Number(m[1]), await sha256(body));
      }
      for (const [uid, hash] of acked) {
        assert.equal(present.get(uid), hash, `acknowledged UID ${uid} is present and intact`);
      }
      for (const [uid, hash] of present) {
        assert.ok(tried.has(hash), `UID ${uid} is a message some client sent in full`);
      }
      server.kill("SIGTERM");
      assert.equal((await server.exited()).code, 0);
    } finally {
      await server[Symbol.asyncDispose]();
    }
    const verify = await runPostern(["verifydata", `${dir}/data`]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, / 0 problems\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
