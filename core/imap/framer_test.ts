import assert from "node:assert/strict";
import fc from "fast-check";
import { type FramerEvent, ImapFramer, type ImapFramerOptions } from "./framer.ts";
import type { ImapLimits } from "./limits.ts";

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const bytes = (s: string) => encoder.encode(s);

/** A literal as plain data: its data, form and kind. */
type Lit = [data: string, form: "binary" | "text", kind: "sync" | "+"];

/** Events as plain data, bytes as latin1 text, for deepEqual. */
type Plain =
  | { kind: "command"; parts: string[]; literals: Lit[]; bareLf?: true }
  | { kind: "continue" }
  | { kind: "line"; line: string; bareLf?: true }
  | {
    kind: "error";
    code: string;
    tag: string | undefined;
    limit: number;
    actual: number;
    flags: string;
  };

function plain(event: FramerEvent): Plain {
  switch (event.kind) {
    case "command": {
      const { parts, literals, bareLf } = event.command;
      const out = {
        kind: "command" as const,
        parts: parts.map((p) => latin1.decode(p)),
        literals: literals.map((l): Lit => [
          latin1.decode(l.data),
          l.binary ? "binary" : "text",
          l.sync ? "sync" : "+",
        ]),
      };
      return bareLf ? { ...out, bareLf } : out;
    }
    case "continue":
      assert.equal(event.text, "Ready for literal data");
      return { kind: "continue" };
    case "line":
      return event.bareLf
        ? { kind: "line", line: latin1.decode(event.line), bareLf: true }
        : { kind: "line", line: latin1.decode(event.line) };
    case "error": {
      const e = event.error;
      assert.match(e.message, /^Cannot read command: /);
      const flags = [e.fatal && "fatal", e.sync && "sync", e.append && "append"].filter(Boolean);
      return {
        kind: "error",
        code: e.code,
        tag: e.tag,
        limit: e.limit,
        actual: e.actual,
        flags: flags.join(" "),
      };
    }
  }
}

/**
 * Feeds `chunks` as a session would: push each, drain with push() until no events,
 * and switch to line mode after IDLE and AUTHENTICATE commands.
 */
function run(framer: ImapFramer, chunks: Uint8Array[]): Plain[] {
  const out: Plain[] = [];
  const handle = (events: FramerEvent[]) => {
    for (const event of events) {
      out.push(plain(event));
      if (event.kind !== "command") continue;
      const text = latin1.decode(event.command.parts[0]!);
      if (/^\S+ (IDLE|AUTHENTICATE \S+)$/i.test(text)) framer.expectLine();
    }
  };
  for (const chunk of chunks) {
    let events = framer.push(chunk);
    while (events.length > 0) {
      handle(events);
      events = framer.push();
    }
  }
  return out;
}

const options: ImapFramerOptions = { appendLimit: 1000 };

function whole(input: string | Uint8Array, opts = options): Plain[] {
  return run(new ImapFramer(opts), [typeof input === "string" ? bytes(input) : input]);
}

function bytewise(input: string | Uint8Array, opts = options): Plain[] {
  const data = typeof input === "string" ? bytes(input) : input;
  return run(new ImapFramer(opts), [...data].map((b) => Uint8Array.of(b)));
}

/** Frames `input` whole, byte by byte and at every 2-way split; all must agree. */
function frame(input: string, opts = options): Plain[] {
  const expected = whole(input, opts);
  assert.deepEqual(bytewise(input, opts), expected, "byte by byte");
  const data = bytes(input);
  for (let cut = 0; cut <= data.length; cut++) {
    const got = run(new ImapFramer(opts), [data.slice(0, cut), data.slice(cut)]);
    assert.deepEqual(got, expected, `split at ${cut}`);
  }
  return expected;
}

const cmd = (parts: string[], literals: Lit[] = []): Plain => ({
  kind: "command",
  parts,
  literals,
});
const cont: Plain = { kind: "continue" };

