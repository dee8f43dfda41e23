import assert from "node:assert/strict";
import fc from "fast-check";
import {
  configureLogging,
  type Fields,
  type FieldValue,
  formatLogfmt,
  type LogConfig,
  logger,
} from "./log.ts";

const t0 = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6));
const prefix = "time=2025-01-02T03:04:05.006Z level=info pkg=p msg=m";

/** Captures records written under `config`; restores the default config on dispose. */
function capture(config: LogConfig): { lines: string[] } & Disposable {
  const lines: string[] = [];
  configureLogging(config, (line) => lines.push(line));
  return {
    lines,
    [Symbol.dispose]() {
      configureLogging({ level: "info", packages: {} });
    },
  };
}

/** Drops the `time=…` key so records can be compared exactly. */
function untimed(line: string): string {
  assert.match(line, /^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
  return line.replace(/^time=\S+ /, "");
}

/** Minimal logfmt parser (the inverse of our escaping) for round-trip checks. */
function parseLogfmt(line: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const re = /([^ =]+)=(?:"((?:[^"\\]|\\(?:x[0-9a-f]{2}|u\{[0-9a-f]+\}|.))*)"|([^ ]*))(?: |$)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(line)) !== null && m[0] !== "") {
    const [, key = "", quoted, plain = ""] = m;
    const value = quoted === undefined ? plain : quoted.replace(
      /\\(x[0-9a-f]{2}|u\{[0-9a-f]+\}|.)/g,
      (_, e: string) => {
        if (e.startsWith("x")) return String.fromCharCode(parseInt(e.slice(1), 16));
        if (e.startsWith("u{")) return String.fromCharCode(parseInt(e.slice(2, -1), 16));
        return ({ n: "\n", r: "\r", t: "\t" } as Record<string, string>)[e] ?? e;
      },
    );
    out.push([key, value]);
    end = re.lastIndex;
  }
  assert.equal(end, line.length, `unparsed rest: ${JSON.stringify(line.slice(end))}`);
  return out;
}

Deno.test("formatLogfmt() quotes and escapes values when needed", () => {
  const table: Array<[FieldValue, string]> = [
    ["plain", "plain"],
    ["a\\b", "a\\b"],
    ["", '""'],
    ["two words", '"two words"'],
    ["a=b", '"a=b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash and space", '"back\\\\slash and space"'],
    ["l1\nl2\r\n\tx", '"l1\\nl2\\r\\n\\tx"'],
    ["nul\x00bel\x07del\x7f", '"nul\\x00bel\\x07del\\x7f"'],
    ["c1\x85", '"c1\\x85"'],
    ["ls\u2028ps\u2029", '"ls\\u{2028}ps\\u{2029}"'],
    ["bidi\u202e", '"bidi\\u{202e}"'],
    ["lone\ud800x", '"lone\\u{d800}x"'],
    ["pair\u{1f600}", '"pair\u{1f600}"'],
    ["café", '"café"'],
    ["nbsp\u00a0", '"nbsp\u00a0"'],
    [42, "42"],
    [-1.5, "-1.5"],
    [12345678901234567890n, "12345678901234567890"],
    [true, "true"],
    [false, "false"],
    [null, "null"],
    [new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)), "2024-02-29T23:59:59.999Z"],
    [new Date(NaN), "invalid"],
    [new Error("disk full"), '"disk full"'],
  ];
  for (const [value, want] of table) {
    assert.equal(
      formatLogfmt(t0, "info", "p", "m", { v: value }),
      `${prefix} v=${want}`,
      `value ${String(value)}`,
    );
  }
});

