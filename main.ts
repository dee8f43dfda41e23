/**
 * postern: the command line. Each command is one entry in `commands`, with its flags,
 * argument count and help text; `serve` and `localserve` start the supervisor.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */

import denoJson from "./deno.json" with { type: "json" };
import {
  type Command,
  commandHelp,
  findCommand,
  overview,
  parseCommandLine,
  UsageError,
} from "./core/cli/cli.ts";
import {
  type ConfigProblem,
  describe,
  type DomainsEdit,
  domainsSchema,
  formatProblem,
  posternSchema,
} from "./core/config/mod.ts";
import {
  configFiles,
  controlSocketPath,
  loadConfig,
  loadStaticConfig,
  resolveDataDir,
} from "./workers/supervisor/config_files.ts";
import { controlRequest } from "./workers/supervisor/control.ts";
import { localserveStarted, prepareLocalserve } from "./workers/supervisor/localserve.ts";
import {
  backup,
  editDomainsFile,
  exportMessages,
  importMessages,
  readPassword,
  setAccountPassword,
} from "./workers/supervisor/admin.ts";
import { verifyData } from "./workers/store/verify.ts";
import { serve } from "./workers/supervisor/serve.ts";

const program = "postern";
const intro = "Postern: an all-in-one mail server (SMTP, IMAP, webmail, admin) for people " +
  "who run their own email.";
const encoder = new TextEncoder();
const out = (text: string) =>
  Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
const err = (text: string) =>
  Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));

const configFlag = {
  config: {
    type: "string",
    arg: "FILE",
    doc: "Static config file; domains.yaml is read from the same directory",
    default: "config/postern.yaml",
  },
} as const;

