import assert from "node:assert/strict";
import { bad, bytes, ok } from "./_parse_testing.ts";

// RFC 9051 §6.3: mailbox commands.

Deno.test("parseCommand() reads SELECT and EXAMINE, INBOX in any case", () => {
  const select = { name: "SELECT", tag: "A142", condstore: false, qresync: undefined };
  assert.deepEqual(ok("A142 SELECT INBOX"), { ...select, mailbox: "INBOX" });
  assert.deepEqual(ok("A142 SELECT inbox"), { ...select, mailbox: "INBOX" });
  assert.deepEqual(ok('A142 SELECT "InBox"'), { ...select, mailbox: "INBOX" });
  assert.deepEqual(ok("A142 SELECT {5+}\r\niNbOx"), { ...select, mailbox: "INBOX" });
  assert.deepEqual(ok("A142 SELECT Inbox/sub"), { ...select, mailbox: "Inbox/sub" });
  assert.deepEqual(ok("A932 EXAMINE blurdybloop"), {
    ...select,
    name: "EXAMINE",
    tag: "A932",
    mailbox: "blurdybloop",
  });
  assert.deepEqual(ok('a SELECT "~peter/mail/&U,BTFw-/&ZeVnLIqe-"'), {
    ...select,
    tag: "a",
    mailbox: "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
  });
  assert.deepEqual(ok('a SELECT "Entwürfe"'), { ...select, tag: "a", mailbox: "Entwürfe" });
  bad("a SELECT");
  bad("a SELECT a b");
});

Deno.test("parseCommand() reads SELECT (CONDSTORE) and (QRESYNC …) (RFC 7162)", () => {
  const base = { name: "SELECT", tag: "A142", mailbox: "INBOX" };
  assert.deepEqual(ok("A142 SELECT INBOX (CONDSTORE)"), {
    ...base,
    condstore: true,
    qresync: undefined,
  });
  assert.deepEqual(ok("A142 SELECT INBOX (QRESYNC (3857529045 20010715194032001 1:198))"), {
    ...base,
    condstore: false,
    qresync: {
      uidValidity: 3857529045,
      modSeq: 20010715194032001n,
      knownUids: [{ first: 1, last: 198 }],
      seqMatch: undefined,
    },
  });
  assert.deepEqual(
    ok("A142 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:3 41:43)))"),
    {
      ...base,
      condstore: false,
      qresync: {
        uidValidity: 67890007,
        modSeq: 90060115194045000n,
        knownUids: [{ first: 41, last: 211 }, { first: 214, last: 541 }],
        seqMatch: { seqs: [{ first: 1, last: 3 }], uids: [{ first: 41, last: 43 }] },
      },
    },
  );
  assert.deepEqual(ok("A142 SELECT INBOX (QRESYNC (1 2 (1 5)) CONDSTORE)"), {
    ...base,
    condstore: true,
    qresync: {
      uidValidity: 1,
      modSeq: 2n,
      knownUids: undefined,
      seqMatch: { seqs: [{ first: 1, last: 1 }], uids: [{ first: 5, last: 5 }] },
    },
  });
  bad("a SELECT INBOX (CONDSTORE CONDSTORE)");
  bad("a SELECT INBOX (FOO)");
  bad("a SELECT INBOX ()");
  bad("a SELECT INBOX (QRESYNC (1 0))"); // mod-sequence-value is at least 1
  bad("a SELECT INBOX (QRESYNC (0 5))"); // uidvalidity is nz-number
  bad("a SELECT INBOX (QRESYNC (1 5 1:*))"); // RFC 7162 §7: "*" is not allowed
  bad("a SELECT INBOX (QRESYNC (1 5 $))");
  bad("a SELECT INBOX (QRESYNC (1 9223372036854775808))"); // past 63 bits
});

