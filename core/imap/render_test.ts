import assert from "node:assert/strict";
import fc from "fast-check";
import { parseStructure, type Part } from "../mime/structure.ts";
import { bodyStructure, envelope, type StoredMessage } from "./render.ts";

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A stored message from CRLF-joined lines (each gets CRLF), after an optional prefix. */
function stored(lines: string[], prefix = ""): StoredMessage {
  const message = encoder.encode(lines.map((l) => `${l}\r\n`).join(""));
  const pre = encoder.encode(prefix);
  const file = new Uint8Array(pre.length + message.length);
  file.set(pre);
  file.set(message, pre.length);
  return { file, prefixSize: pre.length, root: parseStructure(message) };
}

function env(msg: StoredMessage, part?: Part, utf8 = false): string {
  return latin1.decode(envelope(msg, part, { utf8 }));
}

function body(msg: StoredMessage, extended = true, part?: Part, utf8 = false): string {
  return latin1.decode(bodyStructure(msg, part, extended, { utf8 }));
}

/** Reads one IMAP value (RFC 9051 §4) and returns where it ends; throws if malformed. */
function readValue(s: string, pos = 0): number {
  const c = s.charAt(pos);
  if (c === "(") {
    pos++;
    let first = true;
    while (s.charAt(pos) !== ")") {
      if (!first && !(s.charAt(pos) === "(" && s.charAt(pos - 1) === ")")) {
        assert.equal(s.charAt(pos), " ", `space expected at ${pos} in ${s}`);
        pos++;
      }
      pos = readValue(s, pos);
      first = false;
    }
    return pos + 1;
  }
  if (c === '"') {
    for (pos++; s.charAt(pos) !== '"'; pos++) {
      const d = s.charCodeAt(pos);
      assert.ok(d !== 13 && d !== 10 && d !== 0 && pos < s.length, `bad quoted char in ${s}`);
      if (s.charAt(pos) === "\\") {
        pos++;
        assert.ok('"\\'.includes(s.charAt(pos)), `bad quoted-pair in ${s}`);
      }
    }
    return pos + 1;
  }
  const literal = /^\{(\d+)\}\r\n/.exec(s.slice(pos));
  if (literal !== null) {
    const content = s.slice(pos + literal[0].length, pos + literal[0].length + Number(literal[1]));
    assert.ok(!content.includes("\0"), "NUL in a literal");
    return pos + literal[0].length + Number(literal[1]);
  }
  const atom = /^(NIL|\d+)/.exec(s.slice(pos));
  assert.ok(atom !== null, `value expected at ${pos} in ${JSON.stringify(s)}`);
  return pos + atom[0].length;
}

function assertOneValue(s: string): void {
  assert.equal(readValue(s), s.length, `trailing octets in ${JSON.stringify(s)}`);
}

Deno.test("envelope() lists the fields in RFC 9051 order", () => {
  const msg = stored([
    "Date: Mon, 7 Apr 2025 09:15:00 +0200",
    "Subject: Lunch",
    "From: Alice Example <alice@example.org>",
    "Sender: bob@example.org",
    "Reply-To: list@example.org",
    "To: Bob <bob@example.net>, carol@example.com",
    "Cc: dave@example.com",
    "Bcc: eve@example.com",
    "In-Reply-To: <a@example.org>",
    "Message-ID: <b@example.org>",
    "",
    "hi",
  ]);
  assert.equal(
    env(msg),
    '("Mon, 7 Apr 2025 09:15:00 +0200" "Lunch" (("Alice Example" NIL "alice" "example.org")) ' +
      '((NIL NIL "bob" "example.org")) ((NIL NIL "list" "example.org")) ' +
      '(("Bob" NIL "bob" "example.net")(NIL NIL "carol" "example.com")) ' +
      '((NIL NIL "dave" "example.com")) ((NIL NIL "eve" "example.com")) ' +
      '"<a@example.org>" "<b@example.org>")',
  );
});

