import assert from "node:assert/strict";
import type { ImapLimits } from "./limits.ts";
import { bad, ok, set } from "./_parse_testing.ts";

// RFC 9051 §6.4: selected state.

Deno.test("parseCommand() reads UID EXPUNGE (RFC 4315)", () => {
  assert.deepEqual(ok("A003 UID EXPUNGE 3000:3002"), {
    name: "EXPUNGE",
    tag: "A003",
    uid: true,
    set: set([3000, 3002]),
  });
  bad("A003 UID EXPUNGE");
  bad("A003 EXPUNGE 1:2");
});

Deno.test("parseCommand() reads sequence sets with *, ranges in any order and $", () => {
  const copy = ok("A003 COPY 2,4:7,9,12:*,*:4,* MEETING");
  assert.deepEqual(copy, {
    name: "COPY",
    tag: "A003",
    uid: false,
    set: set([2], [4, 7], [9], [12, "*"], ["*", 4], ["*"]),
    mailbox: "MEETING",
  });
  // RFC 5182 §2: "$" is the saved search result.
  assert.deepEqual(ok("a UID MOVE $ INBOX"), {
    name: "MOVE",
    tag: "a",
    uid: true,
    set: { kind: "saved" },
    mailbox: "INBOX",
  });
  for (const s of ["0", "1:0", "01", "1,", ",1", "1::2", "$,1", "1,$", "4294967296", "-1"]) {
    bad(`a COPY ${s} x`);
  }
  assert.deepEqual((ok("a COPY 4294967295 x") as { set: unknown }).set, set([4294967295]));
});

Deno.test("parseCommand() limits the ranges of a sequence set", () => {
  const limits: Partial<ImapLimits> = { sequenceRanges: 3 };
  ok("a FETCH 1,2:3,* FLAGS", { limits });
  const error = bad("a FETCH 1,2:3,*,5 FLAGS", "LimitExceeded", { limits });
  assert.equal(error.limit, "sequenceRanges");
  assert.equal(error.verb, "FETCH");
});

Deno.test("parseCommand() reads FETCH items (RFC 9051 §6.4.5 and §8 examples)", () => {
  assert.deepEqual(ok("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])"), {
    name: "FETCH",
    tag: "A654",
    uid: false,
    set: set([2, 4]),
    items: [
      { item: "FLAGS" },
      {
        item: "BODY[]",
        section: {
          part: [],
          text: { kind: "HEADER.FIELDS", not: false, fields: ["DATE", "FROM"] },
        },
        partial: undefined,
        peek: false,
      },
    ],
    changedSince: undefined,
    vanished: false,
  });
  const items = (input: string) => {
    const command = ok(input);
    assert.ok(command.name === "FETCH");
    return command.items;
  };
  assert.deepEqual(items("a003 fetch 12 full"), [
    { item: "FLAGS" },
    { item: "INTERNALDATE" },
    { item: "RFC822.SIZE" },
    { item: "ENVELOPE" },
    { item: "BODY" },
  ]);
  assert.deepEqual(items("a FETCH 1 ALL").length, 4);
  assert.deepEqual(items("a FETCH 1 fast").length, 3);
  assert.deepEqual(items("a004 fetch 12 body[header]"), [
    {
      item: "BODY[]",
      section: { part: [], text: { kind: "HEADER" } },
      partial: undefined,
      peek: false,
    },
  ]);
  const simple =
    "ENVELOPE FLAGS INTERNALDATE RFC822.SIZE BODY BODYSTRUCTURE UID RFC822 RFC822.HEADER RFC822.TEXT MODSEQ SAVEDATE";
  assert.deepEqual(
    items(`a FETCH 1 (${simple.toLowerCase()})`),
    simple.split(" ").map((item) => ({ item })),
  );
  assert.deepEqual(
    items(
      "a FETCH 1:* (BODY.PEEK[1.2.MIME] BODY[]<0.2048> BODY[3.TEXT] " +
        "BODY.PEEK[1.2.3.HEADER.FIELDS.NOT (Subject {2+}\r\nTo)] BODY[2] " +
        "BINARY.PEEK[1]<100.200> BINARY[] BINARY.SIZE[2.1])",
    ),
    [
      {
        item: "BODY[]",
        section: { part: [1, 2], text: { kind: "MIME" } },
        partial: undefined,
        peek: true,
      },
      {
        item: "BODY[]",
        section: { part: [], text: undefined },
        partial: { offset: 0, length: 2048 },
        peek: false,
      },
      {
        item: "BODY[]",
        section: { part: [3], text: { kind: "TEXT" } },
        partial: undefined,
        peek: false,
      },
      {
        item: "BODY[]",
        section: {
          part: [1, 2, 3],
          text: { kind: "HEADER.FIELDS", not: true, fields: ["Subject", "To"] },
        },
        partial: undefined,
        peek: true,
      },
      { item: "BODY[]", section: { part: [2], text: undefined }, partial: undefined, peek: false },
      { item: "BINARY[]", part: [1], partial: { offset: 100, length: 200 }, peek: true },
      { item: "BINARY[]", part: [], partial: undefined, peek: false },
      { item: "BINARY.SIZE[]", part: [2, 1] },
    ],
  );
  for (
    const item of [
      "FOO",
      "BODY[MIME]",
      "BODY[0]",
      "BODY[1.0]",
      "BODY[HEADER.FIELDS]",
      "BODY[HEADER.FIELDS ()]",
      "BODY[]<0.0>",
      "BODY[]<5>",
      "BODY.PEEK",
      "BINARY[TEXT]",
      "BINARY.SIZE[]<0.1>",
      "BODY[TEXT",
      "(FLAGS",
      "()",
      "(ALL)",
      "FLAGS FLAGS",
    ]
  ) bad(`a FETCH 1 ${item}`);
});

