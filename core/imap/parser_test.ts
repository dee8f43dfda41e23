import assert from "node:assert/strict";
import fc from "fast-check";
import { ImapFramer } from "./framer.ts";
import { isIdleDone, parseCommand, ParseError, parseSaslResponse } from "./parser.ts";
import { bad, bytes, frameOne, ok } from "./_parse_testing.ts";

// RFC 9051 §6.1 and the commands without arguments.

Deno.test("parseCommand() reads commands without arguments, in any case", () => {
  for (
    const name of [
      "CAPABILITY",
      "NOOP",
      "LOGOUT",
      "STARTTLS",
      "NAMESPACE",
      "IDLE",
      "CHECK",
      "CLOSE",
      "UNSELECT",
      "EXPUNGE",
    ]
  ) {
    const expected = name === "EXPUNGE"
      ? { name, tag: "a1", uid: false, set: undefined }
      : { name, tag: "a1" };
    assert.deepEqual(ok(`a1 ${name}`), expected);
    assert.deepEqual(ok(`a1 ${name.toLowerCase()}`), expected);
    assert.equal(bad(`a1 ${name} x`).tag, "a1");
  }
  assert.deepEqual(ok("abcd CAPABILITY"), { name: "CAPABILITY", tag: "abcd" });
  assert.deepEqual(ok("a000 starttls"), { name: "STARTTLS", tag: "a000" });
});

Deno.test("parseCommand() reads AUTHENTICATE with and without an initial response", () => {
  assert.deepEqual(ok("A001 AUTHENTICATE scram-sha-256"), {
    name: "AUTHENTICATE",
    tag: "A001",
    mechanism: "SCRAM-SHA-256",
    initialResponse: undefined,
  });
  // RFC 9051 §8 sample connection.
  const ir = "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=";
  assert.deepEqual(ok(`A001 AUTHENTICATE SCRAM-SHA-256 ${ir}`), {
    name: "AUTHENTICATE",
    tag: "A001",
    mechanism: "SCRAM-SHA-256",
    initialResponse: ir,
  });
  // RFC 4959 §3: "=" is an empty initial response.
  assert.equal((ok("a AUTHENTICATE PLAIN =") as { initialResponse: string }).initialResponse, "");
  bad("a AUTHENTICATE PLAIN dGVzdA");
  bad("a AUTHENTICATE PLAIN dGVz dA==");
  bad("a AUTHENTICATE PLAIN ");
  bad("a AUTHENTICATE");
});

Deno.test("parseSaslResponse() reads base64 or the cancel line", () => {
  assert.deepEqual(parseSaslResponse(bytes("*")), { kind: "cancel" });
  assert.deepEqual(parseSaslResponse(bytes("")), { kind: "response", base64: "" });
  assert.deepEqual(parseSaslResponse(bytes("AGZyZWQAe30=")), {
    kind: "response",
    base64: "AGZyZWQAe30=",
  });
  const error = parseSaslResponse(bytes("not base64!"));
  assert.ok(error instanceof ParseError);
  assert.equal(error.code, "Syntax");
});

Deno.test("isIdleDone() accepts DONE in any case and nothing else", () => {
  assert.ok(isIdleDone(bytes("DONE")));
  assert.ok(isIdleDone(bytes("done")));
  assert.ok(!isIdleDone(bytes("DONE ")));
  assert.ok(!isIdleDone(bytes("a1 NOOP")));
});

Deno.test("parseCommand() reads LOGIN with atoms, quoted strings and literals", () => {
  assert.deepEqual(ok("a001 LOGIN SMITH SESAME"), {
    name: "LOGIN",
    tag: "a001",
    username: "SMITH",
    password: "SESAME",
  });
  // RFC 9051 §7.6 example, and RFC 7888 §3 with non-synchronising literals.
  for (
    const input of [
      "A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man",
      'A001 LOGIN "FRED FOOBAR" {7+}\r\nfat man',
    ]
  ) {
    assert.deepEqual(ok(input), {
      name: "LOGIN",
      tag: "A001",
      username: "FRED FOOBAR",
      password: "fat man",
    });
  }
  assert.deepEqual(ok('a LOGIN "a\\"b" "c\\\\d\u00e9"'), {
    name: "LOGIN",
    tag: "a",
    username: 'a"b',
    password: "c\\d\u00e9",
  });
  bad('a LOGIN "a\\nb" x');
  bad('a LOGIN "abc x');
  bad("a LOGIN x");
  bad("a LOGIN x  y");
  bad("a LOGIN (x) y");
  // RFC 9051 §9 CHAR8: NUL is not allowed in a literal; literal8 is for APPEND only.
  bad("a LOGIN {3+}\r\na\0b x");
  bad("a LOGIN ~{3+}\r\nabc x");
  bad(Uint8Array.of(...bytes("a LOGIN {2+}\r\n"), 0xc3, 0x28, ...bytes(" x\r\n")), "BadUtf8");
});