Deno.test("envelope() defaults sender and reply-to to from, and absent fields to NIL", () => {
  const msg = stored(["From: a@example.org", "", "x"]);
  const from = '((NIL NIL "a" "example.org"))';
  assert.equal(env(msg), `(NIL NIL ${from} ${from} ${from} NIL NIL NIL NIL NIL)`);
  assert.equal(env(stored(["", "x"])), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
});

Deno.test("envelope() marks group start and end with NIL host", () => {
  const msg = stored([
    "To: undisclosed-recipients:;",
    'Cc: Team: a@example.org, "B" <b@example.org>;, c@example.org',
    "",
  ]);
  assert.equal(
    env(msg),
    '(NIL NIL NIL NIL NIL ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ' +
      '((NIL NIL "Team" NIL)(NIL NIL "a" "example.org")("B" NIL "b" "example.org")' +
      '(NIL NIL NIL NIL)(NIL NIL "c" "example.org")) NIL NIL NIL)',
  );
});

Deno.test("envelope() keeps encoded words and routes as written", () => {
  const msg = stored([
    "Subject: =?UTF-8?Q?caf=C3=A9?=",
    "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
    "To: <@relay.example,@other.example:route@example.org>",
    "",
  ]);
  const from = '(("=?ISO-8859-1?Q?Andr=E9?= Pirard" NIL "PIRARD" "vm1.ulg.ac.be"))';
  assert.equal(
    env(msg),
    `(NIL "=?UTF-8?Q?caf=C3=A9?=" ${from} ${from} ${from} ` +
      '((NIL "@relay.example,@other.example" "route" "example.org")) NIL NIL NIL NIL)',
  );
});

Deno.test("envelope() fills in MISSING_MAILBOX and MISSING_DOMAIN for broken addresses", () => {
  const msg = stored(["From: nobody", "To: a@example.org, , <>, broken@", ""]);
  assert.match(env(msg), /^\(NIL NIL \(\(NIL NIL "nobody" "MISSING_DOMAIN"\)\) /);
  assert.match(
    env(msg),
    / \(\(NIL NIL "a" "example.org"\)\(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN"\)\(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN"\)\(NIL NIL "broken" "MISSING_DOMAIN"\)\) NIL NIL NIL NIL\)$/,
  );
});

Deno.test("envelope() takes a comment after an address as the display name", () => {
  const msg = stored(["From: jane@example.org (Jane Roe)", ""]);
  assert.match(env(msg), /^\(NIL NIL \(\("Jane Roe" NIL "jane" "example\.org"\)\)/);
});

Deno.test("envelope() cleans whitespace of subjects and names and then sends a literal", () => {
  const msg = stored([
    "Subject:   padded   subject\twith tab  ",
    'From: "  spaced   out  " <s@example.org>',
    "",
  ]);
  const out = env(msg);
  assert.ok(out.startsWith("(NIL {23}\r\npadded subject with tab (({10}\r\nspaced out NIL "), out);
  assertOneValue(out);
});

Deno.test("envelope() sends quoted-specials in names as a literal, unescaped", () => {
  const msg = stored([String.raw`From: "Doe, John \"Johnny\"" <j@example.org>`, ""]);
  assert.ok(env(msg).includes('(({18}\r\nDoe, John "Johnny" NIL "j" "example.org"))'));
});

Deno.test("envelope() quotes up to four quoted-specials and sends more as a literal", () => {
  const four = stored(['Message-ID: <"a"\\b"@x>', ""]);
  assert.ok(env(four).endsWith(' NIL "<\\"a\\"\\\\b\\"@x>")'), env(four));
  const five = stored(['Message-ID: <"a"\\"b"@x>', ""]);
  assert.ok(env(five).endsWith(' NIL {11}\r\n<"a"\\"b"@x>)'), env(five));
});

Deno.test("envelope() unfolds Date and Message-ID keeping the folding whitespace", () => {
  const msg = stored(["Date: Fri, 25 Apr 2025", "\t21:00:00 +0000", "Message-ID:", " <f@x>", ""]);
  assert.equal(
    env(msg),
    '("Fri, 25 Apr 2025\t21:00:00 +0000" NIL NIL NIL NIL NIL NIL NIL NIL " <f@x>")',
  );
});

Deno.test("envelope() sends 8-bit as a literal unless UTF8=ACCEPT allows valid UTF-8", () => {
  const msg = stored(["Subject: Grüße", "From: Jürgen <j@example.de>", ""]);
  const subject = "Grüße";
  const octets = latin1.decode(encoder.encode(subject));
  assert.ok(env(msg).startsWith(`(NIL {${octets.length}}\r\n${octets} `));
  assert.ok(
    env(msg, undefined, true).startsWith(
      `(NIL "${octets}" (("${latin1.decode(encoder.encode("Jürgen"))}" NIL`,
    ),
  );
  // Invalid UTF-8 (Latin-1 octets) stays a literal even with UTF8=ACCEPT.
  const raw = new Uint8Array([
    ...encoder.encode("Subject: Gr"),
    0xfc,
    ...encoder.encode("\r\n\r\n"),
  ]);
  const latin = { file: raw, prefixSize: 0, root: parseStructure(raw) };
  assert.ok(env(latin, undefined, true).startsWith("(NIL {3}\r\nGr\xfc NIL"));
});

Deno.test("envelope() joins repeated address fields and keeps the last Subject", () => {
  const msg = stored([
    "Subject: one",
    "Subject: two",
    "To: a@example.org",
    "To: b@example.org",
    "",
  ]);
  assert.equal(
    env(msg),
    '(NIL "two" NIL NIL NIL ((NIL NIL "a" "example.org")(NIL NIL "b" "example.org")) NIL NIL NIL NIL)',
  );
});

Deno.test("envelope() reads the header after the delivery prefix and ignores its body", () => {
  const lines = ["Subject: hi", "From: a@example.org", "", "Subject: not a header"];
  const plain = stored(lines);
  const prefixed = stored(lines, "Received: from x by y; Mon, 7 Apr 2025 09:15:00 +0200\r\n");
  assert.equal(env(prefixed), env(plain));
});

Deno.test("envelope() of an embedded message reads the embedded header", () => {
  const msg = stored([
    "Subject: outer",
    "Content-Type: message/rfc822",
    "",
    "Subject: inner",
    "",
    "text",
  ]);
  assert.equal(env(msg, msg.root.parts[0]), '(NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL)');
});

Deno.test("bodyStructure() of a text message gives lines and the default charset", () => {
  const msg = stored(["Subject: x", "", "one", "two"]);
  assert.equal(
    body(msg),
    '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 2 NIL NIL NIL NIL)',
  );
  assert.equal(body(msg, false), '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 2)');
});

Deno.test("bodyStructure() keeps the written case and adds charset after other parameters", () => {
  const msg = stored([
    "Content-Type: TEXT/HTML; Name=page.html",
    "Content-Transfer-Encoding: BASE64",
    "",
    "PGI+",
  ]);
  assert.equal(
    body(msg, false),
    '("TEXT" "HTML" ("Name" "page.html" "charset" "us-ascii") NIL NIL "BASE64" 6 1)',
  );
});

Deno.test("bodyStructure() joins RFC 2231 continuations and keeps extended values encoded", () => {
  const msg = stored([
    'Content-Type: application/octet-stream; name*1=" two"; name*0=one;',
    " title*=utf-8''%E2%82%AC; x*0*=utf-8''a%20; x*1=b%c",
    "",
    "x",
  ]);
  assert.equal(
    body(msg, false),
    '("application" "octet-stream" ("name" "one two" "title*" "utf-8\'\'%E2%82%AC" ' +
      '"x*" "utf-8\'\'a%20b%25c") NIL NIL "7bit" 3)',
  );
});

Deno.test("bodyStructure() of a multipart has children, subtype and extension data", () => {
  const msg = stored([
    'Content-Type: multipart/mixed; boundary="b"',
    "Content-Language: en, de (German)",
    "Content-Location: http://example.org/x",
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "Content-ID: <id@x>",
    "Content-Description: A file",
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
    'Content-Disposition: attachment; filename="a.txt"',
    "",
    "hello",
    "--b--",
  ]);
  assert.equal(
    body(msg),
    '(("text" "plain" ("charset" "utf-8") "<id@x>" "A file" "7bit" 5 1 ' +
      '"Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "a.txt")) NIL NIL) ' +
      '"mixed" ("boundary" "b") NIL ("en" "de") "http://example.org/x")',
  );
  assert.equal(
    body(msg, false),
    '(("text" "plain" ("charset" "utf-8") "<id@x>" "A file" "7bit" 5 1) "mixed")',
  );
  assert.equal(
    body(msg, true, msg.root.parts[0]),
    '("text" "plain" ("charset" "utf-8") "<id@x>" "A file" "7bit" 5 1 ' +
      '"Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "a.txt")) NIL NIL)',
  );
});

Deno.test("bodyStructure() of message/rfc822 has envelope, body and lines", () => {
  const msg = stored([
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
    "Content-Type: message/rfc822",
    "",
    "Subject: inner",
    "",
    "text",
    "--b--",
  ]);
  assert.equal(
    body(msg, false),
    '(("message" "rfc822" NIL NIL NIL "7bit" 22 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ' +
      '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1) 3) "mixed")',
  );
});

Deno.test("bodyStructure() of a multipart without boundary is an octet-stream leaf", () => {
  const msg = stored(["Content-Type: multipart/mixed; charset=x", "", "--a", "", "x", "--a--"]);
  assert.equal(
    body(msg, false),
    '("application" "octet-stream" ("charset" "x") NIL NIL "7bit" 17)',
  );
});

Deno.test("bodyStructure() treats an invalid Content-Type as text/plain", () => {
  const msg = stored(["Content-Type: garbage", "Content-Disposition: ;;", "", "x"]);
  assert.equal(
    body(msg),
    '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL)',
  );
});

Deno.test("bodyStructure() sends 8-bit parameters quoted only with UTF8=ACCEPT", () => {
  const msg = stored(['Content-Type: text/plain; name="Grüße.txt"', "", "x"]);
  const name = latin1.decode(encoder.encode("Grüße.txt"));
  assert.ok(body(msg, false).includes(`("name" {${name.length}}\r\n${name} "charset"`));
  assert.ok(body(msg, false, undefined, true).includes(`("name" "${name}" "charset"`));
});

Deno.test("bodyStructure() counts body octets without the delivery prefix", () => {
  const lines = ["Subject: x", "", "body"];
  assert.equal(body(stored(lines, "Received: by x; now\r\n")), body(stored(lines)));
});

Deno.test("envelope() and bodyStructure() always give one well-formed IMAP value", () => {
  const headerChar = fc.constantFrom(
    ..."aZ09 <>@,;:.\"\\()[]=?*'%/\t".split(""),
    "\r\n ",
    "\u00e9",
    "\u0000",
  );
  const value = fc.array(headerChar, { maxLength: 40 }).map((a) => a.join(""));
  const names = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
    "Content-Disposition",
    "Content-Transfer-Encoding",
    "Content-ID",
    "Content-Language",
  ];
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 8 }),
      fc.boolean(),
      (fields, utf8) => {
        const msg = stored([...fields.map(([n, v]) => `${n}: ${v}`), "", "body"]);
        assertOneValue(env(msg, undefined, utf8));
        assertOneValue(body(msg, true, undefined, utf8));
        assertOneValue(body(msg, false, undefined, utf8));
      },
    ),
    { numRuns: 300 },
  );
});
