/**
 * The command line, run as a subprocess the way users run it: help and version, usage
 * errors (exit 2), `config describe` against config/, `config test` problems as
 * `file:line: field: message` (exit 1), and `serve` refusing a bad configuration.
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { minimalServeYaml, repoRoot, runPostern } from "./_harness.ts";

const timeoutMs = 10_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `main.ts` with `args` from the repository root. */
const postern = (...args: string[]) => runPostern(args, { timeoutMs });

/** A temporary config directory holding postern.yaml and domains.yaml. */
class ConfigDir implements AsyncDisposable {
  constructor(readonly dir: string) {}

  get postern(): string {
    return `${this.dir}/postern.yaml`;
  }

  get domains(): string {
    return `${this.dir}/domains.yaml`;
  }

  static async create(postern: string, domains: string): Promise<ConfigDir> {
    const c = new ConfigDir(await Deno.makeTempDir({ prefix: "postern-cli-" }));
    await Deno.writeTextFile(c.postern, postern);
    await Deno.writeTextFile(c.domains, domains);
    return c;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}

const validPostern = minimalServeYaml;

const validDomains = `domains:
  example.org: {}
accounts:
  alice:
    addresses:
      - alice@example.org
`;

/** One expected problem line: exact file, line and field, message matched loosely. */
interface Expected {
  file: string;
  line: number;
  field: string;
  message: RegExp;
}

/** Asserts that `output` is exactly the `expected` problems, one per line, in order. */
function assertProblems(output: string, expected: Expected[]): void {
  const lines = output.trimEnd().split("\n");
  assert.equal(lines.length, expected.length, `problems:\n${output}`);
  for (const [i, e] of expected.entries()) {
    const line = lines[i] ?? "";
    const prefix = e.field === "" ? `${e.file}:${e.line}: ` : `${e.file}:${e.line}: ${e.field}: `;
    assert.ok(line.startsWith(prefix), `line ${i + 1}: ${JSON.stringify(line)} lacks ${prefix}`);
    assert.match(line.slice(prefix.length), e.message, `line ${i + 1}`);
  }
}

Deno.test("postern help lists every command and exits 0", async () => {
  const r = await postern("help");
  assert.equal(r.code, 0, r.stderr);
  for (const name of ["help", "version", "serve", "localserve", "stop", "config test"]) {
    assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, "m"), name);
  }
  assert.match(r.stdout, /^ {2}config describe +Print an annotated example config file$/m);
  assert.match(r.stdout, /^usage: postern COMMAND/m);
  assert.equal(r.stderr, "");
});

Deno.test("postern help serve prints its usage, description and --config flag", async () => {
  const r = await postern("help", "serve");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^usage: postern serve \[flags\]\n/);
  assert.match(r.stdout, /Refuses to start when the configuration has problems/);
  assert.match(r.stdout, /^flags:\n {2}--config FILE +.*\(default config\/postern\.yaml\)$/m);
});

Deno.test("postern help config test finds the two-word command", async () => {
  const r = await postern("help", "config", "test");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^usage: postern config test \[flags\]\n/);
});

Deno.test("postern COMMAND --help prints that command's help and exits 0", async () => {
  const serve = await postern("serve", "--help");
  assert.equal(serve.code, 0, serve.stderr);
  assert.equal(serve.stdout, (await postern("help", "serve")).stdout);
  const describe = await postern("config", "describe", "-h");
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /^usage: postern config describe postern\|domains\n/);
});

Deno.test("postern version prints the package and Deno versions", async () => {
  const r = await postern("version");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `postern ${denoJson.version} (deno ${Deno.version.deno})\n`);
  assert.match(r.stdout, /^postern \d+\.\d+\.\d+ \(deno \d+\.\d+\.\d+\)\n$/);
});

Deno.test("postern exits 2 and names an unknown command", async () => {
  const r = await postern("frobnicate");
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^postern: Unknown command: frobnicate$/m);
  assert.match(r.stderr, /postern help/);
});

Deno.test("postern config test exits 2 and names an unknown flag", async () => {
  const r = await postern("config", "test", "--bogus");
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr.split("\n")[0] ?? "", /^postern: .*'--bogus'/);
  assert.match(r.stderr, /^usage: postern config test \[flags\]$/m);
});

Deno.test("postern config describe exits 2 without an argument or with an unknown one", async () => {
  const missing = await postern("config", "describe");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^postern: Missing arguments$/m);
  assert.match(missing.stderr, /^usage: postern config describe postern\|domains$/m);
  const unknown = await postern("config", "describe", "nope");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^postern: Unknown config file: nope$/m);
  assert.equal(missing.stdout + unknown.stdout, "");
});

