/**
 * `postern verifydata`: a clean directory passes; a missing message file, a truncated
 * one, an unreferenced file and wrong totals are each reported; --fix removes the
 * unreferenced file and corrects totals without touching indexed messages.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Store } from "../workers/store/store.ts";
import { runPostern } from "./_harness.ts";

const postern = (args: string[]) => runPostern(args);

Deno.test("postern verifydata reports each kind of damage and --fix repairs what it may", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-verify-" });
  try {
    const store = new Store(dir);
    await store.setAccounts([{ name: "alice", addresses: [] }]);
    for (let i = 0; i < 3; i++) {
      await store.add("alice", {
        mailbox: "Inbox",
        message: new TextEncoder().encode(`Subject: ${i}\r\n\r\nbody ${i}\r\n`),
      });
    }
    await store.close();
    const clean = await postern(["verifydata", dir]);
    assert.equal(clean.code, 0, clean.stdout);
    assert.equal(clean.stdout, "1 accounts, 3 messages, 0 problems\n");

    const acct = `${dir}/accounts/alice`;
    const db = new DatabaseSync(`${acct}/index.db`);
    const files = (db.prepare("SELECT file FROM messages ORDER BY uid").all() as { file: string }[])
      .map((r) => r.file);
    db.exec("UPDATE meta SET value = 99 WHERE key = 'total_messages'");
    db.close();
    await Deno.remove(`${acct}/${files[0]}`);
    await Deno.writeTextFile(`${acct}/${files[1]}`, "truncated");
    await Deno.writeTextFile(`${acct}/msg/00/stray`, "orphan").catch(async () => {
      await Deno.mkdir(`${acct}/msg/00`, { recursive: true });
      await Deno.writeTextFile(`${acct}/msg/00/stray`, "orphan");
    });

    const damaged = await postern(["verifydata", dir]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stdout, /problem: alice: Inbox UID 1: message file .* is missing/);
    assert.match(
      damaged.stdout,
      /problem: alice: Inbox UID 2: file .* has 9 octets, index says \d+/,
    );
    assert.match(damaged.stdout, /problem: alice: unreferenced file msg\/00\/stray/);
    assert.match(damaged.stdout, /problem: alice: total_messages is 99, the messages add up to 3/);

    const fixed = await postern(["verifydata", "-fix", dir]);
    assert.match(fixed.stdout, /fixed: alice: removed unreferenced file msg\/00\/stray/);
    assert.match(fixed.stdout, /fixed: alice: total_messages corrected from 99 to 3/);
    const after = await postern(["verifydata", dir]);
    assert.doesNotMatch(after.stdout, /unreferenced|total_messages/);
    assert.match(after.stdout, /2 problems\n$/, "damaged messages are reported, never deleted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