function err(
  code: string,
  tag: string | undefined,
  limit: number,
  actual: number,
  flags = "",
): Plain {
  return { kind: "error", code, tag, limit, actual, flags };
}

function limited(limits: Partial<ImapLimits>, appendLimit = 1000): ImapFramerOptions {
  return { appendLimit, limits };
}

Deno.test("ImapFramer.push() frames commands without literals", () => {
  assert.deepEqual(frame("a1 NOOP\r\na2 CAPABILITY\r\n"), [
    cmd(["a1 NOOP"]),
    cmd(["a2 CAPABILITY"]),
  ]);
});

Deno.test("ImapFramer.push() stops after each command and resumes without a chunk", () => {
  const framer = new ImapFramer(options);
  assert.deepEqual(framer.push(bytes("a1 NOOP\r\na2 NOOP\r\na3")).map(plain), [cmd(["a1 NOOP"])]);
  assert.deepEqual(framer.push().map(plain), [cmd(["a2 NOOP"])]);
  assert.deepEqual(framer.push(), []);
  assert.equal(framer.buffered, 0);
  assert.deepEqual(framer.push(bytes(" NOOP\r\n")).map(plain), [cmd(["a3 NOOP"])]);
});

Deno.test("ImapFramer.push() asks for each synchronising literal (RFC 9051 §7.5 example)", () => {
  assert.deepEqual(frame("A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n"), [
    cont,
    cont,
    cmd(["A001 LOGIN {11}", " {7}", ""], [["FRED FOOBAR", "text", "sync"], [
      "fat man",
      "text",
      "sync",
    ]]),
  ]);
});

Deno.test("ImapFramer.push() reads non-synchronising literals without asking (RFC 7888 §3)", () => {
  assert.deepEqual(frame("A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n"), [
    cmd(["A001 LOGIN {11+}", " {7+}", ""], [["FRED FOOBAR", "text", "+"], [
      "fat man",
      "text",
      "+",
    ]]),
  ]);
});

Deno.test("ImapFramer.push() reads literal8 with NUL and CRLF in APPEND (RFC 3516)", () => {
  assert.deepEqual(frame("a APPEND INBOX ~{6}\r\na\0\r\nb\n UTF8 (~{2+}\r\n\0\0)\r\n"), [
    cont,
    cmd(["a APPEND INBOX ~{6}", " UTF8 (~{2+}", ")"], [["a\0\r\nb\n", "binary", "sync"], [
      "\0\0",
      "binary",
      "+",
    ]]),
  ]);
});

Deno.test("ImapFramer.push() handles empty literals and literal text continuing the line", () => {
  assert.deepEqual(frame("a LOGIN {0}\r\n {0+}\r\n\r\nb SELECT {3+}\r\nabc (CONDSTORE)\r\n"), [
    cont,
    cmd(["a LOGIN {0}", " {0+}", ""], [["", "text", "sync"], ["", "text", "+"]]),
    cmd(["b SELECT {3+}", " (CONDSTORE)"], [["abc", "text", "+"]]),
  ]);
});

Deno.test("ImapFramer.push() ignores literal markers that are not at the end of a line", () => {
  assert.deepEqual(frame('a LOGIN {3} x\r\nb SEARCH TEXT "{3}"\r\nc X {3x}\r\n'), [
    cmd(["a LOGIN {3} x"]),
    cmd(['b SEARCH TEXT "{3}"']),
    cmd(["c X {3x}"]),
  ]);
});

Deno.test("ImapFramer.push() reports a bare LF and accepts it", () => {
  assert.deepEqual(frame("a NOOP\nb LOGIN {1+}\nx\r\nc NOOP\r\n"), [
    { kind: "command", parts: ["a NOOP"], literals: [], bareLf: true },
    { kind: "command", parts: ["b LOGIN {1+}", ""], literals: [["x", "text", "+"]], bareLf: true },
    cmd(["c NOOP"]),
  ]);
});

