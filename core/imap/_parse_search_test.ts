import assert from "node:assert/strict";
import type { ImapLimits } from "./limits.ts";
import { bad, ok, search, set } from "./_parse_testing.ts";

Deno.test("parseCommand() reads SEARCH (RFC 9051 §6.4.4 examples)", () => {
  assert.deepEqual(ok('A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'), {
    name: "SEARCH",
    tag: "A282",
    uid: false,
    returns: ["MIN", "COUNT"],
    charset: undefined,
    criteria: [
      { key: "FLAGGED" },
      { key: "SINCE", date: { year: 1994, month: 2, day: 1 } },
      { key: "NOT", operand: { key: "FROM", value: "Smith" } },
    ],
  });
  const empty = ok('A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"');
  assert.ok(empty.name === "SEARCH");
  assert.deepEqual(empty.returns, []);
  const utf8 = ok("A285 UID SEARCH CHARSET UTF-8 TEXT {12}\r\nотпуск");
  assert.deepEqual(utf8, {
    name: "SEARCH",
    tag: "A285",
    uid: true,
    returns: undefined,
    charset: "UTF-8",
    criteria: [{ key: "TEXT", value: "отпуск" }],
  });
  assert.equal((ok('a SEARCH CHARSET "US-ASCII" ALL') as { charset: string }).charset, "US-ASCII");
  // RFC 5182 §2.1: SAVE, then $ as a search key.
  assert.deepEqual(ok("A SEARCH RETURN (SAVE MIN) $ UID $").name, "SEARCH");
  assert.deepEqual(search(ok("A SEARCH RETURN (SAVE MIN) $ UID $")), [
    { key: "SEQ", set: { kind: "saved" } },
    { key: "UID", set: { kind: "saved" } },
  ]);
  bad("a SEARCH RETURN (MIN MIN) ALL");
  bad("a SEARCH RETURN (FOO) ALL");
  bad("a SEARCH RETURN ALL");
  bad("a SEARCH");
  bad("a SEARCH ALL ");
  bad("a SEARCH CHARSET UTF-8");
});

Deno.test("parseCommand() reads every search key", () => {
  const keys = search(ok(
    "a SEARCH ALL ANSWERED DELETED DRAFT FLAGGED SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED " +
      "UNSEEN NEW OLD RECENT SAVEDATESUPPORTED " +
      'BCC a BODY "b c" CC c FROM d SUBJECT e TEXT f TO g ' +
      'BEFORE "1-Jan-2020" ON 02-feb-2020 SINCE 3-MAR-2020 SENTBEFORE 4-Apr-2020 ' +
      "SENTON 5-May-2020 SENTSINCE 6-Jun-2020 SAVEDBEFORE 7-Jul-2020 SAVEDON 8-Aug-2020 " +
      "SAVEDSINCE 29-Feb-2020 " +
      'HEADER Message-ID "<x@y>" HEADER X-Spam "" KEYWORD $Forwarded UNKEYWORD foo ' +
      "LARGER 10000 SMALLER 9223372036854775807 UID 1:* 2,4:7 " +
      "OR SEEN (FLAGGED DRAFT) NOT NOT ALL",
  ));
  const flags =
    "ALL ANSWERED DELETED DRAFT FLAGGED SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN NEW OLD RECENT SAVEDATESUPPORTED";
  const date = (year: number, month: number, day: number) => ({ year, month, day });
  assert.deepEqual(keys, [
    ...flags.split(" ").map((key) => ({ key })),
    { key: "BCC", value: "a" },
    { key: "BODY", value: "b c" },
    { key: "CC", value: "c" },
    { key: "FROM", value: "d" },
    { key: "SUBJECT", value: "e" },
    { key: "TEXT", value: "f" },
    { key: "TO", value: "g" },
    { key: "BEFORE", date: date(2020, 1, 1) },
    { key: "ON", date: date(2020, 2, 2) },
    { key: "SINCE", date: date(2020, 3, 3) },
    { key: "SENTBEFORE", date: date(2020, 4, 4) },
    { key: "SENTON", date: date(2020, 5, 5) },
    { key: "SENTSINCE", date: date(2020, 6, 6) },
    { key: "SAVEDBEFORE", date: date(2020, 7, 7) },
    { key: "SAVEDON", date: date(2020, 8, 8) },
    { key: "SAVEDSINCE", date: date(2020, 2, 29) },
    { key: "HEADER", field: "Message-ID", value: "<x@y>" },
    { key: "HEADER", field: "X-Spam", value: "" },
    { key: "KEYWORD", flag: "$Forwarded" },
    { key: "UNKEYWORD", flag: "foo" },
    { key: "LARGER", size: 10000 },
    { key: "SMALLER", size: 9223372036854775807 },
    { key: "UID", set: set([1, "*"]) },
    { key: "SEQ", set: set([2], [4, 7]) },
    {
      key: "OR",
      left: { key: "SEEN" },
      right: { key: "AND", operands: [{ key: "FLAGGED" }, { key: "DRAFT" }] },
    },
    { key: "NOT", operand: { key: "NOT", operand: { key: "ALL" } } },
  ]);
  for (
    const key of [
      "FOO",
      "BEFORE 29-Feb-2019",
      "BEFORE 1-Foo-2020",
      "BEFORE 1-Jan-20",
      "BEFORE 123-Jan-2020",
      'BEFORE "1-Jan-2020',
      "KEYWORD \\Seen",
      "LARGER -1",
      "LARGER 9223372036854775808",
      "OR ALL",
      "NOT",
      "()",
      "(ALL",
      "HEADER X",
      "UID",
      "ALL  ALL",
    ]
  ) bad(`a SEARCH ${key}`);
});

