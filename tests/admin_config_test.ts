/**
 * Admin commands on a live server: `config domain|account|address|alias` rewrite
 * domains.yaml (comments kept, validated first) and the server picks the change up;
 * `backup` takes a consistent copy while it runs, and verifydata passes on the copy.
 */

import assert from "node:assert/strict";
import { controlRequest } from "../workers/supervisor/control.ts";
import { eventually, minimalServeYaml, runPostern, ServerProcess } from "./_harness.ts";

const postern = (...args: string[]) => runPostern(args);

Deno.test("config edit commands and backup work against a running server", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-adminconfig-" });
  try {
    const config = `${dir}/postern.yaml`;
    await Deno.writeTextFile(config, minimalServeYaml);
    await Deno.writeTextFile(
      `${dir}/domains.yaml`,
      "# Our domains.\ndomains:\n  example.org: {} # main\n",
    );
    await using server = new ServerProcess(config);
    const status = () => controlRequest(`${dir}/data/control.sock`, "status");
    await eventually("the server", async () => (await status()).ok === true);

    for (
      const args of [
        ["config", "domain", "add", "Example.NET"],
        ["config", "account", "add", "alice", "alice@example.org"],
        ["config", "address", "add", "al@example.net", "alice"],
        ["config", "alias", "add", "team@example.org", "alice@example.org"],
        ["config", "alias", "addaddr", "team@example.org", "friend@elsewhere.test"],
      ]
    ) {
      const r = await postern(...args, "--config", config);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    const refused = await postern("config", "domain", "rm", "example.net", "--config", config);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /postern: Cannot remove domain/);
    const bad = await postern(
      "config",
      "account",
      "add",
      "bob",
      "bob@unknown.test",
      "--config",
      config,
    );
    assert.equal(bad.code, 1);

    const text = await Deno.readTextFile(`${dir}/domains.yaml`);
    assert.match(text, /^# Our domains\.\n/, "comments kept");
    assert.match(text, /example\.org: .*# main/);
    assert.match(text, /example\.net:/, "stored lower-case");
    await eventually("the server to load the edit", async () => (await status()).domains === 2);
    const list = await postern("config", "account", "list", "--config", config);
    assert.equal(list.stdout, "alice\talice@example.org al@example.net\n");

    // Some mail, then a backup while the server runs.
    await Deno.writeTextFile(
      `${dir}/m.mbox`,
      "From a@b Mon Nov 16 10:00:00 2026\nSubject: x\n\nbody\n",
    );
    assert.equal(
      (await postern("import", "mbox", "--config", config, "alice", "Inbox", `${dir}/m.mbox`)).code,
      0,
    );
    const b = await postern("backup", `${dir}/backup`, "--config", config);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, "backed up 1 accounts, 1 messages (server)\n");
    const again = await postern("backup", `${dir}/backup`, "--config", config);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /it exists/);
    const v = await postern("verifydata", `${dir}/backup/data`);
    assert.equal(v.code, 0, v.stdout);
    assert.equal(
      await Deno.readTextFile(`${dir}/backup/config/domains.yaml`),
      await Deno.readTextFile(`${dir}/domains.yaml`),
    );

    assert.equal((await postern("stop", "--config", config)).code, 0);
    await server.exited();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