Deno.test("ImapFramer.push() accepts a literal at the limit and refuses one over it", () => {
  const opts = limited({ literalOctets: 5 });
  assert.deepEqual(frame("a LOGIN {5}\r\n12345 x\r\n", opts), [
    cont,
    cmd(["a LOGIN {5}", " x"], [["12345", "text", "sync"]]),
  ]);
  // Synchronising: no continuation, the client sends no data; the next line is a command.
  assert.deepEqual(frame("a LOGIN {6}\r\nb NOOP\r\n", opts), [
    err("LiteralTooLarge", "a", 5, 6, "sync"),
    cmd(["b NOOP"]),
  ]);
});

Deno.test("ImapFramer.push() skips exactly a non-synchronising literal over the limit (RFC 7888 §4)", () => {
  const opts = limited({ literalOctets: 5 });
  // The data looks like commands and literals; it and the rest of the command are
  // dropped, and the stream stays in sync.
  const input = "a LOGIN {16+}\r\nb LOGOUT\r\nc {33} x {2+}\r\n\r\n\r\nd NOOP\r\n";
  assert.deepEqual(frame(input, opts), [
    err("LiteralTooLarge", "a", 5, 16),
    cmd(["d NOOP"]),
  ]);
  // A later synchronising literal in a dropped command ends it: the client waits.
  assert.deepEqual(frame("a X {9+}\r\n123456789 {2}\r\nb NOOP\r\n", opts), [
    err("LiteralTooLarge", "a", 5, 9),
    cmd(["b NOOP"]),
  ]);
});

Deno.test("ImapFramer.push() survives a literal bomb without buffering it", () => {
  const framer = new ImapFramer(limited({ literalOctets: 10 }));
  const events = framer.push(bytes("a LOGIN {1000000000+}\r\n")).map(plain);
  assert.deepEqual(events, [err("LiteralTooLarge", "a", 10, 1_000_000_000)]);
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < 8; i++) assert.deepEqual(framer.push(chunk), []);
  assert.equal(framer.buffered, 0);
});

Deno.test("ImapFramer.push() gives APPEND message data the APPENDLIMIT", () => {
  const opts = limited({ literalOctets: 4 }, 8);
  assert.deepEqual(frame("a APPEND x {8}\r\n12345678\r\n", opts), [
    cont,
    cmd(["a APPEND x {8}", ""], [["12345678", "text", "sync"]]),
  ]);
  assert.deepEqual(frame("a append x (\\Seen) {9}\r\nb NOOP\r\n", opts), [
    err("LiteralTooLarge", "a", 8, 9, "sync append"),
    cmd(["b NOOP"]),
  ]);
  assert.deepEqual(frame("a APPEND x ~{9+}\r\n123456789\r\nb NOOP\r\n", opts), [
    err("LiteralTooLarge", "a", 8, 9, "append"),
    cmd(["b NOOP"]),
  ]);
  // The mailbox name is not message data.
  assert.deepEqual(frame("a APPEND {5}\r\nb NOOP\r\n", opts), [
    err("LiteralTooLarge", "a", 4, 5, "sync"),
    cmd(["b NOOP"]),
  ]);
});

Deno.test("ImapFramer.push() limits the literals per command", () => {
  const opts = limited({ literals: 2 });
  assert.deepEqual(frame("a X {1+}\r\n1 {1+}\r\n2\r\n", opts), [
    cmd(["a X {1+}", " {1+}", ""], [["1", "text", "+"], ["2", "text", "+"]]),
  ]);
  assert.deepEqual(frame("a X {1+}\r\n1 {1+}\r\n2 {1+}\r\n3\r\nb NOOP\r\n", opts), [
    err("TooManyLiterals", "a", 2, 3),
    cmd(["b NOOP"]),
  ]);
});

