/**
 * The store worker over RPC, spawned with its real (narrow) permissions: accounts,
 * durable adds with transferred bytes, reads, flags, events, and StoreError codes
 * crossing the boundary.
 */

import assert from "node:assert/strict";
import { RpcClient, RpcError } from "../core/rpc/mod.ts";
import type { ServiceApi } from "../workers/_service_api.ts";
import type { StoreApi, StoreEvent, StoreEvents } from "../workers/store/api.ts";
import { spawnWorker } from "../workers/spawn.ts";

Deno.test("store worker serves accounts over RPC under its own permissions", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "postern-storeworker-" });
  const worker = spawnWorker("store", { dataDir });
  const client = new RpcClient<ServiceApi & StoreApi, StoreEvents>(worker, { timeoutMs: 10_000 });
  try {
    await client.call("init", {
      dataDir,
      hostname: "localhost",
      log: { level: "error", packages: {} },
    });
    await client.call("setAccounts", {
      accounts: [{ name: "alice", addresses: ["alice@example.org"] }],
    });
    const events: StoreEvent[] = [];
    client.on("change", (e) => events.push(e));

    const message = new TextEncoder().encode("Subject: rpc\r\n\r\nover the boundary\r\n");
    const added = await client.call(
      "add",
      { account: "alice", mailbox: "Inbox", message, flags: ["\\Seen"] },
      { transfer: [message.buffer] },
    );
    assert.equal(message.byteLength, 0, "the message bytes were transferred, not copied");
    assert.equal(added.uid, 1);

    const [meta] = await client.call("messages", { account: "alice", mailbox: "Inbox" });
    assert.deepEqual(meta?.flags, ["\\Seen"]);
    const bytes = await client.call("read", { account: "alice", mailbox: "Inbox", uid: 1 });
    assert.equal(new TextDecoder().decode(bytes), "Subject: rpc\r\n\r\nover the boundary\r\n");

    await client.call("setFlags", {
      account: "alice",
      mailbox: "Inbox",
      uids: [1],
      change: { op: "add", flags: ["$Important"] },
    });
    assert.deepEqual(events.map((e) => e.kind), ["added", "flags"]);

    const found = await client.call("search", {
      account: "alice",
      mailbox: "Inbox",
      criteria: { body: "boundary" },
    });
    assert.deepEqual(found.uids, [1]);
    await assert.rejects(
      client.call("search", {
        account: "alice",
        mailbox: "Inbox",
        criteria: { depth: 1 } as never,
      }),
      (e) => e instanceof RpcError && e.code === "BadSearch",
    );
    await assert.rejects(
      client.call("mailboxes", { account: "mallory" }),
      (e) => e instanceof RpcError && e.code === "NoSuchAccount",
    );
    await assert.rejects(
      client.call("createMailbox", { account: "alice", name: "Inbox" }),
      (e) => e instanceof RpcError && e.code === "MailboxExists",
    );
    const st = await Deno.stat(`${dataDir}/accounts/alice/index.db`);
    assert.ok(st.isFile);
  } finally {
    client.close();
    worker.terminate();
    await Deno.remove(dataDir, { recursive: true });
  }
});
