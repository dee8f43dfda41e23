/**
 * logfmt logging, one configuration per thread (main thread or worker).
 *
 * Contract:
 * - Every record is exactly one line: `time=… level=… pkg=… msg=…`, then `cid` when
 *   present, then the remaining fields in insertion order. Values that are empty or hold
 *   anything but printable ASCII (or hold `=`/`"`) are quoted; control characters,
 *   Unicode line/paragraph separators, bidi controls and lone surrogates are escaped,
 *   so a stranger's bytes can never start a forged record.
 * - Levels by increasing verbosity: error < warn < info < debug < trace < traceauth <
 *   tracedata. A record is written when its level is at or below the level configured
 *   for its package; `packages` keys match the exact package or a prefix followed by
 *   "." ("smtp" covers "smtp.session"), the longest matching key wins.
 * - Protocol transcripts (`traceProtocol`): plain lines at trace; lines carrying
 *   credentials are shown as "***" at trace and in full only at traceauth or above;
 *   message data only at tracedata.
 * - The default sink writes to stderr with `Deno.stderr.writeSync`, which needs no
 *   permission, so it works in workers started with `permissions: "none"`. A sink that
 *   throws loses the record; logging never throws into its caller.
 *
 * Implementation notes: `Logger` caches its effective level and re-reads it when
 * `configureLogging` bumps the configuration generation, so `logger()` is cheap and
 * reconfiguration applies to loggers created before it.
 *
 * @module
 */

/** Log levels in order of increasing verbosity. */
export const levels = [
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "traceauth",
  "tracedata",
] as const;

/** One of {@linkcode levels}. */
export type Level = typeof levels[number];

/** Per-thread logging configuration: a default level and per-package overrides. */
export interface LogConfig {
  /** Level for packages without an override. */
  level: Level;
  /** Overrides keyed by package name or package prefix ("smtp" covers "smtp.session"). */
  packages: Record<string, Level>;
}

/** Values a field may hold. `undefined` fields are omitted; `null` is written as `null`. */
export type FieldValue = string | number | boolean | bigint | null | undefined | Error | Date;

/** Structured fields of a record, written in insertion order (after `cid`). */
export type Fields = Record<string, FieldValue>;

/** Receives each formatted record, without a line terminator. */
export type Sink = (line: string) => void;

/** Reports whether `x` is a level name. */
export function isLevel(x: unknown): x is Level {
  return typeof x === "string" && (levels as readonly string[]).includes(x);
}

function rank(level: Level): number {
  return levels.indexOf(level);
}

const encoder = new TextEncoder();

