import assert from "node:assert/strict";
import { RpcClient, RpcError } from "../../core/rpc/mod.ts";
import { ScramTestClient } from "../../core/auth/_test_client.ts";
import type { StoreEvent } from "./api.ts";
import type { SessionPortKind, SessionStoreApi, SessionStoreEvents } from "./session_api.ts";
import { SessionPort } from "./session_port.ts";
import { Store } from "./store.ts";

const msg = () => new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n");
type Client = RpcClient<SessionStoreApi, SessionStoreEvents>;

/** A store with alice (password "alice-pw") and bob, and a way to open ports to it. */
async function withPorts(
  fn: (open: (kind: SessionPortKind) => Client, store: Store) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postern-session-" });
  const store = new Store(dir);
  const ports: SessionPort[] = [];
  const clients: Client[] = [];
  try {
    await store.setAccounts([
      { name: "alice", addresses: ["alice@example.org"] },
      { name: "bob", addresses: ["bob@example.org"] },
    ]);
    await store.setPassword("alice", "alice-pw");
    await store.setPassword("bob", "bob-pw");
    await fn((kind) => {
      const { port1, port2 } = new MessageChannel();
      ports.push(new SessionPort(ports.length + 1, kind, port1, store));
      const client: Client = new RpcClient(port2, { timeoutMs: 10_000 });
      clients.push(client);
      return client;
    }, store);
  } finally {
    for (const c of clients) c.close();
    for (const p of ports) p.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const code = (c: string) => (e: unknown) => e instanceof RpcError && e.code === c;
const login = (c: Client, cid: string, username = "alice@example.org", password = "alice-pw") =>
  c.call("login", { cid, remoteIp: "192.0.2.1", username, password });

Deno.test("session port: calls act on the token's account, and only with a token", () =>
  withPorts(async (open) => {
    const imap = open("imap");
    const { token, account } = await login(imap, "c1");
    assert.equal(account, "alice");
    const session = { token, cid: "c1" };
    const added = await imap.call("append", { session, mailbox: "Inbox", message: msg() });
    const metas = await imap.call("messages", { session, mailbox: "Inbox" });
    assert.deepEqual(metas.map((m) => m.uid), [added.uid]);
    const bytes = await imap.call("read", { session, mailbox: "Inbox", uid: added.uid });
    assert.equal(new TextDecoder().decode(bytes), "Subject: hi\r\n\r\nhello\r\n");
    // No token, a made-up token, a token of another connection: NoSession.
    for (
      const bad of [
        { token: "", cid: "c1" },
        { token: "x".repeat(32), cid: "c1" },
        { token, cid: "c2" },
      ]
    ) {
      await assert.rejects(imap.call("mailboxes", { session: bad }), code("NoSession"));
    }
    await assert.rejects(
      imap.call("mailboxes", { session: undefined as unknown as typeof session }),
      code("NoSession"),
    );
  }));

Deno.test("session port: a token works only on the port it was issued on", () =>
  withPorts(async (open) => {
    const a = open("imap");
    const b = open("imap");
    const { token } = await login(a, "c1");
    await a.call("mailboxes", { session: { token, cid: "c1" } });
    await assert.rejects(b.call("mailboxes", { session: { token, cid: "c1" } }), code("NoSession"));
  }));

Deno.test("session port: wrong passwords fail alike for known and unknown users, then rate limit", () =>
  withPorts(async (open) => {
    const c = open("imap");
    await assert.rejects(login(c, "c1", "alice", "wrong"), code("AuthFailed"));
    await assert.rejects(login(c, "c1", "nobody@example.org", "wrong"), code("AuthFailed"));
    for (let i = 0; i < 20; i++) await login(c, "c1", "bob", "wrong").catch(() => {});
    // The source is now blocked: even the right password is not checked.
    await assert.rejects(login(c, "c1"), code("TooManyFailures"));
  }));

Deno.test("session port: logout, connection end, password change and port close end tokens", () =>
  withPorts(async (open, store) => {
    const c = open("imap");
    const s1 = { token: (await login(c, "c1")).token, cid: "c1" };
    await c.call("logout", { session: s1 });
    await assert.rejects(c.call("mailboxes", { session: s1 }), code("NoSession"));

    const s2 = { token: (await login(c, "c2")).token, cid: "c2" };
    await c.call("endConnection", { cid: "c2" });
    await assert.rejects(c.call("mailboxes", { session: s2 }), code("NoSession"));

    const s3 = { token: (await login(c, "c3")).token, cid: "c3" };
    await store.setPassword("alice", "new-pw");
    await assert.rejects(c.call("mailboxes", { session: s3 }), code("NoSession"));
    assert.equal(store.sessions.size, 0);

    const s4 = { token: (await login(c, "c4", "alice", "new-pw")).token, cid: "c4" };
    assert.equal(store.sessions.size, 1);
    const d = open("imap");
    await login(d, "c5", "bob", "bob-pw");
    assert.equal(store.sessions.size, 2);
    assert.ok(s4.token);
  }));

Deno.test("session port: SCRAM-SHA-256 and -PLUS log in; a wrong binding fails", () =>
  withPorts(async (open) => {
    const c = open("imap");
    const binding = crypto.getRandomValues(new Uint8Array(32));
    const scram = async (mechanism: string, client: ScramTestClient, cb?: Uint8Array) => {
      const { exchange, serverFirst } = await c.call("scramStart", {
        cid: "c1",
        remoteIp: "192.0.2.1",
        mechanism,
        clientFirst: client.first(),
        ...(cb ? { channelBinding: cb } : {}),
      });
      const done = await c.call("scramFinish", {
        exchange,
        clientFinal: await client.final(serverFirst),
      });
      assert.ok(client.verify(done.serverFinal), "server proves it knows the password");
      return done;
    };
    const plain = new ScramTestClient({ hash: "SHA-256", username: "alice", password: "alice-pw" });
    assert.equal((await scram("SCRAM-SHA-256", plain)).account, "alice");
    const plus = new ScramTestClient({
      hash: "SHA-1",
      username: "alice@example.org",
      password: "alice-pw",
      flag: "p=tls-exporter",
      cbData: binding,
    });
    const done = await scram("SCRAM-SHA-1-PLUS", plus, binding);
    await c.call("mailboxes", { session: { token: done.token, cid: "c1" } });
    const forged = new ScramTestClient({
      hash: "SHA-256",
      username: "alice",
      password: "alice-pw",
      flag: "p=tls-exporter",
      cbData: new Uint8Array(32),
    });
    await assert.rejects(scram("SCRAM-SHA-256-PLUS", forged, binding), code("AuthFailed"));
    const wrong = new ScramTestClient({ hash: "SHA-256", username: "alice", password: "nope" });
    await assert.rejects(scram("SCRAM-SHA-256", wrong), code("AuthFailed"));
    const nobody = new ScramTestClient({ hash: "SHA-256", username: "zed", password: "x" });
    await assert.rejects(scram("SCRAM-SHA-256", nobody), code("AuthFailed"));
    await assert.rejects(
      c.call("scramStart", {
        cid: "c1",
        remoteIp: "192.0.2.1",
        mechanism: "SCRAM-SHA-256-PLUS",
        clientFirst: plain.first(),
      }),
      code("BadMechanism"),
    );
  }));

Deno.test("session port: a SCRAM exchange cannot be finished from another port", () =>
  withPorts(async (open) => {
    const a = open("imap");
    const b = open("imap");
    const client = new ScramTestClient({
      hash: "SHA-256",
      username: "alice",
      password: "alice-pw",
    });
    const { exchange, serverFirst } = await a.call("scramStart", {
      cid: "c1",
      remoteIp: "192.0.2.1",
      mechanism: "SCRAM-SHA-256",
      clientFirst: client.first(),
    });
    const clientFinal = await client.final(serverFirst);
    await assert.rejects(b.call("scramFinish", { exchange, clientFinal }), code("AuthFailed"));
    // …and the exchange is gone afterwards.
    await assert.rejects(a.call("scramFinish", { exchange, clientFinal }), code("AuthFailed"));
  }));

Deno.test("session port: the fake SCRAM salt of an unknown user survives a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-session-" });
  const salt = async () => {
    const store = new Store(dir);
    const { port1, port2 } = new MessageChannel();
    const port = new SessionPort(1, "imap", port1, store);
    const c: Client = new RpcClient(port2);
    try {
      const client = new ScramTestClient({ hash: "SHA-256", username: "ghost", password: "x" });
      const { serverFirst } = await c.call("scramStart", {
        cid: "c1",
        remoteIp: "192.0.2.1",
        mechanism: "SCRAM-SHA-256",
        clientFirst: client.first(),
      });
      return /,s=([^,]+),/.exec(serverFirst)![1];
    } finally {
      c.close();
      port.close();
      await store.close();
    }
  };
  try {
    assert.equal(await salt(), await salt());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("session port: delivery only from smtp ports, only to delivery mailboxes", () =>
  withPorts(async (open, store) => {
    const smtp = open("smtp");
    const imap = open("imap");
    const { results } = await smtp.call("deliver", {
      cid: "s1",
      accounts: ["alice", "bob", "alice", "nobody"],
      message: msg(),
      prefix: "Received: from test\r\n",
    });
    assert.deepEqual(results.map((r) => [r.account, "uid" in r ? r.uid : r.error]), [
      ["alice", 1],
      ["bob", 1],
      ["nobody", "NoSuchAccount"],
    ]);
    const bytes = await store.read("bob", "Inbox", 1);
    assert.match(new TextDecoder().decode(bytes), /^Received: from test\r\nSubject: hi/);
    await assert.rejects(
      imap.call("deliver", { cid: "i1", accounts: ["alice"], message: msg() }),
      code("NotAllowed"),
    );
    await assert.rejects(
      smtp.call("deliver", {
        cid: "s1",
        accounts: ["alice"],
        mailbox: "Sent" as "Inbox",
        message: msg(),
      }),
      code("NotAllowed"),
    );
  }));

Deno.test("session port: events reach only ports with a session of that account", () =>
  withPorts(async (open, store) => {
    const a = open("imap");
    const b = open("imap");
    const seenA: StoreEvent[] = [];
    const seenB: StoreEvent[] = [];
    a.on("change", (e) => seenA.push(e));
    b.on("change", (e) => seenB.push(e));
    await login(a, "c1");
    await login(b, "c2", "bob", "bob-pw");
    await store.add("alice", { mailbox: "Inbox", message: msg() });
    await store.add("bob", { mailbox: "Inbox", message: msg() });
    // One round trip on each port flushes the events posted before its answer.
    await a.call("endConnection", { cid: "none" });
    await b.call("endConnection", { cid: "none" });
    assert.deepEqual(seenA.map((e) => e.account), ["alice"]);
    assert.deepEqual(seenB.map((e) => e.account), ["bob"]);
  }));
