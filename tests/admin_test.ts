/**
 * Admin commands on accounts: `postern setaccountpassword` against a running server
 * (control socket) and a stopped one (data directory), checked by logging in through
 * the store; and localserve's first-run password.
 */

import assert from "node:assert/strict";
import { Store } from "../workers/store/store.ts";
import { controlRequest } from "../workers/supervisor/control.ts";
import { eventually, minimalServeYaml, runPostern, ServerProcess } from "./_harness.ts";

const domains = `domains:
  example.org: {}
accounts:
  alice:
    addresses: [alice@example.org]
`;

const postern = (args: string[], stdin: string) => runPostern(args, { stdin });

async function canLogIn(dataDir: string, user: string, password: string): Promise<boolean> {
  const store = new Store(dataDir);
  await store.setAccounts([{ name: "alice", addresses: ["alice@example.org"] }]);
  try {
    await store.login(user, password, "192.0.2.1", "test");
    return true;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

Deno.test("postern setaccountpassword works on a running server and on a stopped one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-admin-" });
  try {
    await Deno.writeTextFile(
      `${dir}/postern.yaml`,
      minimalServeYaml.replace("level: error", "level: debug"),
    );
    await Deno.writeTextFile(`${dir}/domains.yaml`, domains);
    const config = `${dir}/postern.yaml`;

    // Stopped: the command opens the data directory itself.
    const offline = await postern(["setaccountpassword", "--config", config, "alice"], "first\n");
    assert.equal(offline.code, 0, offline.stderr);
    assert.equal(offline.stdout, "password set for alice (data directory)\n");
    assert.ok(await canLogIn(`${dir}/data`, "alice@example.org", "first"));

    // Running: it goes through the control socket.
    await using server = new ServerProcess(config);
    await eventually(
      "the server",
      async () => (await controlRequest(`${dir}/data/control.sock`, "status")).ok === true,
    );
    const live = await postern(["setaccountpassword", "--config", config, "alice"], "second\n");
    assert.equal(live.code, 0, live.stderr);
    assert.equal(live.stdout, "password set for alice (server)\n");
    const unknown = await postern(["setaccountpassword", "--config", config, "bob"], "x\n");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Cannot find account bob/);
    const empty = await postern(["setaccountpassword", "--config", config, "alice"], "");
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /standard input is empty/);
    assert.match(server.stderr, /msg="account password set" account=alice/);
    assert.doesNotMatch(server.stderr, /second/, "the password is never logged");

    const stop = await postern(["stop", "--config", config], "");
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await server.exited()).code, 0);
    assert.ok(await canLogIn(`${dir}/data`, "alice", "second"));
    assert.ok(!await canLogIn(`${dir}/data`, "alice", "first"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