Deno.test("formatLogfmt() writes fixed keys, then cid, then fields in insertion order", () => {
  const line = formatLogfmt(t0, "warn", "smtp.session", "Cannot deliver: mailbox full", {
    rcpt: "bob@example.org",
    cid: "c-1",
    attempt: 3,
    skipped: undefined,
    msg: "shadow",
  });
  assert.equal(
    line,
    'time=2025-01-02T03:04:05.006Z level=warn pkg=smtp.session msg="Cannot deliver: mailbox full"' +
      " cid=c-1 rcpt=bob@example.org attempt=3 _msg=shadow",
  );
  assert.deepEqual(
    parseLogfmt(line).map(([k]) => k),
    ["time", "level", "pkg", "msg", "cid", "rcpt", "attempt", "_msg"],
  );
});

Deno.test("formatLogfmt() adds an Error's stack only at error level", () => {
  const err = new Error("boom");
  const atError = formatLogfmt(t0, "error", "p", "m", { err, cause: err });
  const [, , , , e, stack, cause, causeStack] = parseLogfmt(atError);
  assert.deepEqual(e, ["err", "boom"]);
  assert.equal(stack?.[0], "stack");
  assert.match(stack?.[1] ?? "", /^Error: boom\n {4}at /);
  assert.deepEqual(cause, ["cause", "boom"]);
  assert.equal(causeStack?.[0], "cause.stack");
  assert.ok(!atError.includes("\n"));

  const atWarn = formatLogfmt(t0, "warn", "p", "m", { err });
  assert.equal(untimed(atWarn), "level=warn pkg=p msg=m err=boom");
});