const commands: Command[] = [
  {
    name: "help",
    args: "[COMMAND]",
    minArgs: 0,
    maxArgs: 3,
    summary: "Show all commands, or the help of one",
    help: "Without arguments, lists the commands. With a command name, prints its usage, " +
      "what it does and its flags.",
    flags: {},
    run(args) {
      if (args.length === 0) return out(overview(program, intro, commands)), 0;
      const { command, rest } = findCommand(commands, args);
      if (rest.length > 0) throw new UsageError(`Unknown command: ${args.join(" ")}`);
      out(commandHelp(program, command));
      return 0;
    },
  },
  {
    name: "version",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "Print the version",
    help: "Prints Postern's version and the Deno runtime's.",
    flags: {},
    run() {
      out(`postern ${denoJson.version} (deno ${Deno.version.deno})`);
      return 0;
    },
  },
  {
    name: "serve",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "Run the mail server",
    help: "Starts the server with the configuration in --config (and domains.yaml beside " +
      "it), relative to the working directory. Refuses to start when the configuration has " +
      "problems. SIGTERM, SIGINT or `postern stop` shut it down gracefully: it stops " +
      "accepting, lets sessions finish until shutdown.deadline, and exits 0.",
    flags: configFlag,
    run: (_args, flags) => serve(configFiles(flags.config as string), err),
  },
  {
    name: "localserve",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "Run a local server for development (ports + 1000, loopback only)",
    help: "Runs a server for testing applications on this machine: SMTP on 1025, " +
      "submission on 1587 (STARTTLS) and 1465 (TLS), IMAP on 1143 (STARTTLS) and 1993 " +
      "(TLS), on 127.0.0.1 and ::1, with a self-signed certificate and the account " +
      "postern@localhost. Configuration and data live in --dir and are kept between runs; " +
      "the configuration is written there on first run.",
    flags: {
      dir: {
        type: "string",
        arg: "DIR",
        doc: "Directory for config and data",
        default: "localserve",
      },
    },
    run: async (_args, flags) =>
      serve(await prepareLocalserve(flags.dir as string), err, { onStarted: localserveStarted }),
  },
  {
    name: "stop",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "Stop a running server gracefully",
    help: "Asks the server using --config to shut down, through its control socket, and " +
      "waits until it has. Sessions are ended as on SIGTERM.",
    flags: configFlag,
    async run(_args, flags) {
      const files = configFiles(flags.config as string);
      const { config, problems } = await loadStaticConfig(files);
      if (!config) {
        for (const p of problems) err(formatProblem(p));
        return 1;
      }
      const dataDir = resolveDataDir(config.dataDir, files.configDir);
      const path = controlSocketPath(dataDir, config.controlSocket, files.configDir);
      try {
        const reply = await controlRequest(path, "stop");
        if (reply.ok !== true) throw new Error(String(reply.error));
      } catch (e) {
        err(`postern: cannot stop server at ${path}: ${(e as Error).message}`);
        return 1;
      }
      out("stopped");
      return 0;
    },
  },
  {
    name: "setaccountpassword",
    args: "ACCOUNT",
    minArgs: 1,
    maxArgs: 1,
    summary: "Set an account's password",
    help: "Sets the password of ACCOUNT (an account name from domains.yaml). The password " +
      "is read from the terminal without echo, or from the first line of standard input. " +
      "Only salted derived keys are stored, never the password; the account's sessions end. " +
      "Works on a running server through its control socket, or on the data directory " +
      "when the server is stopped.",
    flags: configFlag,
    async run(args, flags) {
      const account = args[0]!;
      try {
        const password = await readPassword(`password for ${account}: `);
        const route = await setAccountPassword(
          configFiles(flags.config as string),
          account,
          password,
        );
        out(`password set for ${account} (${route})`);
        return 0;
      } catch (e) {
        err(`postern: ${(e as Error).message}`);
        return 1;
      }
    },
  },
  ...(["mbox", "maildir"] as const).map((format): Command => ({
    name: `import ${format}`,
    args: "ACCOUNT MAILBOX PATH",
    minArgs: 3,
    maxArgs: 3,
    summary: `Import ${format === "mbox" ? "an mbox file" : "a maildir"} into a mailbox`,
    help: `Imports the messages of the ${format} at PATH into MAILBOX of ACCOUNT, keeping ` +
      (format === "mbox"
        ? "flags and keywords from Status, X-Status and X-Keywords headers and the date of " +
          "each From line. "
        : "flags from the file names and keywords from dovecot-keywords. ") +
      "Streams with flat memory and reports progress. Odd input does not stop the import: " +
      "each problem is reported with its position and the rest is imported. Works on a " +
      "running server (which reads PATH itself) or on the data directory of a stopped one.",
    flags: configFlag,
    async run(args, flags) {
      const [account, mailbox, path] = args as [string, string, string];
      let last = 0;
      const started = performance.now();
      const rate = (n: number) => (n / ((performance.now() - started) / 1000)).toFixed(0);
      try {
        const { route, report } = await importMessages(
          configFiles(flags.config as string),
          format,
          account,
          mailbox,
          path,
          (p) => {
            if (performance.now() - last < 1000) return;
            last = performance.now();
            err(
              `imported ${p.messages} messages (${(p.octets / 1e6).toFixed(1)} MB, ${
                rate(p.messages)
              }/s), ${p.problems} problems`,
            );
          },
        );
        for (const problem of report.problemList.slice(0, 50)) err(`${path}: ${problem}`);
        if (report.problems > 50) err(`... and ${report.problems - 50} more problems`);
        out(
          `imported ${report.messages} messages (${(report.octets / 1e6).toFixed(1)} MB) into ` +
            `${account}/${mailbox} in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
            `(${rate(report.messages)}/s, ${route}), ${report.problems} problems`,
        );
        return 0;
      } catch (e) {
        err(`postern: ${(e as Error).message}`);
        return 1;
      }
    },
  })),
  {
    name: "verifydata",
    args: "DIR",
    minArgs: 1,
    maxArgs: 1,
    summary: "Check a data directory (or a backup) for problems",
    help: "Checks every account in the data directory DIR: index integrity, that every " +
      "message has its complete file, no unreferenced files, UIDs and MODSEQs consistent, " +
      "quota totals right. Prints each problem and exits 1 if there is any. With --fix " +
      "(or -fix), unreferenced files are removed and totals corrected; indexed messages are " +
      "never changed. Run it on a stopped server's directory or on a backup.",
    flags: { fix: { type: "boolean", doc: "Remove unreferenced files and correct totals" } },
    async run(args, flags) {
      const dir = args[0]!;
      const report = await verifyData(
        dir,
        flags.fix === true,
        (name, r) => err(`checked ${name} (${r.accounts} accounts, ${r.messages} messages so far)`),
      );
      for (const line of report.fixed) out(`fixed: ${line}`);
      for (const line of report.problems) out(`problem: ${line}`);
      out(
        `${report.accounts} accounts, ${report.messages} messages, ${report.problems.length} problems` +
          (report.fixed.length > 0 ? `, ${report.fixed.length} fixed` : ""),
      );
      return report.problems.length > 0 ? 1 : 0;
    },
  },
  ...(["mbox", "maildir"] as const).map((format): Command => ({
    name: `export ${format}`,
    args: "ACCOUNT MAILBOX PATH",
    minArgs: 3,
    maxArgs: 3,
    summary: `Export a mailbox as ${format === "mbox" ? "an mbox file" : "a maildir"}`,
    help: `Writes the messages of MAILBOX in ACCOUNT to PATH (which must not exist) as ` +
      (format === "mbox"
        ? "an mboxrd file, flags and keywords in Status, X-Status and X-Keywords headers. "
        : "a maildir, flags in file names and keywords in dovecot-keywords. ") +
      "Pages through the mailbox with flat memory. Works on a running server or on the " +
      "data directory of a stopped one.",
    flags: configFlag,
    async run(args, flags) {
      const [account, mailbox, path] = args as [string, string, string];
      try {
        const { route, report } = await exportMessages(
          configFiles(flags.config as string),
          format,
          account,
          mailbox,
          path,
          (r) => err(`exported ${r.messages} messages (${(r.octets / 1e6).toFixed(1)} MB)`),
        );
        for (const p of report.problems) err(`problem: ${p}`);
        out(
          `exported ${report.messages} messages (${
            (report.octets / 1e6).toFixed(1)
          } MB) to ${path} (${route})`,
        );
        return 0;
      } catch (e) {
        err(`postern: ${(e as Error).message}`);
        return 1;
      }
    },
  })),
  {
    name: "backup",
    args: "DIR",
    minArgs: 1,
    maxArgs: 1,
    summary: "Make a consistent backup of the data directory and config",
    help: "Copies every account's index (a consistent snapshot, taken while the server " +
      "runs) and hard-links its message files into DIR, which must not exist and must be " +
      "on the same file system; the config files and TLS directory are copied too. Check " +
      "the result with `postern verifydata DIR/data`.",
    flags: configFlag,
    async run(args, flags) {
      try {
        const { route, report } = await backup(
          configFiles(flags.config as string),
          args[0]!,
          (name, r) =>
            err(`backed up ${name} (${r.accounts} accounts, ${r.messages} messages so far)`),
        );
        for (const p of report.problems) err(`problem: ${p}`);
        out(`backed up ${report.accounts} accounts, ${report.messages} messages (${route})`);
        return report.problems.length > 0 ? 1 : 0;
      } catch (e) {
        err(`postern: ${(e as Error).message}`);
        return 1;
      }
    },
  },
  ...editCommands(),
  {
    name: "config account list",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "List accounts and their addresses",
    help: "Prints each account in domains.yaml with its addresses.",
    flags: configFlag,
    async run(_args, flags) {
      const loaded = await loadConfig(configFiles(flags.config as string));
      if (!loaded.ok) {
        for (const p of loaded.problems) err(formatProblem(p));
        return 1;
      }
      for (const [name, a] of Object.entries(loaded.domains.accounts)) {
        out(`${name}\t${a.addresses.join(" ")}`);
      }
      return 0;
    },
  },
  {
    name: "config test",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    summary: "Check the configuration files",
    help: "Validates postern.yaml and domains.yaml and loads the certificates they name. " +
      "Prints every problem as file:line: field: message and exits 1 if there is any.",
    flags: configFlag,
    async run(_args, flags) {
      const loaded = await loadConfig(configFiles(flags.config as string));
      if (loaded.ok) {
        out(`${loaded.files.configFile}: ok\n${loaded.files.domainsFile}: ok`);
        return 0;
      }
      for (const p of loaded.problems) out(formatProblem(p));
      return 1;
    },
  },
  {
    name: "config describe",
    args: "postern|domains",
    minArgs: 1,
    maxArgs: 1,
    summary: "Print an annotated example config file",
    help: "Prints postern.yaml or domains.yaml with every field, its default and what it " +
      "means. config/ holds the same text; a test keeps them equal.",
    flags: {},
    run(args) {
      const which = args[0];
      if (which !== "postern" && which !== "domains") {
        throw new UsageError(
          `Unknown config file: ${which}`,
          commands.find((c) => c.name === "config describe"),
        );
      }
      out(describe(which === "postern" ? posternSchema : domainsSchema));
      return 0;
    },
  },
];

/** The domains.yaml edit commands: words, arguments, summary, and the edit they make. */
function editCommands(): Command[] {
  const table: [string, string, string, (a: string[]) => DomainsEdit][] = [
    [
      "config domain add",
      "DOMAIN",
      "Add a domain",
      ([domain]) => ({ op: "addDomain", domain: domain! }),
    ],
    [
      "config domain rm",
      "DOMAIN",
      "Remove a domain no address uses",
      ([domain]) => ({ op: "removeDomain", domain: domain! }),
    ],
    [
      "config account add",
      "ACCOUNT ADDRESS",
      "Add an account with its first address",
      ([account, address]) => ({ op: "addAccount", account: account!, address: address! }),
    ],
    [
      "config account rm",
      "ACCOUNT",
      "Remove an account from the config (its data stays)",
      ([account]) => ({ op: "removeAccount", account: account! }),
    ],
    [
      "config address add",
      "ADDRESS ACCOUNT",
      "Add an address to an account",
      ([address, account]) => ({ op: "addAddress", account: account!, address: address! }),
    ],
    [
      "config address rm",
      "ADDRESS",
      "Remove an address (not an account's last)",
      ([address]) => ({ op: "removeAddress", address: address! }),
    ],
    [
      "config alias add",
      "ALIAS MEMBER",
      "Add an alias delivering to MEMBER",
      ([alias, member]) => ({ op: "addAlias", alias: alias!, members: [member!] }),
    ],
    [
      "config alias rm",
      "ALIAS",
      "Remove an alias",
      ([alias]) => ({ op: "removeAlias", alias: alias! }),
    ],
    [
      "config alias addaddr",
      "ALIAS MEMBER",
      "Add a member to an alias",
      ([alias, member]) => ({ op: "addAliasMember", alias: alias!, member: member! }),
    ],
    [
      "config alias rmaddr",
      "ALIAS MEMBER",
      "Remove a member from an alias (not the last)",
      ([alias, member]) => ({ op: "removeAliasMember", alias: alias!, member: member! }),
    ],
  ];
  return table.map(([name, args, summary, edit]) => ({
    name,
    args,
    minArgs: args.split(" ").length,
    maxArgs: args.split(" ").length,
    summary,
    help: `${summary}. Rewrites domains.yaml beside --config, keeping its comments; the ` +
      "result is validated before it is written, atomically, and a running server picks " +
      "it up at once.",
    flags: configFlag,
    async run(a, flags) {
      try {
        await editDomainsFile(configFiles(flags.config as string), edit(a));
      } catch (e) {
        err(`postern: ${(e as Error).message}`);
        for (const p of (e as { problems?: ConfigProblem[] }).problems ?? []) err(formatProblem(p));
        return 1;
      }
      out("ok");
      return 0;
    },
  }));
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    err(overview(program, intro, commands));
    return 2;
  }
  if (argv[0] === "--help" || argv[0] === "-h") {
    out(overview(program, intro, commands));
    return 0;
  }
  try {
    const { command, rest } = findCommand(commands, argv);
    if (rest.includes("--help") || rest.includes("-h")) {
      out(commandHelp(program, command));
      return 0;
    }
    // mox's spelling of verifydata's flag, as the issue names it.
    const normalized = command.name === "verifydata"
      ? rest.map((a) => a === "-fix" ? "--fix" : a)
      : rest;
    const { args, flags } = parseCommandLine(command, normalized);
    return await command.run(args, flags);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${program}: ${e.message}`);
    err(
      e.command
        ? commandHelp(program, e.command)
        : `Run "${program} help" for the list of commands.`,
    );
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