Deno.test("parseCommand() reads ENABLE (RFC 5161 example)", () => {
  assert.deepEqual(ok("t2 ENABLE CONDSTORE X-GOOD-IDEA"), {
    name: "ENABLE",
    tag: "t2",
    capabilities: ["CONDSTORE", "X-GOOD-IDEA"],
  });
  assert.deepEqual(ok("babc enable imap4rev2"), {
    name: "ENABLE",
    tag: "babc",
    capabilities: ["IMAP4REV2"],
  });
  bad("a ENABLE");
});

// Extensions.

Deno.test("parseCommand() reads ID (RFC 2971 examples) within its limits", () => {
  assert.deepEqual(ok('a023 ID ("name" "sodr" "version" "19.34" "vendor" NIL)'), {
    name: "ID",
    tag: "a023",
    params: [["name", "sodr"], ["version", "19.34"], ["vendor", null]],
  });
  assert.deepEqual(ok("a ID NIL"), { name: "ID", tag: "a", params: null });
  assert.deepEqual(ok("a ID ()"), { name: "ID", tag: "a", params: [] });
  const pairs = (n: number) =>
    `a ID (${Array.from({ length: n }, (_, i) => `"f${i}" "v"`).join(" ")})`;
  ok(pairs(30));
  assert.equal(bad(pairs(31), "LimitExceeded").limit, "idPairs");
  ok(`a ID ("${"f".repeat(30)}" "${"v".repeat(1024)}")`);
  assert.equal(bad(`a ID ("${"f".repeat(31)}" NIL)`, "LimitExceeded").limit, "idFieldOctets");
  assert.equal(bad(`a ID ("f" "${"é".repeat(513)}")`, "LimitExceeded").limit, "idValueOctets");
  bad('a ID ("name")');
  bad("a ID (name x)");
});

Deno.test("parseCommand() reads the QUOTA commands (RFC 9208 examples)", () => {
  assert.deepEqual(ok('G0001 GETQUOTA "!partition/sda4"'), {
    name: "GETQUOTA",
    tag: "G0001",
    root: "!partition/sda4",
  });
  assert.deepEqual(ok("G0002 GETQUOTAROOT inbox"), {
    name: "GETQUOTAROOT",
    tag: "G0002",
    mailbox: "INBOX",
  });
  assert.deepEqual(ok('S0000 SETQUOTA "User quota" (STORAGE 512 message 1000)'), {
    name: "SETQUOTA",
    tag: "S0000",
    root: "User quota",
    limits: [{ resource: "STORAGE", limit: 512 }, { resource: "MESSAGE", limit: 1000 }],
  });
  assert.deepEqual(ok('S SETQUOTA "" ()'), { name: "SETQUOTA", tag: "S", root: "", limits: [] });
  bad('S SETQUOTA "" (STORAGE 1 STORAGE 2)');
  bad('S SETQUOTA "" (STORAGE)');
});

Deno.test("parseCommand() reads COMPRESS DEFLATE only (RFC 4978)", () => {
  assert.deepEqual(ok("a COMPRESS deflate"), { name: "COMPRESS", tag: "a", algorithm: "DEFLATE" });
  bad("a COMPRESS GZIP");
  bad("a COMPRESS");
});

// Errors.

Deno.test("parseCommand() reports the tag, verb and position of errors", () => {
  const noTag = bad("", "BadTag");
  assert.equal(noTag.tag, undefined);
  assert.equal(bad("+a NOOP", "BadTag").tag, undefined);
  assert.equal(bad("a]b NOOP", "BadTag").tag, undefined);
  assert.equal(bad(" NOOP", "BadTag").tag, undefined);
  const noVerb = bad("a1");
  assert.equal(noVerb.tag, "a1");
  assert.equal(noVerb.position, 2);
  const unknown = bad("a1 BLURDYBLOOP x", "UnknownCommand");
  assert.deepEqual([unknown.tag, unknown.verb, unknown.position], ["a1", "BLURDYBLOOP", 3]);
  const uid = bad("a1 UID NOOP", "UnknownCommand");
  assert.equal(uid.verb, "UID NOOP");
  bad("a1 UID LOGIN a b", "UnknownCommand");
  const late = bad("a1 FETCH 1 (FLAGS FOO)");
  assert.deepEqual([late.verb, late.position], ["FETCH", 18]);
  bad("a1  NOOP");
  bad("a1\tNOOP", "BadTag");
  bad(Uint8Array.of(...bytes("a1 LOGIN \xff x"), 0xff, 13, 10), "BadUtf8");
});