Deno.test("formatLogfmt() writes one line starting with time= for any input", () => {
  const nasty = fc.string({
    unit: fc.oneof(
      fc.constantFrom(
        "\n",
        "\r",
        "\u2028",
        "\u2029",
        "\x85",
        '"',
        "\\",
        "=",
        " ",
        "\ud800",
        "\udc00",
      ),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.string({ unit: "binary", maxLength: 1 }),
    ),
    maxLength: 40,
  });
  const value: fc.Arbitrary<FieldValue> = fc.oneof(
    nasty,
    fc.double(),
    fc.bigInt(),
    fc.boolean(),
    fc.constantFrom(null, undefined),
    nasty.map((m) => new Error(m)),
    fc.date({ noInvalidDate: false }),
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...(["error", "info", "tracedata"] as const)),
      nasty,
      nasty,
      fc.dictionary(nasty, value, { maxKeys: 5 }),
      (level, pkg, msg, fields: Fields) => {
        const line = formatLogfmt(t0, level, pkg, msg, fields);
        assert.ok(line.startsWith("time="));
        assert.ok(!/[\n\r\u2028\u2029\x85]/.test(line), JSON.stringify(line));
        const parsed = parseLogfmt(line);
        assert.deepEqual(parsed.slice(0, 4), [
          ["time", "2025-01-02T03:04:05.006Z"],
          ["level", level],
          ["pkg", pkg],
          ["msg", msg],
        ]);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("Logger.enabled() follows per-package levels with prefix matching", () => {
  using _ = capture({
    level: "info",
    packages: { smtp: "debug", "smtp.session": "trace", imap: "error" },
  });
  const cases: Array<[string, string, boolean]> = [
    ["store", "info", true],
    ["store", "debug", false],
    ["smtp", "debug", true],
    ["smtp", "trace", false],
    ["smtp.framer", "debug", true],
    ["smtp.session", "trace", true],
    ["smtp.session.auth", "trace", true],
    ["smtp.session", "traceauth", false],
    ["smtpx", "debug", false],
    ["imap", "warn", false],
    ["imap", "error", true],
  ];
  for (const [pkg, level, want] of cases) {
    assert.equal(logger(pkg).enabled(level as "info"), want, `${pkg} at ${level}`);
  }
});

Deno.test("logger() picks up reconfiguration after it was created", () => {
  const lines: string[] = [];
  const log = logger("queue");
  try {
    configureLogging({ level: "warn", packages: {} }, (l) => lines.push(l));
    log.info("one");
    configureLogging({ level: "warn", packages: { queue: "info" } }, (l) => lines.push(l));
    log.info("two");
  } finally {
    configureLogging({ level: "info", packages: {} });
  }
  assert.deepEqual(lines.map(untimed), ["level=info pkg=queue msg=two"]);
});

Deno.test("configureLogging() throws on an unknown level", () => {
  assert.throws(
    () => configureLogging({ level: "verbose" as "info", packages: {} }),
    TypeError,
  );
  assert.throws(
    () => configureLogging({ level: "info", packages: { smtp: "loud" as "info" } }),
    /Cannot configure logging: unknown level "loud" for package smtp/,
  );
});

Deno.test("Logger.with() merges fields; call fields override fixed ones", () => {
  using cap = capture({ level: "debug", packages: {} });
  const base = logger("imap", { cid: "c9", user: "alice" });
  const child = base.with({ mailbox: "INBOX", user: "bob" });
  child.debug("select", { count: 3, mailbox: "Archive" });
  base.error("plain");
  assert.deepEqual(cap.lines.map(untimed), [
    "level=debug pkg=imap msg=select cid=c9 user=bob mailbox=Archive count=3",
    "level=error pkg=imap msg=plain cid=c9 user=alice",
  ]);
});

Deno.test("Logger methods log at their level and skip disabled ones", () => {
  using cap = capture({ level: "warn", packages: {} });
  const log = logger("p");
  log.error("e");
  log.warn("w");
  log.info("i");
  log.debug("d");
  log.trace("t");
  assert.deepEqual(cap.lines.map(untimed), ["level=error pkg=p msg=e", "level=warn pkg=p msg=w"]);
});

Deno.test("Logger.traceProtocol() redacts auth below traceauth and data below tracedata", () => {
  const transcript = (level: "debug" | "trace" | "traceauth" | "tracedata"): string[] => {
    using cap = capture({ level: "info", packages: { smtp: level } });
    const log = logger("smtp", { cid: 1 });
    log.traceProtocol("C", "EHLO example.org");
    log.traceProtocol("S", "250 ok");
    log.traceProtocol("C", "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "auth");
    log.traceProtocol("C", "Subject: hi\r\n\r\nbody", "data");
    return cap.lines.map(untimed);
  };
  assert.deepEqual(transcript("debug"), []);
  assert.deepEqual(transcript("trace"), [
    'level=trace pkg=smtp msg="C: EHLO example.org" cid=1',
    'level=trace pkg=smtp msg="S: 250 ok" cid=1',
    'level=trace pkg=smtp msg="C: ***" cid=1',
  ]);
  assert.deepEqual(transcript("traceauth"), [
    'level=trace pkg=smtp msg="C: EHLO example.org" cid=1',
    'level=trace pkg=smtp msg="S: 250 ok" cid=1',
    'level=traceauth pkg=smtp msg="C: AUTH PLAIN AGFsaWNlAHNlY3JldA==" cid=1',
  ]);
  assert.deepEqual(transcript("tracedata"), [
    'level=trace pkg=smtp msg="C: EHLO example.org" cid=1',
    'level=trace pkg=smtp msg="S: 250 ok" cid=1',
    'level=traceauth pkg=smtp msg="C: AUTH PLAIN AGFsaWNlAHNlY3JldA==" cid=1',
    'level=tracedata pkg=smtp msg="C: Subject: hi\\r\\n\\r\\nbody" cid=1',
  ]);
});

Deno.test("Logger does not throw when the sink throws", () => {
  try {
    configureLogging({ level: "info", packages: {} }, () => {
      throw new Error("sink broken");
    });
    logger("p").info("lost");
  } finally {
    configureLogging({ level: "info", packages: {} });
  }
});

Deno.test("default sink writes to stderr from a worker with permissions none", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./testdata/log_host.ts", import.meta.url).pathname],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const records = stderr.split("\n").filter((l) => l.startsWith("time="));
  assert.deepEqual(records.map(untimed), [
    'level=info pkg=worker.test msg="hello from worker" cid=7 env=NotCapable',
  ]);
});
