/**
 * A throwaway Dovecot for comparison tests: a maildir with the given messages in a temp
 * directory, and IMAP sessions with Dovecot's own imap binary.
 *
 * How it runs (the simplest thing that works without root or a daemon): no master
 * process, no listener, no login. `doveadm -c <conf> exec imap` starts the imap binary
 * from Dovecot's libexec directory in pre-authenticated mode on stdin/stdout, as the
 * user named by $USER, with a config that lives in the temp directory (base_dir,
 * state_dir, log_path, mail_location all inside it; static passdb/userdb; ssl = no).
 * Each {@linkcode DovecotMailbox.session} is one such process that ends with the LOGOUT
 * the helper appends; disposing removes the directory. Dovecot refuses mail access as
 * root, so when the tests run as root the mail is owned by and read as `nobody`.
 * A missing Dovecot fails loudly (install it with `bash scripts/test-peers`).
 */

/** The maildir Dovecot serves, with its messages in order: sequence number i+1 is messages[i]. */
export interface DovecotMailbox extends AsyncDisposable {
  readonly dir: string;
  /**
   * Runs `EXAMINE INBOX`, the given commands (tagged `c1`, `c2`, …, without CRLF) and
   * LOGOUT in one pre-authenticated session; returns everything Dovecot wrote.
   */
  session(commands: string[]): Promise<Uint8Array>;
}

const nobody = 65534;