Deno.test("parseCommand() reads FETCH modifiers (RFC 7162 §3.1.4.1, §3.2.6)", () => {
  const fetch = (input: string) => {
    const command = ok(input);
    assert.ok(command.name === "FETCH");
    return [command.uid, command.changedSince, command.vanished];
  };
  assert.deepEqual(fetch("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)"), [true, 12345n, false]);
  assert.deepEqual(fetch("s100 FETCH 1:* FLAGS (changedsince 12345)"), [false, 12345n, false]);
  assert.deepEqual(fetch("s101 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)"), [
    true,
    12345n,
    true,
  ]);
  assert.deepEqual(fetch("s101 UID FETCH 1 FLAGS (VANISHED CHANGEDSINCE 1)"), [true, 1n, true]);
  bad("a FETCH 1 FLAGS (CHANGEDSINCE 12345 VANISHED)"); // only UID FETCH
  bad("a UID FETCH 1 FLAGS (VANISHED)"); // needs CHANGEDSINCE
  bad("a UID FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)");
  bad("a UID FETCH 1 FLAGS (CHANGEDSINCE 0)");
  bad("a UID FETCH 1 FLAGS (FOO)");
  bad("a UID FETCH 1 FLAGS ()");
});

Deno.test("parseCommand() reads STORE, normalising system flags", () => {
  assert.deepEqual(ok("A003 STORE 2:4 +FLAGS (\\Deleted)"), {
    name: "STORE",
    tag: "A003",
    uid: false,
    set: set([2, 4]),
    unchangedSince: undefined,
    action: "add",
    silent: false,
    flags: ["\\Deleted"],
  });
  // RFC 9051 §8, and RFC 7162 §3.1.3.
  const store = (input: string) => {
    const command = ok(input);
    assert.ok(command.name === "STORE");
    const { action, silent, flags, unchangedSince, uid } = command;
    return { action, silent, flags, unchangedSince, uid };
  };
  assert.deepEqual(store("a005 store 12 +flags \\deleted"), {
    action: "add",
    silent: false,
    flags: ["\\Deleted"],
    unchangedSince: undefined,
    uid: false,
  });
  assert.deepEqual(store("A150 UID STORE 1:2 (UNCHANGEDSINCE 96) +FLAGS.SILENT \\Seen"), {
    action: "add",
    silent: true,
    flags: ["\\Seen"],
    unchangedSince: 96n,
    uid: true,
  });
  assert.deepEqual(store("a STORE 1 -flags.silent (\\SEEN \\answered \\Flagged \\DRAFT $Junk)"), {
    action: "remove",
    silent: true,
    flags: ["\\Seen", "\\Answered", "\\Flagged", "\\Draft", "$Junk"],
    unchangedSince: undefined,
    uid: false,
  });
  assert.deepEqual(store("a STORE 1 (UNCHANGEDSINCE 0) FLAGS ()"), {
    action: "replace",
    silent: false,
    flags: [],
    unchangedSince: 0n,
    uid: false,
  });
  for (
    const tail of [
      "+FLAGS \\Recent",
      "+FLAGS (\\Recent)",
      "+FLAGS \\Foo",
      "+FLAGS",
      "FLAGS",
      "+FLAGS.LOUD \\Seen",
      "*FLAGS \\Seen",
      "(UNCHANGEDSINCE 1 UNCHANGEDSINCE 2) FLAGS x",
      "(FOO 1) FLAGS x",
      "FLAGS a(b",
      `FLAGS ${"k".repeat(101)}`,
    ]
  ) bad(`a STORE 1 ${tail}`);
});

Deno.test("parseCommand() reads COPY and MOVE (RFC 6851) in both forms", () => {
  assert.deepEqual(ok("a UID MOVE 42:69 foo"), {
    name: "MOVE",
    tag: "a",
    uid: true,
    set: set([42, 69]),
    mailbox: "foo",
  });
  assert.deepEqual(ok("a move 1 inbox"), {
    name: "MOVE",
    tag: "a",
    uid: false,
    set: set([1]),
    mailbox: "INBOX",
  });
  bad("a MOVE 1");
});