/** Real commands to mutate in the property test. */
const seeds = [
  'A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
  "A654 FETCH 2:4 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (DATE FROM)]<0.100>) (CHANGEDSINCE 5)",
  "A150 UID STORE 1:2 (UNCHANGEDSINCE 96) +FLAGS.SILENT (\\Seen $x)",
  'a LIST (SUBSCRIBED) "" ("a" b%) RETURN (STATUS (MESSAGES) CHILDREN)',
  "A142 SELECT INBOX (QRESYNC (3857529045 20010715194032001 1:198 (1,3 4:5)))",
  'a APPEND x (\\Seen) " 7-Feb-1994 22:43:04 -0800" {3+}\r\nabc UTF8 (~{1+}\r\nb)',
  'a023 ID ("name" "sodr" "version" NIL)',
  "a SORT (REVERSE DATE) UTF-8 OR (SEEN) NOT MODSEQ 5",
  'a LOGIN {3+}\r\nabc "d\\\\e"',
  "t2 CREATE x (USE (\\Drafts))",
];

function mutate(seed: string, edits: [number, number, string][]): string {
  let text = seed;
  for (const [at, remove, insert] of edits) {
    const i = at % (text.length + 1);
    text = text.slice(0, i) + insert + text.slice(i + remove % 4);
  }
  return text;
}

Deno.test("parseCommand() returns a command or a ParseError for any input", () => {
  const framer = new ImapFramer({ appendLimit: 1 << 16, limits: { commandLineOctets: 4096 } });
  const check = (input: Uint8Array) => {
    framer.reset();
    let events = framer.push(input);
    while (events.length > 0) {
      for (const event of events) {
        if (event.kind !== "command") continue;
        const result = parseCommand(event.command);
        assert.ok(result instanceof ParseError || typeof result.name === "string");
      }
      events = framer.push();
    }
  };
  const piece = fc.constantFrom(
    " ",
    "(",
    ")",
    "{1+}\r\n",
    "~{2}\r\n",
    '"',
    "\\",
    "*",
    "$",
    "NIL",
    "1",
    ":",
    ",",
    "[",
    "]",
    "<",
    ">",
    ".",
    "\r\n",
    "\0",
    "é",
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.oneof(piece, fc.string({ maxLength: 3 }))), {
        maxLength: 6,
      }),
      (seed, edits) => check(bytes(`${mutate(seed, edits)}\r\n`)),
    ),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      (data) => check(Uint8Array.of(...bytes("a "), ...data)),
    ),
    { numRuns: 300 },
  );
});

Deno.test("parseCommand() takes linear time on long inputs", () => {
  // Each input is about 60 KiB, within the command line limit. Anything quadratic
  // would take seconds; linear parsing takes a few milliseconds.
  const n = 60_000;
  const inputs = [
    `a SEARCH ${"ALL ".repeat(n / 4)}ALL`,
    `a SEARCH ${"(ALL) ".repeat(n / 6)}ALL`,
    `a SEARCH ${"(".repeat(n)}`,
    `a SEARCH ${"NOT ".repeat(n / 4)}ALL`,
    `a SEARCH TEXT "${'\\"'.repeat(n / 2)}"`,
    `a FETCH ${"1:2,".repeat(n / 4)}3 FLAGS`,
    `a FETCH 1 (${"BODY[1.2.3] ".repeat(n / 12)}FLAGS)`,
    `a SETQUOTA x (${Array.from({ length: n / 10 }, (_, i) => `R${i} 1`).join(" ")})`,
    `a LOGIN ${"x".repeat(n)} y`,
    `a AUTHENTICATE PLAIN ${"A".repeat(n)}=`,
    `a STORE 1 FLAGS (${"$a ".repeat(n / 3)})`,
    `a ENABLE ${"X ".repeat(n / 2)}Y`,
    `a SEARCH ${"1".repeat(n)}`,
    `a LIST "" (${'"%" '.repeat(n / 4)})`,
    `${"a".repeat(n)} NOOP`,
  ];
  const limits = { sequenceRanges: n };
  for (const input of inputs) {
    const framed = frameOne(input);
    const start = performance.now();
    parseCommand(framed, { limits });
    const ms = performance.now() - start;
    assert.ok(ms < 250, `${input.slice(0, 30)}…: ${ms} ms`);
  }
});

Deno.test("parseCommand() takes linear time on long repetitive inputs", () => {
  const unit = fc.constantFrom(
    "(",
    ")",
    " ",
    "ALL",
    "NOT ",
    "OR ",
    '"',
    "\\",
    "1",
    ":",
    ",",
    "*",
    "{",
  );
  fc.assert(
    fc.property(fc.array(unit, { minLength: 1, maxLength: 8 }), (units) => {
      const block = units.join("");
      const framed = frameOne(`a SEARCH ${block.repeat(Math.ceil(30_000 / block.length))}`);
      const start = performance.now();
      parseCommand(framed);
      const ms = performance.now() - start;
      assert.ok(ms < 250, `${JSON.stringify(block)}: ${ms} ms`);
    }),
    { numRuns: 40 },
  );
});