async function which(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      const path = `${dir}/${name}`;
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Creates a maildir holding `messages` and a Dovecot config serving it. */
export async function startDovecot(messages: Uint8Array[]): Promise<DovecotMailbox> {
  const doveadm = await which("doveadm");
  if (doveadm === undefined) {
    throw new Error(
      "Cannot run Dovecot: doveadm is not installed (run `bash scripts/test-peers`)",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "postern-dovecot-" });
  const root = Deno.uid() === 0;
  const uid = root ? nobody : Deno.uid()!;
  const gid = root ? nobody : Deno.gid()!;
  const user = Deno.env.get("USER") ?? "postern";
  for (const sub of ["base", "state", "home", "mail/cur", "mail/new", "mail/tmp"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  // Maildir names start with the delivery time; Dovecot gives UIDs in name order.
  for (const [i, bytes] of messages.entries()) {
    await Deno.writeFile(`${dir}/mail/cur/${1_700_000_000 + i}.M${i}P1.postern:2,`, bytes);
  }
  await Deno.writeTextFile(
    `${dir}/dovecot.conf`,
    `base_dir = ${dir}/base
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
protocols = imap
mail_location = maildir:${dir}/mail
mail_uid = ${uid}
mail_gid = ${gid}
first_valid_uid = ${uid}
first_valid_gid = ${gid}
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/home
}
`,
  );
  if (root) {
    await Deno.chmod(dir, 0o755); // makeTempDir's 0700 would keep `nobody` out
    for (const sub of ["home", "mail", "mail/cur", "mail/new", "mail/tmp"]) {
      await Deno.chown(`${dir}/${sub}`, uid, gid);
    }
    for await (const e of Deno.readDir(`${dir}/mail/cur`)) {
      await Deno.chown(`${dir}/mail/cur/${e.name}`, uid, gid);
    }
  }

  return {
    dir,
    async session(commands: string[]): Promise<Uint8Array> {
      const lines = ["s EXAMINE INBOX", ...commands.map((c, i) => `c${i + 1} ${c}`), "z LOGOUT"];
      const child = new Deno.Command(doveadm, {
        args: ["-c", `${dir}/dovecot.conf`, "exec", "imap"],
        clearEnv: true,
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", USER: user, HOME: `${dir}/home` },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Read while writing: a long pipeline must not fill both pipes and deadlock.
      const output = child.output();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(lines.map((l) => `${l}\r\n`).join("")));
      await writer.close();
      const { code, stdout, stderr } = await output;
      const text = new TextDecoder("latin1").decode(stdout);
      if (code !== 0 || !/\r\ns OK /.test(text) || !/\r\nz OK /.test(text)) {
        const log = await Deno.readTextFile(`${dir}/dovecot.log`).catch(() => "");
        throw new Error(
          `Cannot run Dovecot imap (exit ${code}): ${new TextDecoder().decode(stderr)}${log}\n${
            text.slice(-2000)
          }`,
        );
      }
      return stdout;
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** One IMAP value of a response (RFC 9051 §4), with the octets it was sent as. */
export type ImapValue =
  & { raw: Uint8Array }
  & (
    | { kind: "nil" }
    | { kind: "atom"; text: string }
    | { kind: "string"; bytes: Uint8Array; form: "quoted" | "literal" | "literal8" }
    | { kind: "list"; items: ImapValue[] }
  );

/** What a session got: the tagged status lines and all FETCH data. */
export interface Transcript {
  /** Tag → the tagged status line without the tag, e.g. "NO [UNKNOWN-CTE] …". */
  statuses: Map<string, string>;
  /** Sequence number → item label (e.g. `BODY[1.MIME]<0>`) → value. */
  fetches: Map<number, Map<string, ImapValue>>;
}

/**
 * Reads a whole IMAP server transcript (RFC 9051 §7.5.2 FETCH responses with literals).
 * FETCH data is collected by message and item, not by command: Dovecot runs pipelined
 * FETCH commands together and interleaves their responses, so each item must be asked
 * only once per session.
 *
 * @throws {Error} on a response it cannot read, or an item sent twice with different values
 */
export function parseResponses(out: Uint8Array): Transcript {
  const statuses = new Map<string, string>();
  const fetches = new Map<number, Map<string, ImapValue>>();
  let pos = 0;
  const text = (from: number, to: number) =>
    new TextDecoder("latin1").decode(out.subarray(from, to));
  const fail = (what: string): never => {
    throw new Error(`Cannot parse IMAP response at ${pos}: ${what}: ${text(pos, pos + 80)}`);
  };
  const lineEnd = () => {
    const lf = out.indexOf(0x0a, pos);
    return lf === -1 ? out.length : lf + 1;
  };
  const expect = (s: string) => {
    if (text(pos, pos + s.length) !== s) fail(`expected ${JSON.stringify(s)}`);
    pos += s.length;
  };
  const value = (): ImapValue => {
    const start = pos;
    const c = String.fromCharCode(out[pos]!);
    if (c === "(") {
      pos++;
      const items: ImapValue[] = [];
      while (out[pos] !== 0x29) {
        // A space separates items, except between lists: "((a)(b))" (RFC 9051 §7.5.2).
        if (items.length > 0 && !(out[pos] === 0x28 && out[pos - 1] === 0x29)) expect(" ");
        items.push(value());
      }
      pos++;
      return { kind: "list", items, raw: out.subarray(start, pos) };
    }
    if (c === '"') {
      pos++;
      const bytes: number[] = [];
      while (out[pos] !== 0x22) {
        if (pos >= out.length) fail("unterminated quoted string");
        if (out[pos] === 0x5c) pos++;
        bytes.push(out[pos++]!);
      }
      pos++;
      return {
        kind: "string",
        bytes: new Uint8Array(bytes),
        form: "quoted",
        raw: out.subarray(start, pos),
      };
    }
    if (c === "{" || c === "~") {
      const m = /^~?\{(\d+)\}\r\n/.exec(text(pos, pos + 24));
      if (m === null) fail("bad literal");
      pos += m![0].length;
      const n = Number(m![1]);
      const bytes = out.subarray(pos, pos + n);
      pos += n;
      return {
        kind: "string",
        bytes,
        form: c === "~" ? "literal8" : "literal",
        raw: out.subarray(start, pos),
      };
    }
    const m = /^[^ ()\r\n]+/.exec(text(pos, pos + 200));
    if (m === null) fail("expected a value");
    pos += m![0].length;
    return m![0] === "NIL"
      ? { kind: "nil", raw: out.subarray(start, pos) }
      : { kind: "atom", text: m![0], raw: out.subarray(start, pos) };
  };
  const label = (): string => {
    const start = pos;
    let depth = 0;
    while (pos < out.length) {
      const c = out[pos]!;
      if (c === 0x5b) depth++;
      else if (c === 0x5d) depth--;
      else if (depth === 0 && (c === 0x20 || c === 0x29)) break;
      pos++;
    }
    return text(start, pos);
  };
  while (pos < out.length) {
    const head = /^\* (\d+) FETCH \(/.exec(text(pos, pos + 40));
    if (head !== null) {
      pos += head[0].length;
      const items = fetches.get(Number(head[1])) ?? new Map<string, ImapValue>();
      fetches.set(Number(head[1]), items);
      for (let first = true; out[pos] !== 0x29; first = false) {
        if (!first) expect(" ");
        const name = label();
        expect(" ");
        const v = value();
        const before = items.get(name);
        if (before !== undefined && before.raw.join() !== v.raw.join()) fail(`${name} differs`);
        items.set(name, v);
      }
      pos++;
      expect("\r\n");
      continue;
    }
    const end = lineEnd();
    const line = text(pos, end).replace(/\r?\n$/, "");
    pos = end;
    const tagged = /^([A-Za-z0-9]+) (.*)$/.exec(line);
    if (tagged !== null) statuses.set(tagged[1]!, tagged[2]!);
  }
  return { statuses, fetches };
}