Deno.test("parseCommand() reads CREATE with RFC 6154 USE", () => {
  assert.deepEqual(ok("A003 CREATE owatagusiam/"), {
    name: "CREATE",
    tag: "A003",
    mailbox: "owatagusiam/",
    specialUse: undefined,
  });
  // RFC 6154 §5.3 examples; attributes we do not know are left for NO [USEATTR].
  assert.deepEqual(ok("t2 CREATE MySpecial (USE (\\drafts \\Sent))"), {
    name: "CREATE",
    tag: "t2",
    mailbox: "MySpecial",
    specialUse: ["\\Drafts", "\\Sent"],
  });
  assert.deepEqual(ok("t3 CREATE Everything (USE (\\All \\Important))"), {
    name: "CREATE",
    tag: "t3",
    mailbox: "Everything",
    specialUse: ["\\All", "\\Important"],
  });
  assert.deepEqual((ok("t CREATE x (USE ())") as { specialUse: unknown }).specialUse, []);
  bad("t CREATE x (USE (\\Sent) USE (\\Trash))");
  bad("t CREATE x (FOO)");
  bad("t CREATE x (USE (Sent))");
});

Deno.test("parseCommand() reads DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE", () => {
  assert.deepEqual(ok("A682 DELETE blurdybloop"), {
    name: "DELETE",
    tag: "A682",
    mailbox: "blurdybloop",
  });
  assert.deepEqual(ok("A683 RENAME blurdybloop sarasoop"), {
    name: "RENAME",
    tag: "A683",
    from: "blurdybloop",
    to: "sarasoop",
  });
  assert.deepEqual(ok("A002 SUBSCRIBE #news.comp.mail.mime"), {
    name: "SUBSCRIBE",
    tag: "A002",
    mailbox: "#news.comp.mail.mime",
  });
  assert.deepEqual(ok('A002 UNSUBSCRIBE ""'), { name: "UNSUBSCRIBE", tag: "A002", mailbox: "" });
  bad("A683 RENAME blurdybloop");
});

Deno.test("parseCommand() reads basic LIST and LSUB", () => {
  const list = { name: "LIST", extended: false, select: [], returns: [] };
  assert.deepEqual(ok('A101 LIST "" ""'), {
    ...list,
    tag: "A101",
    reference: "",
    patterns: [""],
  });
  assert.deepEqual(ok("A202 LIST ~/Mail/ %"), {
    ...list,
    tag: "A202",
    reference: "~/Mail/",
    patterns: ["%"],
  });
  assert.deepEqual(ok("A102 LIST #news.comp.mail.misc *]x"), {
    ...list,
    tag: "A102",
    reference: "#news.comp.mail.misc",
    patterns: ["*]x"],
  });
  assert.deepEqual(ok('A002 LSUB "#news." "comp.mail.*"'), {
    name: "LSUB",
    tag: "A002",
    reference: "#news.",
    pattern: "comp.mail.*",
  });
  bad('A101 LIST ""');
  bad('A101 LIST "" % RETURN');
});

Deno.test("parseCommand() reads extended LIST (RFC 5258, RFC 5819, RFC 6154 examples)", () => {
  const list = { name: "LIST", tag: "A", extended: true, reference: "" };
  assert.deepEqual(ok('A LIST (SUBSCRIBED) "" "*"'), {
    ...list,
    select: ["SUBSCRIBED"],
    patterns: ["*"],
    returns: [],
  });
  assert.deepEqual(ok('A LIST (SUBSCRIBED RECURSIVEMATCH REMOTE) "" "%" RETURN (CHILDREN)'), {
    ...list,
    select: ["SUBSCRIBED", "RECURSIVEMATCH", "REMOTE"],
    patterns: ["%"],
    returns: [{ option: "CHILDREN" }],
  });
  assert.deepEqual(ok('A LIST "" ("INBOX" "Drafts" Sent/%)'), {
    ...list,
    select: [],
    patterns: ["INBOX", "Drafts", "Sent/%"],
    returns: [],
  });
  assert.deepEqual(ok('A LIST "" % RETURN (STATUS (MESSAGES UNSEEN) SUBSCRIBED)'), {
    ...list,
    select: [],
    patterns: ["%"],
    returns: [{ option: "STATUS", items: ["MESSAGES", "UNSEEN"] }, { option: "SUBSCRIBED" }],
  });
  assert.deepEqual(ok('A LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)'), {
    ...list,
    select: ["SPECIAL-USE"],
    patterns: ["*"],
    returns: [{ option: "SPECIAL-USE" }],
  });
  assert.deepEqual(ok('A LIST () "" % RETURN ()'), {
    ...list,
    select: [],
    patterns: ["%"],
    returns: [],
  });
  // RFC 5258 §3: a repeated option counts once.
  assert.deepEqual(
    ok(
      'A LIST (REMOTE REMOTE) "" % RETURN (CHILDREN STATUS (SIZE) CHILDREN STATUS (SIZE UIDNEXT))',
    ),
    {
      ...list,
      select: ["REMOTE"],
      patterns: ["%"],
      returns: [{ option: "CHILDREN" }, { option: "STATUS", items: ["SIZE", "UIDNEXT"] }],
    },
  );
  bad('A LIST (RECURSIVEMATCH) "" %'); // RFC 5258 §3.1
  bad('A LIST (REMOTE RECURSIVEMATCH) "" %');
  bad('A LIST (FOO) "" %');
  bad('A LIST "" % RETURN (FOO)');
  bad('A LIST "" ()');
});

