/**
 * Command-line structure: a table of commands (possibly several words, like
 * "config test"), each with its flags, argument count and help text. Parsing is strict:
 * an unknown command, an unknown flag, a missing flag value or a wrong number of
 * arguments is a {@linkcode UsageError} that names the problem and the usage line.
 *
 * Flags use node:util parseArgs (strict mode), so `--flag value`, `--flag=value` and
 * `--` all work as usual.
 */

import { parseArgs } from "node:util";

export interface FlagSpec {
  type: "string" | "boolean";
  doc: string;
  /** Value name in help, for string flags. */
  arg?: string;
  default?: string | boolean;
}

export type FlagValues = Record<string, string | boolean | undefined>;

export interface Command {
  /** Words that select the command, e.g. "config test". */
  name: string;
  /** Positional arguments in usage notation, e.g. "postern|domains"; "" for none. */
  args: string;
  minArgs: number;
  maxArgs: number;
  /** One line for the overview. */
  summary: string;
  /** Paragraphs for `help CMD`. */
  help: string;
  flags: Record<string, FlagSpec>;
  run(args: string[], flags: FlagValues): Promise<number> | number;
}

/** A command line that does not fit any command; exit status 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: Command) {
    super(message);
    this.name = "UsageError";
  }
}

/** The command whose name is the longest prefix of argv, and the rest of argv. */
export function findCommand(
  commands: Command[],
  argv: string[],
): { command: Command; rest: string[] } {
  let best: Command | undefined;
  let bestWords = 0;
  for (const c of commands) {
    const words = c.name.split(" ");
    if (words.length > bestWords && words.every((w, i) => argv[i] === w)) {
      best = c;
      bestWords = words.length;
    }
  }
  if (!best) {
    const given = argv.filter((a) => !a.startsWith("-")).slice(0, 2).join(" ");
    throw new UsageError(given === "" ? "No command given" : `Unknown command: ${given}`);
  }
  return { command: best, rest: argv.slice(bestWords) };
}

/**
 * Parses a command's flags and arguments.
 * @throws UsageError for unknown flags, missing values or a wrong argument count
 */
export function parseCommandLine(
  command: Command,
  rest: string[],
): { args: string[]; flags: FlagValues } {
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(command.flags).map(([name, f]) => [
          name,
          f.default === undefined ? { type: f.type } : { type: f.type, default: f.default },
        ]),
      ) as Record<string, { type: "string" | "boolean" }>,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // parseArgs' messages name the flag; drop its advice about "--" and positionals.
    const message = (err as Error).message.split(". ")[0] ?? "Bad flags";
    throw new UsageError(message, command);
  }
  const args = parsed.positionals;
  if (args.length < command.minArgs) throw new UsageError("Missing arguments", command);
  if (args.length > command.maxArgs) {
    throw new UsageError(`Unexpected argument: ${args[command.maxArgs]}`, command);
  }
  return { args, flags: parsed.values as FlagValues };
}

/** `postern NAME [flags] ARGS` */
export function usageLine(program: string, c: Command): string {
  const flags = Object.keys(c.flags).length > 0 ? " [flags]" : "";
  return `usage: ${program} ${c.name}${flags}${c.args ? " " + c.args : ""}`;
}

/** Full help for one command. */
export function commandHelp(program: string, c: Command): string {
  const lines = [usageLine(program, c), "", c.help.trim()];
  const flags = Object.entries(c.flags);
  if (flags.length > 0) {
    lines.push("", "flags:");
    const cols = flags.map(([name, f]) =>
      `  --${name}${f.type === "string" ? ` ${f.arg ?? "VALUE"}` : ""}`
    );
    const width = Math.max(...cols.map((s) => s.length)) + 2;
    for (const [i, [, f]] of flags.entries()) {
      const def = typeof f.default === "string" && f.default !== ""
        ? ` (default ${f.default})`
        : "";
      lines.push(cols[i]!.padEnd(width) + f.doc + def);
    }
  }
  return lines.join("\n") + "\n";
}

/** The list of all commands with their summaries. */
export function overview(program: string, intro: string, commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const rows = commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return `${intro}\n\nusage: ${program} COMMAND [flags] [args]\n\ncommands:\n${
    rows.join("\n")
  }\n\n` +
    `Run "${program} help COMMAND" for details of a command.\n`;
}
