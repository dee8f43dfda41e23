import assert from "node:assert/strict";
import { StoreError, type StoreEvent } from "./api.ts";
import { Store } from "./store.ts";

const msg = new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n");

async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postern-store-" });
  const store = new Store(dir);
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Store refuses accounts that are not configured, and path tricks", () =>
  withStore(async (s) => {
    await s.setAccounts(["alice", "../etc", "Bob"]);
    await s.mailboxes("alice");
    for (const name of ["bob", "../etc", "Bob", "mallory"]) {
      await assert.rejects(
        s.mailboxes(name),
        (e) => e instanceof StoreError && e.code === "NoSuchAccount",
        name,
      );
    }
  }));

Deno.test("Store emits events for adds, flag changes, expunges and new mailboxes", () =>
  withStore(async (s) => {
    await s.setAccounts(["alice"]);
    const events: StoreEvent[] = [];
    const unsubscribe = s.subscribe((e) => events.push(e));
    const added = await s.add("alice", { mailbox: "INBOX", message: msg });
    await s.setFlags("alice", "Inbox", [added.uid], { op: "add", flags: ["\\Deleted"] });
    await s.expunge("alice", "Inbox");
    await s.createMailbox("alice", "Projects");
    unsubscribe();
    await s.add("alice", { mailbox: "Inbox", message: msg });
    assert.deepEqual(events.map((e) => e.kind), ["added", "flags", "expunged", "mailboxes"]);
    assert.deepEqual(events[0], {
      kind: "added",
      account: "alice",
      mailbox: "Inbox",
      uid: 1,
      modseq: added.modseq,
    });
  }));

Deno.test("Store.setAccounts() closes accounts no longer configured", () =>
  withStore(async (s) => {
    await s.setAccounts(["alice"]);
    await s.add("alice", { mailbox: "Inbox", message: msg });
    await s.setAccounts([]);
    await assert.rejects(s.mailboxes("alice"), (e) =>
      e instanceof StoreError && e.code === "NoSuchAccount");
    await s.setAccounts(["alice"]);
    assert.equal(
      (await s.mailboxes("alice")).find((b) =>
        b.name === "Inbox"
      )?.messages,
      1,
      "data kept",
    );
  }));