Deno.test("postern config describe prints config/postern.yaml and config/domains.yaml byte for byte", async () => {
  for (const which of ["postern", "domains"]) {
    const r = await postern("config", "describe", which);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, await Deno.readTextFile(`${repoRoot}/config/${which}.yaml`), which);
  }
});

Deno.test("postern config test exits 0 for a valid pair of files", async () => {
  await using c = await ConfigDir.create(validPostern, validDomains);
  const r = await postern("config", "test", "--config", c.postern);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, `${c.postern}: ok\n${c.domains}: ok\n`);
});

Deno.test("postern config test prints every problem as file:line: field: message and exits 1", async () => {
  await using c = await ConfigDir.create(
    `hostname: mail.example.org
dataDir: data
colour: blue
listeners:
  - name: smtp
    protocol: smtp
    addresses:
      - 127.0.0.1:0
    tls: sometimes
    idleTimeout: 5 fortnights
limits:
  sessionTimeout: soon
`,
    `domains:
  example.org: {}
accounts:
  alice:
    addresses:
      - alice@example.org
      - alice@example.net
`,
  );
  const r = await postern("config", "test", "--config", c.postern);
  assert.equal(r.code, 1, r.stderr);
  assertProblems(r.stdout, [
    { file: c.postern, line: 3, field: "colour", message: /unknown field/i },
    { file: c.postern, line: 9, field: "listeners[0].tls", message: /one of none, starttls/ },
    {
      file: c.postern,
      line: 10,
      field: "listeners[0].idleTimeout",
      message: /duration "5 fortnights"/,
    },
    { file: c.postern, line: 12, field: "limits.sessionTimeout", message: /duration "soon"/ },
    {
      file: c.domains,
      line: 7,
      field: 'accounts."alice".addresses[1]',
      message: /example\.net is not configured/,
    },
  ]);
});

Deno.test("postern config test reports a YAML syntax error with its line, and exits 1", async () => {
  await using c = await ConfigDir.create(
    "hostname: mail.example.org\nlog:\n  level: info: debug\nlisteners: []\n",
    "domains:\n  example.org: {}\naccounts:\n\t- alice\n",
  );
  const r = await postern("config", "test", "--config", c.postern);
  assert.equal(r.code, 1, r.stderr);
  assertProblems(r.stdout, [
    { file: c.postern, line: 3, field: "", message: /nested mappings/i },
    { file: c.domains, line: 4, field: "", message: /tabs/i },
  ]);
});

Deno.test("postern config test reports a certificate file that does not exist, and exits 1", async () => {
  await using c = await ConfigDir.create(
    `hostname: mail.example.org
tls:
  certificates:
    - cert: tls/missing.pem
      key: tls/missing.key.pem
listeners:
  - name: smtp
    protocol: smtp
    addresses:
      - 127.0.0.1:0
    tls: starttls
`,
    validDomains,
  );
  const r = await postern("config", "test", "--config", c.postern);
  assert.equal(r.code, 1, r.stderr);
  assertProblems(r.stdout, [
    {
      file: c.postern,
      line: 4,
      field: "tls.certificates[0]",
      message: new RegExp(`${c.dir}/tls/missing\\.pem.*No such file`),
    },
  ]);
});

Deno.test("postern serve refuses to start with a bad config, printing its problems", async () => {
  await using c = await ConfigDir.create(
    validPostern.replace("tls: none", "tls: sometimes"),
    validDomains,
  );
  const started = Date.now();
  const r = await postern("serve", "--config", c.postern);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(Date.now() - started < 5_000, "took too long to refuse");
  assertProblems(r.stderr.split("\n").slice(0, 1).join("\n"), [
    { file: c.postern, line: 10, field: "listeners[0].tls", message: /one of none/ },
  ]);
  assert.match(r.stderr, /^postern: refusing to start: 1 problem\(s\) in the configuration$/m);
  await assert.rejects(Deno.stat(`${c.dir}/data`), Deno.errors.NotFound, "created data dir");
});

Deno.test("postern config test exits 1 with a clear message when the config file is missing", async () => {
  const r = await postern("config", "test", "--config", "/nonexistent/postern.yaml");
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout.split("\n")[0] ?? "",
    /^\/nonexistent\/postern\.yaml: Cannot read file: No such file or directory/,
  );
});

Deno.test("postern config test reports an http listener, which this version cannot serve", async () => {
  const dir = await Deno.makeTempDir({ prefix: "postern-cli-" });
  try {
    await Deno.writeTextFile(
      `${dir}/postern.yaml`,
      'listeners:\n  - name: web\n    protocol: http\n    addresses: ["127.0.0.1:0"]\n    tls: none\n',
    );
    await Deno.writeTextFile(`${dir}/domains.yaml`, "domains: {}\n");
    const r = await postern("config", "test", "--config", `${dir}/postern.yaml`);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      `${dir}/postern.yaml:3: listeners[0].protocol: The http protocol is not available in this version\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
