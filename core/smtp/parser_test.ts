import assert from "node:assert/strict";
import fc from "fast-check";
import type { Command, DomainName, Host, Leniency, Mailbox, SyntaxErrorCode } from "./command.ts";
import { replies, reply, syntaxErrorReplies } from "./codes.ts";
import { decodeXtext, parseCommand, SmtpSyntaxError } from "./parser.ts";

const encoder = new TextEncoder();

function domain(ascii: string, unicode = ascii): DomainName {
  return { kind: "domain", ascii, unicode, utf8: unicode !== ascii };
}

function mailbox(text: string, host: Host, localPart?: string): Mailbox {
  const local = text.slice(0, text.lastIndexOf("@"));
  const quoted = local.startsWith('"');
  return {
    localPart: localPart ?? local,
    quoted,
    domain: host,
    // deno-lint-ignore no-control-regex
    utf8: /[^\x00-\x7f]/.test(text),
    text,
  };
}

function mail(line: string): Extract<Command, { verb: "MAIL" }> {
  const c = parseCommand(line);
  assert.equal(c.verb, "MAIL", line);
  return c as Extract<Command, { verb: "MAIL" }>;
}

function rcpt(line: string): Extract<Command, { verb: "RCPT" }> {
  const c = parseCommand(line);
  assert.equal(c.verb, "RCPT", line);
  return c as Extract<Command, { verb: "RCPT" }>;
}

function sloppy(line: string): readonly Leniency[] {
  return parseCommand(line).sloppy;
}

function fails(
  line: string | Uint8Array,
  code: SyntaxErrorCode,
  message?: string,
): SmtpSyntaxError {
  let caught: unknown;
  try {
    parseCommand(line);
  } catch (err) {
    caught = err;
  }
  const shown = message ?? JSON.stringify(typeof line === "string" ? line : [...line]);
  assert.ok(caught instanceof SmtpSyntaxError, `expected SmtpSyntaxError for ${shown}`);
  assert.equal(caught.code, code, `${shown}: ${caught.message}`);
  assert.match(caught.message, /^Cannot parse command: /);
  return caught;
}

// --- Every verb ---

const verbCases: [string, Command][] = [
  ["EHLO bar.com", { verb: "EHLO", host: domain("bar.com"), sloppy: [] }],
  ["HELO bar.com", { verb: "HELO", host: domain("bar.com"), sloppy: [] }],
  [
    "MAIL FROM:<Smith@bar.com>",
    {
      verb: "MAIL",
      from: mailbox("Smith@bar.com", domain("bar.com")),
      params: { smtputf8: false, requireTls: false },
      sloppy: [],
    },
  ],
  [
    "RCPT TO:<Jones@foo.com>",
    { verb: "RCPT", to: mailbox("Jones@foo.com", domain("foo.com")), params: {}, sloppy: [] },
  ],
  ["DATA", { verb: "DATA", sloppy: [] }],
  ["BDAT 86 LAST", { verb: "BDAT", size: 86, last: true, sloppy: [] }],
  ["BDAT 1000", { verb: "BDAT", size: 1000, last: false, sloppy: [] }],
  ["RSET", { verb: "RSET", sloppy: [] }],
  ["NOOP", { verb: "NOOP", text: undefined, sloppy: [] }],
  ['NOOP keep me "company"', { verb: "NOOP", text: 'keep me "company"', sloppy: [] }],
  ["VRFY Crispin", { verb: "VRFY", arg: "Crispin", value: "Crispin", sloppy: [] }],
  ['VRFY "John Smith"', { verb: "VRFY", arg: '"John Smith"', value: "John Smith", sloppy: [] }],
  ["EXPN Example-People", {
    verb: "EXPN",
    arg: "Example-People",
    value: "Example-People",
    sloppy: [],
  }],
  ["HELP", { verb: "HELP", topic: undefined, sloppy: [] }],
  ["HELP MAIL", { verb: "HELP", topic: "MAIL", sloppy: [] }],
  ["QUIT", { verb: "QUIT", sloppy: [] }],
  ["STARTTLS", { verb: "STARTTLS", sloppy: [] }],
  ["AUTH PLAIN", { verb: "AUTH", mechanism: "PLAIN", initialResponse: undefined, sloppy: [] }],
  ["AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=", {
    verb: "AUTH",
    mechanism: "PLAIN",
    initialResponse: "dGVzdAB0ZXN0ADEyMzQ=",
    sloppy: [],
  }],
  ["AUTH EXTERNAL =", { verb: "AUTH", mechanism: "EXTERNAL", initialResponse: "=", sloppy: [] }],
  ["auth scram-sha-256", {
    verb: "AUTH",
    mechanism: "SCRAM-SHA-256",
    initialResponse: undefined,
    sloppy: [],
  }],
  ["XCLIENT ADDR=192.0.2.1", {
    verb: "unknown",
    name: "XCLIENT",
    args: "ADDR=192.0.2.1",
    sloppy: [],
  }],
  ["TURN", { verb: "unknown", name: "TURN", args: "", sloppy: [] }],
];

