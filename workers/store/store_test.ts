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
    await s.setAccounts(["alice", "../etc", "Bob"].map((name) => ({ name, addresses: [] })));
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
    await s.setAccounts([{ name: "alice", addresses: ["Alice@Example.org"] }]);
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
    await s.setAccounts([{ name: "alice", addresses: ["Alice@Example.org"] }]);
    await s.add("alice", { mailbox: "Inbox", message: msg });
    await s.setAccounts([]);
    await assert.rejects(s.mailboxes("alice"), (e) =>
      e instanceof StoreError && e.code === "NoSuchAccount");
    await s.setAccounts([{ name: "alice", addresses: ["Alice@Example.org"] }]);
    assert.equal(
      (await s.mailboxes("alice")).find((b) =>
        b.name === "Inbox"
      )?.messages,
      1,
      "data kept",
    );
  }));

Deno.test("Store.login() accepts the account name or an address, and refuses wrong passwords", () =>
  withStore(async (s) => {
    await s.setAccounts([{ name: "alice", addresses: ["Alice@Example.org"] }]);
    await assert.rejects(
      s.login("alice", "secret", "192.0.2.1", "c1"),
      (e) => e instanceof StoreError && e.code === "AuthFailed",
      "no password set yet",
    );
    await s.setPassword("alice", "secret");
    const byName = await s.login("alice", "secret", "192.0.2.1", "c1");
    assert.equal(byName.account, "alice");
    const byAddress = await s.login("alice@example.org", "secret", "192.0.2.1", "c2");
    assert.equal(byAddress.account, "alice");
    assert.equal(s.sessions.get(byAddress.token, "c2")?.account, "alice");
    assert.equal(s.sessions.get(byAddress.token, "c1"), undefined, "bound to its connection");
    for (const [user, pass] of [["alice", "wrong"], ["mallory", "secret"], ["", ""]]) {
      await assert.rejects(
        s.login(user!, pass!, "192.0.2.2", "c3"),
        (e) => e instanceof StoreError && e.code === "AuthFailed",
      );
    }
    // The password is not stored in clear.
    const a = await s.account("alice");
    assert.doesNotMatch(
      JSON.stringify(a.credentials(), (_k, v) => v instanceof Uint8Array ? [...v] : v),
      /secret/,
    );
    await s.setPassword("alice", "new");
    assert.equal(s.sessions.get(byName.token, "c1"), undefined, "a new password ends sessions");
    assert.equal(await s.ensurePassword("alice", "other"), false);
  }));

Deno.test("Store.login() rate limits failures per source", () =>
  withStore(async (s) => {
    await s.setAccounts([{ name: "alice", addresses: [] }]);
    await s.setPassword("alice", "secret");
    for (let i = 0; i < 10; i++) {
      await assert.rejects(s.login("alice", "guess" + i, "2001:db8::1", "c"), (e) =>
        e instanceof StoreError && e.code === "AuthFailed");
    }
    // Same /64, even with the right password: refused until the window passes.
    await assert.rejects(
      s.login("alice", "secret", "2001:db8::2", "c"),
      (e) =>
        e instanceof StoreError && e.code === "TooManyFailures",
    );
    // Another source is not affected.
    assert.equal((await s.login("alice", "secret", "192.0.2.9", "c")).account, "alice");
  }));

Deno.test("Store applies quotas from the configuration, also to open accounts", () =>
  withStore(async (s) => {
    await s.setAccounts([{ name: "alice", addresses: [], quotaMessages: 1 }]);
    await s.add("alice", { mailbox: "Inbox", message: msg });
    await assert.rejects(
      s.add("alice", { mailbox: "Inbox", message: msg }),
      (e) => e instanceof StoreError && e.code === "OverQuota",
    );
    await s.setAccounts([{ name: "alice", addresses: [], quotaMessages: 0 }]);
    await s.add("alice", { mailbox: "Inbox", message: msg });
  }));

Deno.test("Store copy and move emit added and expunged events", () =>
  withStore(async (s) => {
    await s.setAccounts([{ name: "alice", addresses: [] }]);
    await s.add("alice", { mailbox: "Inbox", message: msg });
    const events: StoreEvent[] = [];
    s.subscribe((e) => events.push(e));
    await s.copy("alice", "Inbox", [1], "Archive");
    await s.move("alice", "Inbox", [1], "Trash");
    assert.deepEqual(
      events.map((e) => `${e.kind}:${"mailbox" in e ? e.mailbox : ""}`),
      ["added:Archive", "expunged:Inbox", "added:Trash"],
    );
  }));

Deno.test("Store indexes new messages' text in the background once adds go quiet", () =>
  withStore(async (s) => {
    await s.setAccounts([{ name: "alice", addresses: [] }]);
    for (let i = 0; i < 5; i++) await s.add("alice", { mailbox: "Inbox", message: msg });
    await new Promise((r) => setTimeout(r, 2_500));
    // Nothing left for a search to catch up on: the background indexer did it.
    assert.equal(await (await s.account("alice")).indexPendingText(), 0);
  }));

Deno.test("Store commits concurrent adds together, each with its own UID and event", () =>
  withStore(async (s) => {
    await s.setAccounts([{ name: "alice", addresses: [] }]);
    const events: StoreEvent[] = [];
    s.subscribe((e) => events.push(e));
    const added = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        s.add("alice", {
          mailbox: "Inbox",
          message: new TextEncoder().encode(`Subject: ${i}\r\n\r\n${i}\r\n`),
        })),
    );
    assert.deepEqual(added.map((a) => a.uid).sort((a, b) => a - b), range(1, 50));
    assert.equal(events.filter((e) => e.kind === "added").length, 50);
    // Every message is stored with its own bytes.
    for (const [i, a] of added.entries()) {
      const bytes = await s.read("alice", "Inbox", a.uid);
      assert.equal(new TextDecoder().decode(bytes), `Subject: ${i}\r\n\r\n${i}\r\n`);
    }
  }));

Deno.test("Store fails only the adds that break the quota when they arrive together", () =>
  withStore(async (s) => {
    await s.setAccounts([{ name: "alice", addresses: [], quotaMessages: 10 }]);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => s.add("alice", { mailbox: "Inbox", message: msg })),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const over = results.filter((r) =>
      r.status === "rejected" && r.reason instanceof StoreError && r.reason.code === "OverQuota"
    ).length;
    assert.deepEqual([ok, over], [10, 10]);
    await assert.rejects(
      s.add("alice", { mailbox: "Nowhere", message: msg }),
      (e) =>
        e instanceof StoreError && e.code === "NoSuchMailbox",
    );
  }));

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
