/**
 * `postern export mbox|maildir`: a mailbox exported and imported again comes back with
 * the same messages, flags and keywords; through a running server and offline.
 */

import assert from "node:assert/strict";
import { Store } from "../workers/store/store.ts";
import { controlRequest } from "../workers/supervisor/control.ts";
import { eventually, minimalServeYaml, runPostern, ServerProcess } from "./_harness.ts";

const postern = (...args: string[]) => runPostern(args);

async function snapshot(dataDir: string, mailbox: string) {
  const store = new Store(dataDir);
  await store.setAccounts([{ name: "alice", addresses: [] }]);
  try {
    const out = [];
    for (const m of await store.messages("alice", mailbox)) {
      const text = new TextDecoder().decode(await store.read("alice", mailbox, m.uid));
      out.push({
        flags: [...m.flags].sort(),
        date: m.internalDate,
        text: text.replace(/^(Status|X-Status|X-Keywords):.*\r\n/gm, ""),
      });
    }
    return out;
  } finally {
    await store.close();
  }
}

Deno.test("export then import gives back the same messages, flags and keywords", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-export-" });
  try {
    const config = `${dir}/postern.yaml`;
    await Deno.writeTextFile(config, minimalServeYaml);
    await Deno.writeTextFile(
      `${dir}/domains.yaml`,
      "domains:\n  example.org: {}\naccounts:\n  alice:\n    addresses: [alice@example.org]\n",
    );
    await Deno.writeTextFile(
      `${dir}/in.mbox`,
      "From a@b Mon Nov 16 10:00:00 2026\nSubject: one\nStatus: RO\nX-Keywords: $Forwarded project\n\n>From here\nbody\n\n" +
        "From a@b Tue Nov 17 11:00:00 2026\nSubject: two\nX-Status: F\n\nsecond\n",
    );
    assert.equal(
      (await postern("import", "mbox", "--config", config, "alice", "Inbox", `${dir}/in.mbox`))
        .code,
      0,
    );
    const original = await snapshot(`${dir}/data`, "Inbox");

    // Offline mbox round trip.
    const e1 = await postern(
      "export",
      "mbox",
      "--config",
      config,
      "alice",
      "Inbox",
      `${dir}/out.mbox`,
    );
    assert.equal(e1.code, 0, e1.stderr);
    assert.match(e1.stdout, /^exported 2 messages .*\(data directory\)\n$/);
    assert.equal(
      (await postern("import", "mbox", "--config", config, "alice", "Archive", `${dir}/out.mbox`))
        .code,
      0,
    );
    assert.deepEqual(await snapshot(`${dir}/data`, "Archive"), original);

    // Maildir round trip through a running server.
    await using server = new ServerProcess(config);
    await eventually(
      "the server",
      async () => (await controlRequest(`${dir}/data/control.sock`, "status")).ok === true,
    );
    const e2 = await postern(
      "export",
      "maildir",
      "--config",
      config,
      "alice",
      "Inbox",
      `${dir}/out.maildir`,
    );
    assert.equal(e2.code, 0, e2.stderr);
    assert.match(e2.stdout, /\(server\)\n$/);
    assert.equal(
      (await postern(
        "import",
        "maildir",
        "--config",
        config,
        "alice",
        "Drafts",
        `${dir}/out.maildir`,
      )).code,
      0,
    );
    const refused = await postern(
      "export",
      "mbox",
      "--config",
      config,
      "alice",
      "Inbox",
      `${dir}/out.mbox`,
    );
    assert.equal(refused.code, 1, "an existing target is never overwritten");
    assert.equal((await postern("stop", "--config", config)).code, 0);
    await server.exited();
    assert.deepEqual(await snapshot(`${dir}/data`, "Drafts"), original);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