/** Default sink: writes `line + "\n"` to stderr (needs no permission). */
export function stderrSink(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

interface State {
  level: Level;
  /** Package overrides, longest key first so the most specific match wins. */
  packages: Array<readonly [string, Level]>;
  sink: Sink;
  generation: number;
}

let state: State = { level: "info", packages: [], sink: stderrSink, generation: 0 };

/**
 * Sets this thread's logging configuration. Each worker calls it with the config from
 * its init message; until then the level is "info" and the sink is stderr.
 *
 * @throws {TypeError} when a level in `config` is not one of {@linkcode levels}.
 */
export function configureLogging(config: LogConfig, sink: Sink = stderrSink): void {
  if (!isLevel(config.level)) {
    throw new TypeError(`Cannot configure logging: unknown level ${JSON.stringify(config.level)}`);
  }
  const packages: Array<readonly [string, Level]> = [];
  for (const [pkg, level] of Object.entries(config.packages)) {
    if (!isLevel(level)) {
      throw new TypeError(
        `Cannot configure logging: unknown level ${JSON.stringify(level)} for package ${pkg}`,
      );
    }
    packages.push([pkg, level]);
  }
  packages.sort((a, b) => b[0].length - a[0].length);
  state = { level: config.level, packages, sink, generation: state.generation + 1 };
}

function levelFor(pkg: string): Level {
  for (const [key, level] of state.packages) {
    if (pkg === key || (pkg.startsWith(key) && pkg[key.length] === ".")) return level;
  }
  return state.level;
}

/** Returns a logger for package `pkg` (dotted, e.g. "smtp.session") with fixed `fields`. */
export function logger(pkg: string, fields: Fields = {}): Logger {
  return new Logger(pkg, fields);
}

/** Writes records for one package with a set of fixed fields. Create with {@linkcode logger}. */
export class Logger {
  /** Package name, e.g. "smtp.session". */
  readonly pkg: string;
  readonly #fields: Fields;
  #generation = -1;
  #rank = 0;

  /** Prefer {@linkcode logger}. */
  constructor(pkg: string, fields: Fields = {}) {
    this.pkg = pkg;
    this.#fields = fields;
  }

  /** Returns a child logger whose fixed fields are these merged over the parent's. */
  with(fields: Fields): Logger {
    return new Logger(this.pkg, { ...this.#fields, ...fields });
  }

  /** Reports whether a record at `level` would be written for this package. */
  enabled(level: Level): boolean {
    if (this.#generation !== state.generation) {
      this.#rank = rank(levelFor(this.pkg));
      this.#generation = state.generation;
    }
    return rank(level) <= this.#rank;
  }

  /** Logs at error level; Error fields also get their stack. */
  error(msg: string, fields?: Fields): void {
    this.#log("error", msg, fields);
  }

  /** Logs at warn level. */
  warn(msg: string, fields?: Fields): void {
    this.#log("warn", msg, fields);
  }

  /** Logs at info level. */
  info(msg: string, fields?: Fields): void {
    this.#log("info", msg, fields);
  }

  /** Logs at debug level. */
  debug(msg: string, fields?: Fields): void {
    this.#log("debug", msg, fields);
  }

  /** Logs at trace level. */
  trace(msg: string, fields?: Fields): void {
    this.#log("trace", msg, fields);
  }

  /**
   * Protocol transcript line; `msg` is `"C: text"` or `"S: text"`. dir "C" is
   * client→server, "S" server→client. kind "line" (default) is logged at trace; "auth" (a
   * line carrying credentials) is logged at traceauth when enabled, otherwise at trace as
   * "***"; "data" (message data) only at tracedata, otherwise omitted entirely.
   */
  traceProtocol(dir: "C" | "S", text: string, kind: "line" | "auth" | "data" = "line"): void {
    switch (kind) {
      case "line":
        this.#log("trace", `${dir}: ${text}`);
        return;
      case "auth":
        if (this.enabled("traceauth")) this.#log("traceauth", `${dir}: ${text}`);
        else this.#log("trace", `${dir}: ***`);
        return;
      case "data":
        this.#log("tracedata", `${dir}: ${text}`);
        return;
    }
  }

  #log(level: Level, msg: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const all = fields === undefined ? this.#fields : { ...this.#fields, ...fields };
    try {
      state.sink(formatLogfmt(new Date(), level, this.pkg, msg, all));
    } catch {
      // A failing sink (closed stderr, broken pipe) loses the record; logging never
      // throws into the code that logs.
    }
  }
}

const reserved = new Set(["time", "level", "pkg", "msg"]);

/**
 * Formats one logfmt record: `time` (RFC 3339 UTC, milliseconds), `level`, `pkg`, `msg`,
 * then `cid` if present, then the other fields in insertion order. Error values are
 * written as their message; at error level an Error field also gets its stack (as
 * `stack` for the key `err`, otherwise `<key>.stack`). Fields named like the fixed keys
 * are written with a leading "_" (`_msg`).
 *
 * @see https://brandur.org/logfmt
 */
export function formatLogfmt(
  time: Date,
  level: Level,
  pkg: string,
  msg: string,
  fields: Fields,
): string {
  const t = Number.isNaN(time.getTime()) ? "invalid" : time.toISOString();
  let out = `time=${t} level=${level} pkg=${formatString(pkg)} msg=${formatString(msg)}`;
  const cid = fields["cid"];
  if (cid !== undefined) out += ` cid=${formatValue(cid)}`;
  for (const [k, v] of Object.entries(fields)) {
    if (k === "cid" || v === undefined) continue;
    const key = reserved.has(k) ? `_${k}` : formatKey(k);
    out += ` ${key}=${formatValue(v)}`;
    if (level === "error" && v instanceof Error && typeof v.stack === "string") {
      out += ` ${key === "err" ? "stack" : `${key}.stack`}=${formatString(v.stack)}`;
    }
  }
  return out;
}

/** Printable ASCII except `"` and `=`: the characters allowed in an unquoted value. */
const bare = /^[!#-<>-~]+$/;

function formatKey(key: string): string {
  const k = key.replace(/[^!#-<>-~]/gu, "_");
  return k === "" ? "_" : k;
}

function formatValue(v: FieldValue | object): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return formatString(v);
    case "number":
    case "bigint":
    case "boolean":
      return String(v);
    case "undefined":
      return "";
  }
  if (v instanceof Error) return formatString(String(v.message));
  if (v instanceof Date) {
    return Number.isNaN(v.getTime()) ? "invalid" : v.toISOString();
  }
  // Not a FieldValue (reached only through casts, e.g. of a caught `unknown`): be robust.
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return formatString(s);
}

/**
 * Characters escaped inside quotes: `\`, `"`, C0/C1 controls and DEL, line/paragraph
 * separators, bidi controls, and lone surrogates.
 */
const escapes =
  // deno-lint-ignore no-control-regex -- matching control characters is the point.
  /[\\"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function formatString(s: string): string {
  if (bare.test(s)) return s;
  return `"${s.replace(escapes, escapeChar)}"`;
}

function escapeChar(c: string): string {
  switch (c) {
    case "\\":
      return "\\\\";
    case '"':
      return '\\"';
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
  }
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}