Deno.test("ImapFramer.push() limits the size of a whole command", () => {
  const opts = limited({ commandOctets: 30 });
  // 14 octets of text before the literal's data.
  assert.deepEqual(frame("a LOGIN {17}\r\nb NOOP\r\n", opts), [
    err("CommandTooLarge", "a", 30, 31, "sync"),
    cmd(["b NOOP"]),
  ]);
  assert.deepEqual(frame("a LOGIN {16}\r\n1234567890123456\r\n", opts), [
    cont,
    cmd(["a LOGIN {16}", ""], [["1234567890123456", "text", "sync"]]),
  ]);
});

Deno.test("ImapFramer.push() accepts command text at the limit and closes past it", () => {
  const opts = limited({ commandLineOctets: 14 });
  assert.deepEqual(frame("a LOGIN wxyz\r\n", opts), [cmd(["a LOGIN wxyz"])]);
  assert.deepEqual(frame("a LOGIN vwxyz\r\nb NOOP\r\n", opts), [
    err("LineTooLong", "a", 14, 15, "fatal"),
  ]);
  // Text of every line of the command counts; literal data does not.
  assert.deepEqual(frame("a X {2+}\r\n12 y\r\n", opts), [
    cmd(["a X {2+}", " y"], [["12", "text", "+"]]),
  ]);
  assert.deepEqual(frame("a X {2+}\r\n12 yz\r\n", opts), [
    err("LineTooLong", "a", 14, 15, "fatal"),
  ]);
  // No tag when the line has none.
  assert.deepEqual(frame("\x01bad line here\r\n", opts), [
    err("LineTooLong", undefined, 14, 15, "fatal"),
  ]);
});

Deno.test("ImapFramer.push() returns nothing more after a fatal error", () => {
  const framer = new ImapFramer(limited({ commandLineOctets: 8 }));
  assert.equal(framer.push(bytes("a 1234567890")).length, 1);
  assert.deepEqual(framer.push(bytes("\r\nb NOOP\r\n")), []);
});

Deno.test("ImapFramer.push() refuses a literal size that is not a number64", () => {
  const big = "99999999999999999999";
  assert.deepEqual(frame(`a LOGIN {${big}}\r\nb NOOP\r\n`), [
    err("BadLiteral", "a", Number(2n ** 63n - 1n), Infinity, "sync"),
    cmd(["b NOOP"]),
  ]);
  // A non-synchronising one cannot be skipped.
  assert.deepEqual(frame(`a LOGIN {${big}+}\r\nb NOOP\r\n`), [
    err("BadLiteral", "a", Number(2n ** 63n - 1n), Infinity, "fatal"),
  ]);
  // Leading zeros are allowed (RFC 9051 §9 number64 = 1*DIGIT).
  assert.deepEqual(frame("a LOGIN {0000000000000000000001+}\r\nx\r\n"), [
    cmd(["a LOGIN {0000000000000000000001+}", ""], [["x", "text", "+"]]),
  ]);
});

Deno.test("ImapFramer.expectLine() reads one SASL response line raw", () => {
  // Pipelined with the command, the line is still read in line mode.
  assert.deepEqual(frame("a AUTHENTICATE PLAIN\r\nAGZyZWQAe30=\r\nb NOOP {1}\r\n"), [
    cmd(["a AUTHENTICATE PLAIN"]),
    { kind: "line", line: "AGZyZWQAe30=" },
    cont,
  ]);
  assert.deepEqual(frame("a AUTHENTICATE PLAIN\r\n*\nb NOOP\r\n"), [
    cmd(["a AUTHENTICATE PLAIN"]),
    { kind: "line", line: "*", bareLf: true },
    cmd(["b NOOP"]),
  ]);
});

Deno.test("ImapFramer.expectLine() reads IDLE's DONE", () => {
  assert.deepEqual(frame("a IDLE\r\ndone\r\nb NOOP\r\n"), [
    cmd(["a IDLE"]),
    { kind: "line", line: "done" },
    cmd(["b NOOP"]),
  ]);
});

