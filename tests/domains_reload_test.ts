/**
 * domains.yaml is dynamic: `watchDomains` applies each valid edit, reports a bad edit
 * with its lines and keeps the last good configuration in force. Tested on the function
 * itself, and end to end on a `postern serve` subprocess through its control socket.
 */

import assert from "node:assert/strict";
import type { ConfigProblem, DomainsConfig } from "../core/config/mod.ts";
import { configureLogging } from "../core/log/mod.ts";
import { loadDomains, watchDomains } from "../workers/supervisor/config_files.ts";
import { controlRequest } from "../workers/supervisor/control.ts";
import { eventually, minimalServeYaml, repoRoot, ServerProcess, within } from "./_harness.ts";

/** Values pushed by a callback, awaited one at a time. */
class Inbox<T> {
  readonly #items: T[] = [];
  #waiter: (() => void) | undefined;
  count = 0;

  readonly push = (item: T): void => {
    this.count++;
    this.#items.push(item);
    this.#waiter?.();
  };

  /** The next value, waiting for it at most `timeoutMs`. */
  async next(what: string): Promise<T> {
    while (this.#items.length === 0) {
      await within(new Promise<void>((resolve) => this.#waiter = resolve), what);
      this.#waiter = undefined;
    }
    return this.#items.shift()!;
  }
}

const oneDomain = `domains:
  example.org: {}
accounts:
  alice:
    addresses:
      - alice@example.org
`;

const twoDomains = `domains:
  example.org: {}
  example.net: {}
accounts:
  alice:
    addresses:
      - alice@example.org
      - alice@example.net
`;

// Line 7 names a domain that is not configured.
const unknownDomain = `domains:
  example.org: {}
accounts:
  alice:
    addresses:
      - alice@example.org
      - alice@example.com
`;

const threeDomains = twoDomains.replace(
  "  example.net: {}\n",
  "  example.net: {}\n  Example.COM: {}\n",
);

Deno.test("watchDomains() applies valid edits and keeps the last good config after a bad one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-reload-" });
  const file = `${dir}/domains.yaml`;
  const logged: string[] = [];
  configureLogging({ level: "error", packages: {} }, (line) => logged.push(line));
  const applied = new Inbox<DomainsConfig>();
  const rejected = new Inbox<ConfigProblem[]>();
  let stop: (() => void) | undefined;
  try {
    await Deno.writeTextFile(file, oneDomain);
    const initial = await loadDomains(file);
    assert.deepEqual(Object.keys(initial.domains?.domains ?? {}), ["example.org"]);
    stop = watchDomains(file, applied.push, rejected.push);

    await Deno.writeTextFile(file, twoDomains);
    const second = await applied.next("apply of the valid edit");
    assert.deepEqual(Object.keys(second.domains), ["example.org", "example.net"]);
    assert.deepEqual(second.accounts["alice"]?.addresses, [
      "alice@example.org",
      "alice@example.net",
    ]);

    await Deno.writeTextFile(file, unknownDomain);
    const problems = await rejected.next("problems of the bad edit");
    assert.deepEqual(problems.map(({ file, line, field }) => ({ file, line, field })), [
      { file, line: 7, field: 'accounts."alice".addresses[1]' },
    ]);
    assert.match(problems[0]?.message ?? "", /example\.com is not configured/);
    assert.equal(applied.count, 1, "a bad edit must not be applied");
    assert.ok(
      logged.some((l) => l.includes("domains config rejected") && l.includes("line=7")),
      `logged: ${logged.join("\n")}`,
    );

    await Deno.writeTextFile(file, "domains: [\n  {oops\n");
    const garbage = await rejected.next("problems of YAML garbage");
    assert.ok(garbage.length > 0);
    assert.ok(garbage.every((p) => p.file === file && p.field === "" && p.line >= 1));
    assert.equal(applied.count, 1, "YAML garbage must not be applied");

    // Editors save by writing a temporary file and renaming it over the old one.
    await Deno.writeTextFile(`${dir}/.domains.yaml.swp`, threeDomains);
    await Deno.rename(`${dir}/.domains.yaml.swp`, file);
    const third = await applied.next("apply of the edit saved by rename");
    assert.deepEqual(Object.keys(third.domains), ["example.org", "example.net", "example.com"]);
    assert.equal(rejected.count, 2);
  } finally {
    stop?.();
    configureLogging({ level: "error", packages: {} });
    await Deno.remove(dir, { recursive: true });
  }
});

/** A temporary config directory for `postern serve`, with its data directory inside. */
class ServeDir implements AsyncDisposable {
  constructor(readonly dir: string) {}

  get configFile(): string {
    return `${this.dir}/postern.yaml`;
  }

  get domainsFile(): string {
    return `${this.dir}/domains.yaml`;
  }

  /** Number of domains the running server has in force, through its control socket. */
  async domains(): Promise<unknown> {
    return (await controlRequest(`${this.dir}/data/control.sock`, "status"))["domains"];
  }

  static async create(domains: string): Promise<ServeDir> {
    const d = new ServeDir(await Deno.makeTempDir({ prefix: "postern-serve-reload-" }));
    await Deno.writeTextFile(d.configFile, minimalServeYaml);
    await Deno.writeTextFile(d.domainsFile, domains);
    return d;
  }

  /** Runs `postern stop` and asserts it succeeded. */
  async stop(): Promise<void> {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "stop", "--config", this.configFile],
      cwd: repoRoot,
      stdin: "null",
    }).output();
    const stdout = new TextDecoder().decode(r.stdout);
    assert.equal(r.code, 0, stdout + new TextDecoder().decode(r.stderr));
    assert.equal(stdout, "stopped\n");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}

Deno.test("postern serve reloads domains.yaml on change and keeps the last good one after a bad edit", async () => {
  await using d = await ServeDir.create(oneDomain);
  await using server = new ServerProcess(d.configFile);
  await eventually("the control socket", async () => await d.domains() === 1);

  await Deno.writeTextFile(d.domainsFile, twoDomains);
  await eventually("the new domain", async () => await d.domains() === 2);

  await Deno.writeTextFile(d.domainsFile, unknownDomain);
  await eventually(
    "the bad edit to be rejected",
    () => Promise.resolve(server.stderr.includes("domains config rejected")),
  );
  assert.match(server.stderr, /line=7/);
  assert.equal(await d.domains(), 2, "the last good config stays in force");

  // A valid edit after the bad one is applied again.
  await Deno.writeTextFile(d.domainsFile, threeDomains);
  await eventually("the third domain", async () => await d.domains() === 3);

  await d.stop();
  assert.equal((await server.exited()).code, 0, server.stderr);
});

Deno.test({
  name: "postern stop stops a server whose domains.yaml has a bad edit",
  // `stop` reads only postern.yaml: a bad domains.yaml must not keep a server running.
  async fn() {
    await using d = await ServeDir.create(oneDomain);
    await using server = new ServerProcess(d.configFile);
    await eventually("the control socket", async () => await d.domains() === 1);
    await Deno.writeTextFile(d.domainsFile, unknownDomain);
    await eventually(
      "the bad edit to be rejected",
      () => Promise.resolve(server.stderr.includes("domains config rejected")),
    );
    await d.stop();
    assert.equal((await server.exited()).code, 0, server.stderr);
  },
});