for (const [line, expected] of verbCases) {
  Deno.test(`parseCommand() parses ${JSON.stringify(line)}`, () => {
    assert.deepEqual(parseCommand(line), expected);
  });
}

Deno.test("parseCommand() takes verbs and keywords in any case", () => {
  assert.deepEqual(parseCommand("ehlo Bar.COM"), parseCommand("EHLO bar.com"));
  assert.deepEqual(parseCommand("mail from:<Smith@bar.com> size=10"), {
    ...mail("MAIL FROM:<Smith@bar.com> SIZE=10"),
  });
  assert.equal(parseCommand("Quit").verb, "QUIT");
  assert.equal(parseCommand("sTaRtTlS").verb, "STARTTLS");
});

Deno.test("parseCommand() gives the same result for bytes as for text", () => {
  for (const line of ["MAIL FROM:<pelé@exämple.com> SMTPUTF8", "EHLO bar.com", "NOOP ☃"]) {
    assert.deepEqual(parseCommand(encoder.encode(line)), parseCommand(line));
  }
});

Deno.test("parseCommand() refuses arguments on DATA, RSET, QUIT and STARTTLS", () => {
  for (const verb of ["DATA", "RSET", "QUIT", "STARTTLS"]) {
    const err = fails(`${verb} now`, "BadArguments");
    assert.equal(err.verb, verb);
  }
});

Deno.test("parseCommand() refuses EHLO, HELO, MAIL, RCPT, VRFY, EXPN, AUTH, BDAT without arguments", () => {
  for (const verb of ["EHLO", "HELO", "MAIL", "RCPT", "VRFY", "EXPN", "AUTH", "BDAT"]) {
    assert.equal(fails(verb, "BadArguments").verb, verb);
    assert.equal(fails(`${verb} `, "BadArguments").verb, verb);
  }
});

Deno.test("parseCommand() refuses bad BDAT and AUTH arguments", () => {
  fails("BDAT x", "BadArguments");
  fails("BDAT -1", "BadArguments");
  fails("BDAT 10 FIRST", "BadArguments");
  fails("BDAT 10 LASTLY", "BadArguments");
  fails("BDAT 10 LAST x", "BadArguments");
  fails("BDAT 1234567890123456", "BadArguments");
  fails("AUTH PL@IN", "Syntax");
  fails("AUTH ABCDEFGHIJKLMNOPQRSTU", "Syntax"); // 21 characters (RFC 4422 §3.1: 1*20)
  fails("AUTH PLAIN not*base64", "Syntax");
  fails("AUTH PLAIN abc= extra", "Syntax");
});

// --- RFC examples ---

Deno.test("parseCommand() parses the source route of RFC 5321 §3.6.1 and ignores it", () => {
  const c = rcpt("RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>");
  assert.deepEqual(c.to, mailbox("userc@d.bar.org", domain("d.bar.org")));
  assert.deepEqual(mail("MAIL FROM:<@a.example:x@b.example>").from?.text, "x@b.example");
  fails("RCPT TO:<@hosta.int,hostb.int:u@c.example>", "Syntax");
  fails("RCPT TO:<@hosta.int u@c.example>", "Syntax");
  fails("RCPT TO:<@[192.0.2.1]:u@c.example>", "Syntax");
});

Deno.test("parseCommand() parses the DSN parameters of RFC 3461 §4", () => {
  assert.deepEqual(mail("MAIL FROM:<Alice@Y.ORG> RET=HDRS ENVID=QQ314159").params, {
    smtputf8: false,
    requireTls: false,
    ret: "HDRS",
    envid: "QQ314159",
  });
  assert.deepEqual(
    rcpt("RCPT TO:<Bob@Y.ORG> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Y.ORG").params,
    {
      notify: ["SUCCESS", "FAILURE"],
      orcpt: { addrType: "rfc822", address: "Bob@Y.ORG", utf8: false },
    },
  );
  assert.deepEqual(rcpt("RCPT TO:<c@y.org> NOTIFY=never").params, { notify: "NEVER" });
  assert.deepEqual(rcpt("RCPT TO:<c@y.org> NOTIFY=delay").params, { notify: ["DELAY"] });
  assert.equal(mail("MAIL FROM:<a@b.org> RET=full").params.ret, "FULL");
});

