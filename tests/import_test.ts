/**
 * `postern import mbox|maildir`: flags, keywords and dates kept, odd input reported
 * with its position while the rest is imported; through a running server and directly
 * into a stopped server's data directory.
 */

import assert from "node:assert/strict";
import { Store } from "../workers/store/store.ts";
import { controlRequest } from "../workers/supervisor/control.ts";
import { eventually, minimalServeYaml, runPostern, ServerProcess } from "./_harness.ts";

const mbox = `garbage before the first message
From alice@example.org Mon Nov 16 10:00:00 2026
From: alice@example.org
Subject: one
Status: RO
X-Keywords: $Forwarded, project

>From the body, escaped

From bob@example.org Tue Nov 17 11:30:00 2026
From: bob@example.org
Subject: two
X-Status: AF

second body
`;

const postern = (args: string[]) => runPostern(args);

async function setup(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "postern-import-" });
  await Deno.writeTextFile(`${dir}/postern.yaml`, minimalServeYaml);
  await Deno.writeTextFile(
    `${dir}/domains.yaml`,
    "domains:\n  example.org: {}\naccounts:\n  alice:\n    addresses: [alice@example.org]\n",
  );
  await Deno.writeTextFile(`${dir}/in.mbox`, mbox);
  // A maildir: flags in names, keywords through dovecot-keywords, one unreadable file.
  await Deno.mkdir(`${dir}/md/cur`, { recursive: true });
  await Deno.mkdir(`${dir}/md/new`, { recursive: true });
  await Deno.writeTextFile(`${dir}/md/dovecot-keywords`, "0 $Junk\n1 Later\n");
  await Deno.writeTextFile(`${dir}/md/cur/1700000000.1.host:2,FSa`, "Subject: md one\r\n\r\nx\r\n");
  await Deno.writeTextFile(`${dir}/md/new/1700000001.2.host`, "Subject: md two\r\n\r\ny\r\n");
  // Unreadable even for root: a link to nothing.
  await Deno.symlink(`${dir}/md/missing`, `${dir}/md/cur/1700000002.3.host:2,S`);
  return dir;
}

async function inbox(dataDir: string, mailbox: string) {
  const store = new Store(dataDir);
  await store.setAccounts([{ name: "alice", addresses: [] }]);
  try {
    const metas = await store.messages("alice", mailbox);
    const texts: string[] = [];
    for (const m of metas) {
      texts.push(new TextDecoder().decode(await store.read("alice", mailbox, m.uid)));
    }
    return metas.map((m, i) => ({ ...m, text: texts[i]! }));
  } finally {
    await store.close();
  }
}

Deno.test("postern import mbox keeps flags, keywords and dates and reports junk with its line", async () => {
  const dir = await setup();
  try {
    const r = await postern([
      "import",
      "mbox",
      "--config",
      `${dir}/postern.yaml`,
      "alice",
      "Inbox",
      `${dir}/in.mbox`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^imported 2 messages .* into alice\/Inbox .*data directory\), 1 problems\n$/,
    );
    assert.match(r.stderr, /in\.mbox: line 1 \(offset 0\): /);
    const got = await inbox(`${dir}/data`, "Inbox");
    assert.deepEqual(got.map((m) => m.flags), [["\\Seen", "$Forwarded", "project"], [
      "\\Answered",
      "\\Flagged",
    ]]);
    assert.equal(new Date(got[0]!.internalDate).toISOString(), "2026-11-16T10:00:00.000Z");
    assert.match(got[0]!.text, /\r\nFrom the body, escaped\r\n/, ">From unescaped, CRLF endings");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postern import maildir keeps flags and keywords, and goes through a running server", async () => {
  const dir = await setup();
  try {
    await using server = new ServerProcess(`${dir}/postern.yaml`);
    await eventually(
      "the server",
      async () => (await controlRequest(`${dir}/data/control.sock`, "status")).ok === true,
    );
    await postern(["config", "test", "--config", `${dir}/postern.yaml`]);
    const r = await postern([
      "import",
      "maildir",
      "--config",
      `${dir}/postern.yaml`,
      "alice",
      "Archive",
      `${dir}/md`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^imported 2 messages .*server\), 1 problems\n$/, r.stderr);
    assert.match(r.stderr, /1700000002\.3\.host:2,S: .*No such file/);
    const bad = await postern([
      "import",
      "mbox",
      "--config",
      `${dir}/postern.yaml`,
      "alice",
      "Nope",
      `${dir}/in.mbox`,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Cannot find mailbox Nope/);
    const stop = await postern(["stop", "--config", `${dir}/postern.yaml`]);
    assert.equal(stop.code, 0);
    await server.exited();
    const got = await inbox(`${dir}/data`, "Archive");
    assert.deepEqual(got.map((m) => m.flags), [["\\Seen", "\\Flagged", "$Junk"], []]);
    assert.deepEqual(got.map((m) => /Subject: (.*)\r/.exec(m.text)?.[1]), ["md one", "md two"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
