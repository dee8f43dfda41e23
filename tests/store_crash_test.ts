/**
 * Durability (issue: account store): kill -9 a process in the middle of 20 concurrent
 * appends, reopen the store, and check that every acknowledged message is present and
 * intact, and that every message in the index is complete (nothing half-visible).
 */

import assert from "node:assert/strict";
import { Store } from "../workers/store/store.ts";
import { verifyData } from "../workers/store/verify.ts";
import { repoRoot } from "./_harness.ts";

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("store keeps every acknowledged message across kill -9 during 20 concurrent appends", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-crash-" });
  try {
    const tried = new Map<string, string>(); // id → hash, over all rounds
    for (let round = 0; round < 3; round++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "tests/fixtures/store_append_child.ts", dir, `r${round}`],
        cwd: repoRoot,
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      let output = "";
      const reader = (async () => {
        for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
          output += chunk;
        }
      })();
      // Kill once a good number of appends were acknowledged (bounded wait).
      const deadline = Date.now() + 20_000;
      while ((output.match(/^ack /gm)?.length ?? 0) < 100 + round * 50 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGKILL");
      await child.status;
      await reader;

      const acked = new Map<string, number>(); // id → uid
      for (const line of output.split("\n")) {
        const [kind, id, value] = line.split(" ");
        if (kind === "try" && id && value) tried.set(id, value);
        if (kind === "ack" && id && value) acked.set(id, Number(value));
      }
      assert.ok(acked.size >= 100, `only ${acked.size} appends acknowledged before the kill`);

      const store = new Store(dir);
      await store.setAccounts([{ name: "crash", addresses: [] }]);
      try {
        const byUid = new Map<number, string>(); // uid → hash of stored bytes
        for (let from = 1;;) {
          const page = await store.messages("crash", "Inbox", from, Number.MAX_SAFE_INTEGER, 500);
          if (page.length === 0) break;
          for (const meta of page) {
            const bytes = await store.read("crash", "Inbox", meta.uid);
            assert.equal(bytes.length, meta.size, `UID ${meta.uid} is complete`);
            byUid.set(meta.uid, await sha256(bytes.slice()));
          }
          from = page.at(-1)!.uid + 1;
        }
        // Every acknowledged message is there, byte for byte.
        for (const [id, uid] of acked) {
          assert.equal(byUid.get(uid), tried.get(id), `acknowledged ${id} (UID ${uid}) intact`);
        }
        // Nothing in the index that was not a whole message we tried to add.
        const triedHashes = new Set(tried.values());
        for (const [uid, hash] of byUid) {
          assert.ok(triedHashes.has(hash), `UID ${uid} is a whole message that was added`);
        }
      } finally {
        await store.close();
      }
      // Reopening recovered files caught between write and commit: nothing to report.
      const verify = await verifyData(dir, false);
      assert.deepEqual(verify.problems, [], "verifydata finds no problem after the crash");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