Deno.test("parseCommand() decodes xtext in ENVID, AUTH and ORCPT (RFC 3461 §4)", () => {
  assert.equal(mail("MAIL FROM:<a@b.org> ENVID=a+2Bb+3Dc+20d").params.envid, "a+b=c d");
  assert.equal(
    mail("MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com").params.auth,
    "e=mc2@example.com",
  );
  assert.equal(
    rcpt("RCPT TO:<a+b@c.org> ORCPT=RFC822;a+2Bb@c.org").params.orcpt?.address,
    "a+b@c.org",
  );
  assert.equal(decodeXtext("+2b"), undefined, "hex digits must be upper case");
  assert.equal(decodeXtext("+0A"), undefined, "decoded controls are refused");
  assert.equal(decodeXtext("a+4"), undefined);
  assert.equal(decodeXtext("é"), undefined);
  assert.equal(decodeXtext("é", true), "é");
});

Deno.test("parseCommand() parses AUTH=<> (RFC 4954 §5)", () => {
  assert.equal(mail("MAIL FROM:<a@b.org> AUTH=<>").params.auth, null);
  fails("MAIL FROM:<a@b.org> AUTH", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> AUTH=a+zz", "InvalidParameter");
});

Deno.test("parseCommand() parses SIZE (RFC 1870) and BODY (RFC 6152, RFC 3030)", () => {
  assert.equal(mail("MAIL FROM:<ned@thor.innosoft.com> SIZE=500000").params.size, 500000);
  assert.equal(mail("MAIL FROM:<a@b.org> SIZE=0").params.size, 0);
  assert.equal(mail(`MAIL FROM:<a@b.org> SIZE=${"9".repeat(20)}`).params.size, 1e20);
  fails(`MAIL FROM:<a@b.org> SIZE=${"9".repeat(21)}`, "InvalidParameter");
  fails("MAIL FROM:<a@b.org> SIZE=-1", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> SIZE=1k", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> SIZE", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> SIZE=", "InvalidParameter");
  for (const body of ["7BIT", "8BITMIME", "BINARYMIME"] as const) {
    assert.equal(mail(`MAIL FROM:<a@b.org> BODY=${body.toLowerCase()}`).params.body, body);
  }
  fails("MAIL FROM:<a@b.org> BODY=9BIT", "InvalidParameter");
});

Deno.test("parseCommand() parses SMTPUTF8 (RFC 6531 §3.4) and REQUIRETLS (RFC 8689)", () => {
  const c = mail("MAIL FROM:<pelé@example.com> SMTPUTF8 REQUIRETLS");
  assert.equal(c.params.smtputf8, true);
  assert.equal(c.params.requireTls, true);
  assert.equal(c.from?.utf8, true);
  fails("MAIL FROM:<a@b.org> SMTPUTF8=yes", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> REQUIRETLS=", "InvalidParameter");
});

Deno.test("parseCommand() parses HOLDFOR and HOLDUNTIL (RFC 4865)", () => {
  assert.equal(mail("MAIL FROM:<a@b.org> HOLDFOR=3600").params.holdFor, 3600);
  fails("MAIL FROM:<a@b.org> HOLDFOR=1234567890", "InvalidParameter");
  assert.deepEqual(
    mail("MAIL FROM:<a@b.org> HOLDUNTIL=2024-02-29T23:30:00.5-01:30").params.holdUntil,
    new Date("2024-03-01T01:00:00.500Z"),
  );
  assert.deepEqual(
    mail("MAIL FROM:<a@b.org> HOLDUNTIL=2030-01-01t00:00:00z").params.holdUntil,
    new Date("2030-01-01T00:00:00Z"),
  );
  for (
    const bad of [
      "2023-02-29T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-01-01T24:00:00Z",
      "2024-01-01T00:60:00Z",
      "2024-01-01T00:00:00+24:00",
      "2024-01-01T00:00:00",
      "2024-01-01",
      "tomorrow",
    ]
  ) {
    fails(`MAIL FROM:<a@b.org> HOLDUNTIL=${bad}`, "InvalidParameter", bad);
  }
  fails("MAIL FROM:<a@b.org> HOLDFOR=10 HOLDUNTIL=2030-01-01T00:00:00Z", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> HOLDUNTIL=2030-01-01T00:00:00Z HOLDFOR=10", "InvalidParameter");
});

Deno.test("parseCommand() decodes utf-8 ORCPT values (RFC 6533 §3)", () => {
  assert.deepEqual(
    rcpt("RCPT TO:<a@b.org> ORCPT=utf-8;j\\x{F6}rg@b\\x{FC}cher.example").params.orcpt,
    {
      addrType: "utf-8",
      address: "jörg@bücher.example",
      utf8: true,
    },
  );
  assert.deepEqual(rcpt("RCPT TO:<a@b.org> ORCPT=UTF-8;jörg@x.example").params.orcpt, {
    addrType: "utf-8",
    address: "jörg@x.example",
    utf8: true,
  });
  assert.equal(
    rcpt("RCPT TO:<a@b.org> ORCPT=utf-8;a\\x{2B}b\\x{5C}@x.example").params.orcpt?.address,
    "a+b\\@x.example",
  );
  const lenient = rcpt("RCPT TO:<a@b.org> ORCPT=utf-8;a+2Bb@x.example");
  assert.equal(lenient.params.orcpt?.address, "a+b@x.example");
  assert.deepEqual(lenient.sloppy, ["xtext-in-utf8-orcpt"]);
  fails("RCPT TO:<a@b.org> ORCPT=utf-8;a\\b@x.example", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=utf-8;\\x{D800}@x.example", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=utf-8;a\\x{A}b@x.example", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=utf-8;a\\x{85}b@x.example", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=utf-8;a\u0085b@x.example", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=utf-8;\\x{110000}@x.example", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=rfc822;jörg@x.example", "InvalidParameter");
});

Deno.test("parseCommand() refuses bad NOTIFY and ORCPT values", () => {
  for (const bad of ["NEVER,SUCCESS", "SUCCESS,SUCCESS", "", "SOMETIMES", "SUCCESS,", ",DELAY"]) {
    fails(`RCPT TO:<a@b.org> NOTIFY=${bad}`, "InvalidParameter", bad);
  }
  fails("RCPT TO:<a@b.org> NOTIFY", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=a@b.org", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=;a@b.org", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=rfc822;", "InvalidParameter");
  fails("RCPT TO:<a@b.org> ORCPT=rfc822;a+xyb.org", "InvalidParameter");
  const long = "x".repeat(500 - "ORCPT=rfc822;".length);
  assert.ok(rcpt(`RCPT TO:<a@b.org> ORCPT=rfc822;${long}`).params.orcpt);
  fails(`RCPT TO:<a@b.org> ORCPT=rfc822;${long}x`, "InvalidParameter");
});

Deno.test("parseCommand() refuses an ENVID over 100 characters (RFC 3461 §4.4)", () => {
  assert.equal(mail(`MAIL FROM:<a@b.org> ENVID=${"e".repeat(100)}`).params.envid?.length, 100);
  fails(`MAIL FROM:<a@b.org> ENVID=${"e".repeat(101)}`, "InvalidParameter");
  fails("MAIL FROM:<a@b.org> ENVID=", "InvalidParameter");
});

// --- Unknown and duplicate parameters ---

Deno.test("parseCommand() reports an unknown MAIL or RCPT parameter as UnknownParameter (555)", () => {
  const err = fails("MAIL FROM:<a@b.org> SIZE=10 XFOO=1", "UnknownParameter");
  assert.equal(err.offset, "MAIL FROM:<a@b.org> SIZE=10 ".length);
  assert.equal(err.verb, "MAIL");
  fails("MAIL FROM:<a@b.org> NOTIFY=NEVER", "UnknownParameter"); // an RCPT parameter
  fails("RCPT TO:<a@b.org> SIZE=10", "UnknownParameter"); // a MAIL parameter
  fails("RCPT TO:<a@b.org> X-Y", "UnknownParameter");
  assert.deepEqual(replies[syntaxErrorReplies.UnknownParameter], [555, "5.5.4"]);
});

Deno.test("parseCommand() reports a repeated parameter as InvalidParameter (501)", () => {
  fails("MAIL FROM:<a@b.org> SIZE=1 SIZE=1", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> SMTPUTF8 smtputf8", "InvalidParameter");
  fails("RCPT TO:<a@b.org> NOTIFY=NEVER NOTIFY=NEVER", "InvalidParameter");
  fails("MAIL FROM:<a@b.org> XFOO XFOO", "InvalidParameter");
  assert.deepEqual(replies[syntaxErrorReplies.InvalidParameter], [501, "5.5.4"]);
});

Deno.test("parseCommand() refuses malformed parameters as Syntax", () => {
  fails("MAIL FROM:<a@b.org> =1", "Syntax");
  fails("MAIL FROM:<a@b.org> -X=1", "Syntax");
  fails("MAIL FROM:<a@b.org> SIZE=1=2", "Syntax");
  fails("MAIL FROM:<a@b.org> SIZE=1\t", "Syntax");
  fails("MAIL FROM:<a@b.org>SIZE=1", "Syntax");
});

// --- Addresses ---

Deno.test("parseCommand() parses the null reverse-path <>", () => {
  assert.equal(mail("MAIL FROM:<>").from, null);
  assert.equal(mail("MAIL FROM:<> SIZE=10").params.size, 10);
  fails("RCPT TO:<>", "Syntax");
  fails("MAIL FROM:", "Syntax");
});

Deno.test("parseCommand() parses <Postmaster> in RCPT in any case (RFC 5321 §4.5.1)", () => {
  for (const pm of ["Postmaster", "postmaster", "POSTMASTER", "PostMaster"]) {
    assert.equal(rcpt(`RCPT TO:<${pm}>`).to, "postmaster");
  }
  assert.deepEqual(
    rcpt("RCPT TO:<Postmaster@example.org> NOTIFY=NEVER").to,
    mailbox("Postmaster@example.org", domain("example.org")),
  );
  fails("MAIL FROM:<Postmaster>", "Syntax");
  fails("RCPT TO:<@a.example:Postmaster>", "Syntax");
});

Deno.test("parseCommand() parses quoted local parts (RFC 5321 §4.1.2)", () => {
  const c = rcpt('RCPT TO:<"John \\"Q\\" Public"@example.org>');
  assert.ok(c.to !== "postmaster");
  assert.equal(c.to.localPart, 'John "Q" Public');
  assert.equal(c.to.quoted, true);
  assert.equal(c.to.text, '"John \\"Q\\" Public"@example.org');
  assert.equal((rcpt('RCPT TO:<""@example.org>').to as Mailbox).localPart, "");
  assert.equal((rcpt('RCPT TO:<"a@b"@example.org>').to as Mailbox).localPart, "a@b");
  assert.equal((rcpt('RCPT TO:<"\\\\"@example.org>').to as Mailbox).localPart, "\\");
  fails('RCPT TO:<"abc@example.org>', "Syntax");
  fails('RCPT TO:<"a\tb"@example.org>', "Syntax");
  fails('RCPT TO:<"a\\\tb"@example.org>', "Syntax");
  fails('RCPT TO:<"a"b@example.org>', "Syntax");
});

Deno.test("parseCommand() parses dot-strings and refuses specials", () => {
  assert.equal(
    (rcpt("RCPT TO:<a.b+tag!#$%&'*/=?^_`{|}~-@example.org>").to as Mailbox).localPart,
    "a.b+tag!#$%&'*/=?^_`{|}~-",
  );
  for (
    const bad of [
      "a b@x.org",
      "a(b@x.org",
      "a,b@x.org",
      "a[b@x.org",
      "@x.org",
      "a@",
      "a",
      "a@@x.org",
    ]
  ) {
    fails(`RCPT TO:<${bad}>`, "Syntax", bad);
  }
});

Deno.test("parseCommand() accepts loose dot-strings as a leniency", () => {
  for (const local of ["a..b", ".a", "a."]) {
    const c = rcpt(`RCPT TO:<${local}@x.org>`);
    assert.equal((c.to as Mailbox).localPart, local);
    assert.deepEqual(c.sloppy, ["loose-dot-string"]);
  }
  fails("RCPT TO:<.@x.org>", "Syntax");
});

Deno.test("parseCommand() parses address literals (RFC 5321 §4.1.3)", () => {
  const cases: [string, Host][] = [
    ["[192.0.2.1]", { kind: "ipv4", address: "192.0.2.1" }],
    ["[0.0.0.0]", { kind: "ipv4", address: "0.0.0.0" }],
    ["[255.255.255.255]", { kind: "ipv4", address: "255.255.255.255" }],
    ["[IPv6:2001:db8::1]", { kind: "ipv6", address: "2001:db8::1" }],
    ["[ipv6:2001:DB8:0:0:0:0:0:1]", { kind: "ipv6", address: "2001:DB8:0:0:0:0:0:1" }],
    ["[IPv6:::1]", { kind: "ipv6", address: "::1" }],
    ["[IPv6:::]", { kind: "ipv6", address: "::" }],
    ["[IPv6:1:2:3:4:5:6::]", { kind: "ipv6", address: "1:2:3:4:5:6::" }],
    ["[IPv6:::ffff:192.0.2.1]", { kind: "ipv6", address: "::ffff:192.0.2.1" }],
    ["[IPv6:1:2:3:4:5:6:192.0.2.1]", { kind: "ipv6", address: "1:2:3:4:5:6:192.0.2.1" }],
    ["[IPv6:1:2:3:4::192.0.2.1]", { kind: "ipv6", address: "1:2:3:4::192.0.2.1" }],
  ];
  for (const [literal, host] of cases) {
    assert.deepEqual(parseCommand(`EHLO ${literal}`), { verb: "EHLO", host, sloppy: [] }, literal);
    assert.deepEqual((rcpt(`RCPT TO:<u@${literal}>`).to as Mailbox).domain, host, literal);
  }
});

Deno.test("parseCommand() refuses malformed address literals", () => {
  for (
    const bad of [
      "[256.0.0.1]",
      "[1.2.3]",
      "[1.2.3.4.5]",
      "[1.2.3.1234]",
      "[192.0.2.1",
      "[]",
      "[IPv6:1:2:3:4:5:6:7]",
      "[IPv6:1:2:3:4:5:6:7:8:9]",
      "[IPv6:1:2:3:4:5:6:7::]", // "::" stands for at least two groups
      "[IPv6:1::2::3]",
      "[IPv6:1:::2]",
      "[IPv6:12345::]",
      "[IPv6:g::]",
      "[IPv6:1:2:3:4:5::192.0.2.1]",
      "[IPv6:1:2:3:4:5:6:7:192.0.2.1]",
      "[IPv6:::ffff:192.0.2.256]",
      "[IPv6::ffff:192.0.2.1]",
      "[IPv4:192.0.2.1]",
      "[x400:c=us;a=x]",
      "[1.2.3.4\\]",
    ]
  ) {
    fails(`EHLO ${bad}`, "Syntax", bad);
    fails(`RCPT TO:<u@${bad}>`, "Syntax", bad);
  }
});

Deno.test("parseCommand() parses UTF-8 local parts and marks them (RFC 6531 §3.3)", () => {
  const c = rcpt("RCPT TO:<用户@例子.测试>");
  const to = c.to as Mailbox;
  assert.equal(to.localPart, "用户");
  assert.equal(to.utf8, true);
  assert.deepEqual(to.domain, domain("xn--fsqu00a.xn--0zwm56d", "例子.测试"));
  assert.equal((rcpt('RCPT TO:<"José Ñ"@example.org>').to as Mailbox).localPart, "José Ñ");
  assert.equal((rcpt("RCPT TO:<pelé@example.org>").to as Mailbox).utf8, true);
  assert.equal((rcpt("RCPT TO:<pele@example.org>").to as Mailbox).utf8, false);
});

Deno.test("parseCommand() converts IDN domains to A-labels and keeps both forms", () => {
  const to = rcpt("RCPT TO:<info@Bücher.Example>").to as Mailbox;
  assert.deepEqual(to.domain, domain("xn--bcher-kva.example", "bücher.example"));
  assert.equal(to.utf8, true);
  // An A-label written in ASCII needs no SMTPUTF8 but still gets its U-label form.
  const ascii = rcpt("RCPT TO:<info@XN--BCHER-KVA.example>").to as Mailbox;
  assert.deepEqual(ascii.domain, {
    kind: "domain",
    ascii: "xn--bcher-kva.example",
    unicode: "bücher.example",
    utf8: false,
  });
  assert.equal(ascii.utf8, false);
  assert.deepEqual(parseCommand("EHLO münchen.de"), {
    verb: "EHLO",
    host: domain("xn--mnchen-3ya.de", "münchen.de"),
    sloppy: [],
  });
  fails("RCPT TO:<a@xn--zz.example>", "Syntax");
});

Deno.test("parseCommand() refuses malformed domains", () => {
  for (
    const bad of [
      "-a.example",
      "a-.example",
      "a..example",
      "a.example.",
      ".a.example",
      "a_b.example",
      "a!b.example",
    ]
  ) {
    fails(`RCPT TO:<u@${bad}>`, "Syntax", bad);
  }
  fails("EHLO a..example", "Syntax");
  fails("EHLO a.example.", "Syntax");
  fails("EHLO -a", "Syntax");
});

Deno.test("parseCommand() enforces local part, domain and path limits (RFC 5321 §4.5.3.1)", () => {
  const label = "a".repeat(63);
  const domain255 = [label, label, label, label].join(".");
  assert.equal(domain255.length, 255);
  assert.ok(parseCommand(`EHLO ${domain255}`));
  fails(`EHLO b.${[label, label, label, "a".repeat(62)].join(".")}`, "TooLong"); // 256
  fails(`RCPT TO:<u@b.${[label, label, label, "a".repeat(62)].join(".")}>`, "TooLong");
  fails(`EHLO ${"a".repeat(64)}.example`, "TooLong");
  // 64 octets is strict; up to 128 is accepted as a leniency; more is refused.
  assert.deepEqual(sloppy(`RCPT TO:<${"l".repeat(64)}@x.org>`), []);
  assert.deepEqual(sloppy(`RCPT TO:<${"l".repeat(65)}@x.org>`), ["long-local-part"]);
  assert.deepEqual(sloppy(`RCPT TO:<${"l".repeat(128)}@x.org>`), ["long-local-part"]);
  fails(`RCPT TO:<${"l".repeat(129)}@x.org>`, "TooLong");
  // Octets, not characters: 22 three-octet characters are 66 octets.
  assert.deepEqual(sloppy(`RCPT TO:<${"例".repeat(22)}@x.org>`), ["long-local-part"]);
  // The path counts "<", ">" and the source route: 256 octets at most.
  const at256 = `<${"l".repeat(60)}@${label}.${label}.${"d".repeat(57)}.example>`;
  assert.equal(at256.length, 256);
  assert.ok(rcpt(`RCPT TO:${at256}`));
  fails(`RCPT TO:<@r.example:${at256.slice(1)}`, "TooLong");
  assert.deepEqual(replies[syntaxErrorReplies.TooLong], [501, "5.5.4"]);
});

// --- Leniencies ---

Deno.test("parseCommand() reports no leniency for strictly valid lines", () => {
  for (
    const line of [
      "MAIL FROM:<a@b.org> SIZE=1 BODY=8BITMIME",
      "RCPT TO:<a@b.org> NOTIFY=NEVER",
      "EHLO [192.0.2.1]",
      "NOOP",
    ]
  ) {
    assert.deepEqual(sloppy(line), [], line);
  }
});

Deno.test("parseCommand() accepts a space after FROM: and TO:, reporting space-after-colon", () => {
  const c = mail("MAIL FROM: <a@b.org> SIZE=1");
  assert.deepEqual(c.sloppy, ["space-after-colon"]);
  assert.equal(c.from?.text, "a@b.org");
  assert.deepEqual(sloppy("RCPT TO: <a@b.org>"), ["space-after-colon"]);
  assert.deepEqual(sloppy("MAIL FROM: <>"), ["space-after-colon"]);
  assert.deepEqual(sloppy("MAIL FROM:  <>"), ["extra-spaces", "space-after-colon"]);
  fails("MAIL FROM :<a@b.org>", "Syntax");
  fails("MAIL FROM<a@b.org>", "Syntax");
  fails("MAIL TO:<a@b.org>", "Syntax");
  fails("RCPT FROM:<a@b.org>", "Syntax");
});

Deno.test("parseCommand() accepts a path without angle brackets, reporting no-angle-brackets", () => {
  const c = mail("MAIL FROM:a@b.org SIZE=10");
  assert.deepEqual(c.sloppy, ["no-angle-brackets"]);
  assert.equal(c.params.size, 10);
  assert.deepEqual(sloppy("RCPT TO:a@b.org"), ["no-angle-brackets"]);
  fails("MAIL FROM:a@b.org>", "Syntax");
  fails("MAIL FROM:<a@b.org", "Syntax");
});

Deno.test("parseCommand() accepts extra and trailing spaces, reporting them", () => {
  assert.deepEqual(sloppy("MAIL  FROM:<a@b.org>  SIZE=1"), ["extra-spaces"]);
  assert.deepEqual(sloppy("EHLO  bar.com"), ["extra-spaces"]);
  for (
    const line of ["DATA ", "QUIT  ", "EHLO bar.com ", "MAIL FROM:<a@b.org> ", "NOOP ", "VRFY x "]
  ) {
    assert.deepEqual(sloppy(line), ["trailing-space"], JSON.stringify(line));
  }
  assert.equal((parseCommand("VRFY x ") as { arg: string }).arg, "x");
  assert.equal(parseCommand("DATA\t").verb, "unknown"); // only SP separates
});

Deno.test("parseCommand() accepts underscores in EHLO and HELO names only", () => {
  assert.deepEqual(parseCommand("EHLO my_pc"), {
    verb: "EHLO",
    host: domain("my_pc"),
    sloppy: ["underscore-in-domain"],
  });
  assert.deepEqual(sloppy("HELO _dmarc.example"), ["underscore-in-domain"]);
  fails("RCPT TO:<a@my_pc.example>", "Syntax");
});

Deno.test("parseCommand() accepts HELO with an address literal, reporting it", () => {
  assert.deepEqual(parseCommand("HELO [192.0.2.1]"), {
    verb: "HELO",
    host: { kind: "ipv4", address: "192.0.2.1" },
    sloppy: ["helo-address-literal"],
  });
});

// --- HTTP and junk ---

Deno.test("parseCommand() recognises HTTP request lines", () => {
  for (
    const [line, method] of [
      ["GET / HTTP/1.1", "GET"],
      ["POST /submit HTTP/1.0", "POST"],
      ["HEAD http://example.org/ HTTP/1.1", "HEAD"],
      ["CONNECT mail.example.org:25 HTTP/1.1", "CONNECT"],
      ["PRI * HTTP/2.0", "PRI"],
      ["GET /", "GET"],
    ]
  ) {
    assert.deepEqual(parseCommand(line!), { verb: "http", method, sloppy: [] }, line);
  }
  assert.equal(parseCommand("get / http/1.1").verb, "unknown");
  assert.equal(parseCommand("GET").verb, "unknown");
});

Deno.test("parseCommand() refuses empty lines, NUL, CR, LF and invalid UTF-8", () => {
  fails("", "Syntax");
  fails(" NOOP", "Syntax");
  assert.equal(fails("NOOP a\0b", "Syntax").offset, 6);
  fails("NOOP a\rb", "Syntax");
  fails("MAIL FROM:<a@b.org>\r\nRCPT TO:<c@d.org>", "Syntax");
  fails(Uint8Array.of(0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xff), "Syntax");
  fails(Uint8Array.of(0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xc3), "Syntax");
  fails("NOOP \ud800", "Syntax");
});

Deno.test("SmtpSyntaxError carries the verb and the offset of the problem", () => {
  const err = fails("RCPT TO:<a@b..org>", "Syntax");
  assert.equal(err.verb, "RCPT");
  assert.equal(err.offset, "RCPT TO:<a@".length);
  assert.equal(err.name, "SmtpSyntaxError");
  assert.equal(fails("", "Syntax").verb, undefined);
});

// --- Property tests (STYLE.md §19) ---

const seeds = [
  ...verbCases.map(([line]) => line),
  'MAIL FROM:<@a,@b:"x y"@[IPv6:::1]> SIZE=1 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=a+2B AUTH=<> REQUIRETLS HOLDFOR=1',
  "RCPT TO:<用户@例子.测试> NOTIFY=SUCCESS,DELAY ORCPT=utf-8;\\x{7528}@x",
  "MAIL FROM:<a@b.org> HOLDUNTIL=2030-01-01T00:00:00Z",
  "GET / HTTP/1.1",
];

function onlyOwnErrors(line: string | Uint8Array): void {
  try {
    const command = parseCommand(line);
    assert.equal(typeof command.verb, "string");
  } catch (err) {
    if (!(err instanceof SmtpSyntaxError)) throw err;
    assert.ok(err.code in syntaxErrorReplies);
  }
}

Deno.test("parseCommand() throws only SmtpSyntaxError on arbitrary strings", () => {
  const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  fc.assert(fc.property(fc.string({ unit }), onlyOwnErrors), { numRuns: 300 });
  const codePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) =>
    c >= 0xd800 && c <= 0xdfff ? "\ufffd" : String.fromCodePoint(c)
  );
  fc.assert(fc.property(fc.string({ unit: codePoint }), onlyOwnErrors), { numRuns: 300 });
});

Deno.test("parseCommand() throws only SmtpSyntaxError on arbitrary bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlyOwnErrors), { numRuns: 1000 });
});

Deno.test("parseCommand() throws only SmtpSyntaxError on mutated real commands", () => {
  const insert = fc.string({
    unit: fc.constantFrom(...' <>@:.,;=+\\"[]x-_é\u00ad\u3002'.split("")),
    maxLength: 4,
  });
  fc.assert(
    fc.property(fc.constantFrom(...seeds), fc.nat(), fc.nat(), insert, (seed, at, cut, text) => {
      const i = at % (seed.length + 1);
      onlyOwnErrors(seed.slice(0, i) + text + seed.slice(i + (cut % 3)));
    }),
    { numRuns: 3000 },
  );
});

// --- Replies (codes.ts) ---

Deno.test("reply() formats a one-line reply with its enhanced code", () => {
  assert.equal(reply("ok", "OK"), "250 2.0.0 OK\r\n");
  assert.equal(reply("unknownParameter", "Unknown parameter"), "555 5.5.4 Unknown parameter\r\n");
  assert.equal(reply("greeting", "mail.example.org ESMTP"), "220 mail.example.org ESMTP\r\n");
  assert.equal(
    reply("startData", "End data with <CR><LF>.<CR><LF>"),
    "354 End data with <CR><LF>.<CR><LF>\r\n",
  );
  assert.equal(reply("ok", ""), "250 2.0.0\r\n");
  assert.equal(reply("hello", ""), "250\r\n");
});

Deno.test("reply() formats multi-line replies with hyphens until the last line", () => {
  assert.equal(
    reply("hello", ["mail.example.org", "PIPELINING", "SMTPUTF8"]),
    "250-mail.example.org\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n",
  );
  assert.equal(
    reply("help", ["Commands:", "HELO EHLO"]),
    "214-2.0.0 Commands:\r\n214 2.0.0 HELO EHLO\r\n",
  );
});

Deno.test("reply() refuses CR, LF and lines over 512 octets", () => {
  assert.throws(() => reply("ok", "a\r\n250 injected"), /Cannot format reply/);
  assert.throws(() => reply("ok", ["a", "b\n"]), /Cannot format reply/);
  assert.equal(reply("hello", "x".repeat(506)).length, 512);
  assert.throws(() => reply("hello", "x".repeat(507)), /Cannot format reply/);
});

Deno.test("replies pair each code with an enhanced code of the same class", () => {
  for (const [name, [code, enhanced]] of Object.entries(replies)) {
    assert.match(String(code), /^[2-5]\d\d$/, name);
    if (enhanced === null) {
      assert.ok(code < 400, `${name}: only 2xx and 3xx replies may lack one`);
      continue;
    }
    assert.match(enhanced, /^[245]\.\d{1,3}\.\d{1,3}$/, name);
    assert.equal(enhanced[0], String(code)[0], name);
  }
});