Deno.test("parseCommand() reads the MODSEQ search key (RFC 7162 §3.1.5)", () => {
  assert.deepEqual(search(ok('a SEARCH MODSEQ "/flags/\\\\draft" all 620162338')), [
    { key: "MODSEQ", modSeq: 620162338n, entry: { flag: "\\Draft", type: "all" } },
  ]);
  assert.deepEqual(search(ok("a SEARCH OR NOT MODSEQ 720162338 LARGER 50000 MODSEQ 0")), [
    {
      key: "OR",
      left: { key: "NOT", operand: { key: "MODSEQ", modSeq: 720162338n, entry: undefined } },
      right: { key: "LARGER", size: 50000 },
    },
    { key: "MODSEQ", modSeq: 0n, entry: undefined },
  ]);
  assert.deepEqual(search(ok('a SEARCH MODSEQ "/FLAGS/$mdnsent" PRIV 1')), [
    { key: "MODSEQ", modSeq: 1n, entry: { flag: "$mdnsent", type: "priv" } },
  ]);
  bad('a SEARCH MODSEQ "/flags/\\\\recent" all 1');
  bad('a SEARCH MODSEQ "/other/x" all 1');
  bad('a SEARCH MODSEQ "/flags/x" mine 1');
  bad("a SEARCH MODSEQ");
});

Deno.test("parseCommand() limits nesting of lists and NOT/OR operands", () => {
  const nested = (n: number) => `a SEARCH ${"(".repeat(n)}ALL${")".repeat(n)}`;
  ok(nested(32));
  assert.equal(bad(nested(33), "LimitExceeded").limit, "nestingDepth");
  ok(`a SEARCH ${"NOT ".repeat(32)}ALL`);
  assert.equal(bad(`a SEARCH ${"NOT ".repeat(33)}ALL`, "LimitExceeded").limit, "nestingDepth");
  assert.equal(bad(`a SEARCH ${"OR ALL ".repeat(40)}ALL`, "LimitExceeded").limit, "nestingDepth");
  // Sibling lists do not add up.
  ok(`a SEARCH ${"(ALL) ".repeat(100)}ALL`);
  const limits: Partial<ImapLimits> = { nestingDepth: 1 };
  bad("a SEARCH (NOT ALL)", "LimitExceeded", { limits });
});

Deno.test("parseCommand() reads SORT and THREAD (RFC 5256 examples)", () => {
  assert.deepEqual(ok("A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994"), {
    name: "SORT",
    tag: "A282",
    uid: false,
    criteria: [{ key: "SUBJECT", reverse: false }],
    charset: "UTF-8",
    search: [{ key: "SINCE", date: { year: 1994, month: 2, day: 1 } }],
  });
  const sort = ok("A283 UID SORT (SUBJECT REVERSE DATE arrival) UTF-8 ALL");
  assert.ok(sort.name === "SORT" && sort.uid);
  assert.deepEqual(sort.criteria, [
    { key: "SUBJECT", reverse: false },
    { key: "DATE", reverse: true },
    { key: "ARRIVAL", reverse: false },
  ]);
  assert.deepEqual(ok("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000"), {
    name: "THREAD",
    tag: "A283",
    uid: false,
    algorithm: "ORDEREDSUBJECT",
    charset: "UTF-8",
    search: [{ key: "SINCE", date: { year: 2000, month: 3, day: 5 } }],
  });
  assert.deepEqual(ok('A285 UID THREAD references US-ASCII TEXT "gewp"'), {
    name: "THREAD",
    tag: "A285",
    uid: true,
    algorithm: "REFERENCES",
    charset: "US-ASCII",
    search: [{ key: "TEXT", value: "gewp" }],
  });
  bad("a SORT (SUBJECT) ALL"); // charset is required
  bad("a SORT () UTF-8 ALL");
  bad("a SORT (FOO) UTF-8 ALL");
  bad("a SORT (REVERSE) UTF-8 ALL");
  bad("a THREAD FOO UTF-8 ALL");
  bad("a THREAD REFERENCES UTF-8");
});
