import assert from "node:assert/strict";
import {
  type Command,
  commandHelp,
  findCommand,
  overview,
  parseCommandLine,
  UsageError,
} from "./cli.ts";

const noop = () => 0;
const commands: Command[] = [
  {
    name: "config",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "s",
    help: "h",
    flags: {},
    run: noop,
  },
  {
    name: "config test",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "Check config",
    help: "Checks.",
    flags: {
      config: { type: "string", doc: "Config file", arg: "FILE", default: "config/postern.yaml" },
    },
    run: noop,
  },
  {
    name: "config describe",
    args: "postern|domains",
    minArgs: 1,
    maxArgs: 1,
    summary: "Describe",
    help: "Prints.",
    flags: {},
    run: noop,
  },
];

Deno.test("findCommand() picks the longest matching command name", () => {
  const { command, rest } = findCommand(commands, ["config", "test", "--config", "x.yaml"]);
  assert.equal(command.name, "config test");
  assert.deepEqual(rest, ["--config", "x.yaml"]);
  assert.equal(findCommand(commands, ["config"]).command.name, "config");
});

Deno.test("findCommand() throws UsageError for unknown and missing commands", () => {
  assert.throws(
    () => findCommand(commands, ["serv"]),
    (e) => e instanceof UsageError && /Unknown command: serv/.test(e.message),
  );
  assert.throws(() => findCommand(commands, []), /No command given/);
});

Deno.test("parseCommandLine() rejects unknown flags and missing values", () => {
  const c = commands[1]!;
  assert.deepEqual(parseCommandLine(c, ["--config=a.yaml"]).flags.config, "a.yaml");
  assert.equal(parseCommandLine(c, []).flags.config, "config/postern.yaml");
  assert.throws(
    () => parseCommandLine(c, ["--bogus"]),
    (e) => e instanceof UsageError && /bogus/.test(e.message),
  );
  assert.throws(() => parseCommandLine(c, ["--config"]), UsageError);
});

Deno.test("parseCommandLine() checks the argument count", () => {
  const c = commands[2]!;
  assert.deepEqual(parseCommandLine(c, ["domains"]).args, ["domains"]);
  assert.throws(() => parseCommandLine(c, []), /Missing arguments/);
  assert.throws(() => parseCommandLine(c, ["a", "b"]), /Unexpected argument: b/);
});

Deno.test("commandHelp() and overview() list flags and commands", () => {
  const help = commandHelp("postern", commands[1]!);
  assert.match(help, /^usage: postern config test \[flags\]/);
  assert.match(help, /--config FILE\s+Config file \(default config\/postern.yaml\)/);
  const all = overview("postern", "Postern.", commands);
  assert.match(all, /config describe\s+Describe/);
});