Deno.test("parseCommand() reads STATUS items", () => {
  assert.deepEqual(ok("A042 STATUS blurdybloop (UIDNEXT MESSAGES)"), {
    name: "STATUS",
    tag: "A042",
    mailbox: "blurdybloop",
    items: ["UIDNEXT", "MESSAGES"],
  });
  const all = "MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ APPENDLIMIT";
  assert.deepEqual(
    (ok(`t1 STATUS INBOX (${all.toLowerCase()})`) as { items: unknown }).items,
    all.split(" "),
  );
  bad("a STATUS INBOX (MESSAGES MESSAGES)");
  bad("a STATUS INBOX (FOO)");
  bad("a STATUS INBOX ()");
});

Deno.test("parseCommand() reads APPEND with flags, date-time and literal forms", () => {
  const message =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nSubject: afternoon meeting\r\n\r\nHello Joe\r\n";
  const n = bytes(message).length;
  assert.deepEqual(ok(`A003 APPEND saved-messages (\\Seen) {${n}}\r\n${message}`), {
    name: "APPEND",
    tag: "A003",
    mailbox: "saved-messages",
    messages: [{
      flags: ["\\Seen"],
      date: undefined,
      data: bytes(message),
      binary: false,
      utf8: false,
    }],
  });
  // RFC 3502 §6 MULTIAPPEND, with a date-time and no flags in the second message.
  const second = ok(
    `A003 APPEND saved-messages (\\Seen $Forwarded) {${n}}\r\n${message} " 7-Feb-1994 22:43:04 -0800" {${n}+}\r\n${message}`,
  );
  assert.ok(second.name === "APPEND");
  assert.equal(second.messages.length, 2);
  assert.deepEqual(second.messages[0]!.flags, ["\\Seen", "$Forwarded"]);
  assert.deepEqual(second.messages[1]!.flags, []);
  assert.equal(second.messages[1]!.date, Date.UTC(1994, 1, 8, 6, 43, 4));
  // RFC 3516 literal8 may hold NUL; RFC 6855 UTF8 wraps a literal8.
  const binary = ok('a APPEND INBOX () "01-Jan-2020 00:00:00 +0130" ~{3}\r\na\0b');
  assert.ok(binary.name === "APPEND");
  assert.deepEqual(binary.messages, [
    {
      flags: [],
      date: Date.UTC(2019, 11, 31, 22, 30),
      data: bytes("a\0b"),
      binary: true,
      utf8: false,
    },
  ]);
  const utf8 = ok("a APPEND Drafts UTF8 (~{6+}\r\nSé: x)");
  assert.ok(utf8.name === "APPEND");
  assert.deepEqual(utf8.messages, [{
    flags: [],
    date: undefined,
    data: bytes("Sé: x"),
    binary: true,
    utf8: true,
  }]);
  bad("a APPEND INBOX {3+}\r\na\0b"); // RFC 9051 §9 CHAR8
  bad("a APPEND INBOX UTF8 ({3+}\r\nabc)");
  bad("a APPEND INBOX (\\Recent) {1+}\r\nx");
  bad("a APPEND INBOX (\\Seen)");
  bad('a APPEND INBOX "31-Feb-2020 00:00:00 +0000" {1+}\r\nx');
  bad('a APPEND INBOX "01-Jan-2020 24:00:00 +0000" {1+}\r\nx');
  bad('a APPEND INBOX "01-Jan-2020 00:00:00 0000" {1+}\r\nx');
  bad("a APPEND INBOX {1+}\r\nx EXTRA {1+}\r\ny");
  bad("a APPEND INBOX {1+}\r\nx ");
});