Deno.test("ImapFramer.expectLine() skips a line over its limit and goes on", () => {
  const opts = limited({ lineModeOctets: 6 });
  assert.deepEqual(frame("a IDLE\r\nDONE\r\n", opts), [cmd(["a IDLE"]), {
    kind: "line",
    line: "DONE",
  }]);
  assert.deepEqual(frame("a IDLE\r\nDONE {5}\r\nb NOOP\r\n", opts), [
    cmd(["a IDLE"]),
    err("LineTooLong", undefined, 6, 7),
    cmd(["b NOOP"]),
  ]);
});

Deno.test("ImapFramer.expectLine() throws while a command is partly read", () => {
  const framer = new ImapFramer(options);
  framer.push(bytes("a LOGIN {3}\r\n"));
  assert.throws(() => framer.expectLine(), /^Error: Cannot expect a line: /);
});

Deno.test("ImapFramer.reset() returns the unread input, defeating STARTTLS command injection", () => {
  const framer = new ImapFramer(options);
  const events = framer.push(bytes("a STARTTLS\r\nb LOGIN mallory secret\r\nc NO"));
  assert.deepEqual(events.map(plain), [cmd(["a STARTTLS"])]);
  assert.equal(latin1.decode(framer.reset()), "b LOGIN mallory secret\r\nc NO");
  assert.deepEqual(framer.push(), []);
  assert.deepEqual(framer.push(bytes("d NOOP\r\n")).map(plain), [cmd(["d NOOP"])]);
});

Deno.test("ImapFramer.push() joins a literal sent in several chunks once", () => {
  const framer = new ImapFramer(options);
  const chunks = ["a APPEND x {10+}\r\n01", "234", "56789", "\r\n"].map(bytes);
  const events = chunks.flatMap((c) => framer.push(c));
  assert.equal(events.length, 1);
  const command = events[0]!.kind === "command" ? events[0]!.command : assert.fail();
  assert.equal(latin1.decode(command.literals[0]!.data), "0123456789");
  // Received in one chunk, the data is a view of it, not a copy.
  const chunk = bytes("a APPEND x {3+}\r\nabc\r\n");
  const [one] = new ImapFramer(options).push(chunk);
  assert.ok(one?.kind === "command");
  assert.equal(one.command.literals[0]!.data.buffer, chunk.buffer);
});

// Pieces of input for the property test: commands of every shape, including ones that
// break limits, bare LFs and garbage.
const pieces = [
  "a NOOP\r\n",
  "b LOGIN {5}\r\nhello {3+}\r\nabc\r\n",
  "c APPEND x (\\Seen) ~{4}\r\n\0\r\n\n\r\n",
  "d IDLE\r\nDONE\r\n",
  "e AUTHENTICATE PLAIN\r\nAGZyZWQAe30=\r\n",
  "f LOGIN {40+}\r\n",
  "g LOGIN {40}\r\n",
  "h X {99999999999999999999}\r\n",
  "i NOOP\n",
  "\r\n",
  "{",
  "}",
  "{3+}\r\n",
  "{2}\r\n",
  " ",
  "\0\xff",
  "j APPEND x {30}\r\n",
  "k SEARCH TEXT {1+}\r\n",
];

Deno.test("ImapFramer.push() gives the same events however the input is split", () => {
  const opts = limited({ literalOctets: 20, commandLineOctets: 80, literals: 3 }, 25);
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...pieces), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (chosen, cutSeeds) => {
        const input = bytes(chosen.join(""));
        const cuts = [...new Set(cutSeeds.map((n) => n % (input.length + 1)))].sort((a, b) =>
          a - b
        );
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const cut of cuts) {
          chunks.push(input.slice(at, cut));
          at = cut;
        }
        chunks.push(input.slice(at));
        const expected = whole(input, opts);
        assert.deepEqual(run(new ImapFramer(opts), chunks), expected);
        assert.deepEqual(bytewise(input, opts), expected);
      },
    ),
    { numRuns: 200 },
  );
});
