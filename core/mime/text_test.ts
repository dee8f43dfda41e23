import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeBase64Lenient,
  decodeEncodedWords,
  decodeQuotedPrintable,
  extractText,
  parseStructure,
} from "./mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Lines joined with CRLF (the last one gets one too). */
function crlf(...lines: string[]): Uint8Array {
  return encoder.encode(lines.map((l) => `${l}\r\n`).join(""));
}

function text(msg: Uint8Array, maxOctets?: number) {
  return extractText(msg, parseStructure(msg), maxOctets === undefined ? {} : { maxOctets });
}

function qp(s: string): string {
  return decoder.decode(decodeQuotedPrintable(encoder.encode(s)));
}

function b64(s: string): string {
  return decoder.decode(decodeBase64Lenient(encoder.encode(s)));
}

// ---- quoted-printable ----

Deno.test("decodeQuotedPrintable() joins soft line breaks", () => {
  assert.equal(
    qp("Now's the time =\r\nfor all folk to come=\r\n to the aid"),
    "Now's the time for all folk to come to the aid",
  );
  assert.equal(qp("bare=\nLF"), "bareLF");
  assert.equal(qp("padded= \t\r\nsoft"), "paddedsoft");
  assert.equal(qp("ends with ="), "ends with ");
});

Deno.test("decodeQuotedPrintable() decodes =XX in either case and keeps stray =", () => {
  assert.equal(qp("caf=C3=A9 caf=c3=a9"), "café café");
  assert.equal(qp("a=b =Z1 =4"), "a=b =Z1 =4");
});

Deno.test("decodeQuotedPrintable() drops trailing whitespace but keeps encoded spaces and line ends", () => {
  assert.equal(qp("one  \r\ntwo\t\nthree=20\r\n"), "one\r\ntwo\nthree \r\n");
});

// ---- base64 ----

Deno.test("decodeBase64Lenient() decodes across line breaks and skips garbage", () => {
  assert.equal(b64("SGVs\r\nbG8s\r\nIHdv\r\ncmxk"), "Hello, world");
  assert.equal(b64(" SGVs*bG8g, !d29y\tbGQ= "), "Hello world");
  assert.equal(b64("SGk="), "Hi");
  assert.equal(b64("SGk"), "Hi");
  assert.equal(b64(""), "");
});

Deno.test("decodeBase64Lenient() decodes padded encodings run together", () => {
  assert.equal(b64("SGk=SGk=\r\nYQ=="), "HiHia");
});

// ---- RFC 2047 ----

Deno.test("decodeEncodedWords() decodes the RFC 2047 §8 examples", () => {
  const cases: [string, string][] = [
    ["=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"],
    ["=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", "Keld Jørn Simonsen <keld@dkuug.dk>"],
    [
      "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
      "André Pirard <PIRARD@vm1.ulg.ac.be>",
    ],
    [
      "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
      "If you can read this you understand the example.",
    ],
    [
      "Nathaniel Borenstein <nsb@thumper.bellcore.com> (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)",
      "Nathaniel Borenstein <nsb@thumper.bellcore.com> (םולש ןב ילטפנ)",
    ],
    ["(=?ISO-8859-1?Q?a?=)", "(a)"],
    ["(=?ISO-8859-1?Q?a?= b)", "(a b)"],
    ["(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a?=    =?ISO-8859-1?Q?b?=)", "(ab)"], // unfolded CRLF SPACE
    ["(=?ISO-8859-1?Q?a_b?=)", "(a b)"],
    ["(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"],
  ];
  for (const [input, want] of cases) assert.equal(decodeEncodedWords(input), want, input);
});

Deno.test("decodeEncodedWords() handles UTF-8, RFC 2231 languages, split characters and unknown charsets", () => {
  assert.equal(decodeEncodedWords("=?UTF-8?B?R3LDvMOfZQ==?="), "Grüße");
  assert.equal(decodeEncodedWords("=?utf-8?q?Gr=C3=BC=C3=9Fe?= aus K=?x?"), "Grüße aus K=?x?");
  assert.equal(decodeEncodedWords("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
  // "ü" split between two words in the same charset.
  assert.equal(decodeEncodedWords("=?utf-8?q?Gr=C3?= =?utf-8?q?=BC=C3=9Fe?="), "Grüße");
  assert.equal(decodeEncodedWords("=?x-unknown?Q?abc?= =?utf-8?Q?d?="), "=?x-unknown?Q?abc?= d");
  assert.equal(decodeEncodedWords("no words here"), "no words here");
});

// ---- extractText ----

Deno.test("extractText() unfolds and decodes top-level header fields", () => {
  const msg = crlf(
    "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.org>",
    "Subject: =?utf-8?B?R3LDvMOfZQ==?=",
    "  aus =?utf-8?q?K=C3=B6ln?=",
    "X-Newline: =?utf-8?q?a=0Ab?=",
    "",
    "Hello",
  );
  const { headers, body } = text(msg);
  assert.equal(
    headers,
    "From: André Pirard <pirard@example.org>\nSubject: Grüße  aus Köln\nX-Newline: a b",
  );
  assert.equal(body, "Hello\r\n");
});

Deno.test("extractText() decodes quoted-printable utf-8 and base64 iso-8859-1 parts", () => {
  const msg = crlf(
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Gr=C3=BC=C3=9Fe aus K=C3=B6ln, this line is soft =",
    "broken.",
    "--b",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: base64",
    "",
    encoderBase64(new Uint8Array([0x4b, 0xf8, 0x62, 0x65, 0x6e, 0x68, 0x61, 0x76, 0x6e])),
    "--b--",
  );
  assert.equal(text(msg).body, "Grüße aus Köln, this line is soft broken.\nKøbenhavn");
});

function encoderBase64(bytes: Uint8Array): string {
  const s = btoa(String.fromCharCode(...bytes));
  return s.slice(0, 4) + "\r\n" + s.slice(4); // with a line break inside
}

Deno.test("extractText() reads unknown charsets as utf-8 and 8-bit us-ascii as utf-8 or windows-1252", () => {
  const unknown = crlf("Content-Type: text/plain; charset=x-klingon", "", "Grüße");
  assert.equal(text(unknown).body, "Grüße\r\n");
  const utf8 = crlf("Subject: none", "", "Grüße");
  assert.equal(text(utf8).body, "Grüße\r\n");
  const latin = new Uint8Array([...crlf("Subject: none", ""), 0x47, 0x72, 0xfc, 0xdf, 0x65]);
  assert.equal(text(latin).body, "Grüße");
});

Deno.test("extractText() strips HTML tags, drops script and style, decodes entities", () => {
  const msg = crlf(
    "Content-Type: text/html; charset=utf-8",
    "",
    "<!DOCTYPE html><html><head><title>T</title><style>p { color: red }</style>",
    "<script type='text/javascript'>var x = '<p>not text</p>';</script></head>",
    "<body><p>Hello&nbsp;<b>wor</b>ld &amp; caf&eacute; &#233;&#x20AC; &bogus; a < b</p>",
    "<!-- a comment <p>hidden</p> --><div>Second<br>line</div><SCRIPT>x()</SCRIPT>end",
    "</body></html>",
  );
  assert.equal(text(msg).body, "T\nHello world & café é€ &bogus; a < b\nSecond\nline\nend");
});

Deno.test("extractText() skips attachments and everything inside them", () => {
  const msg = crlf(
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
    "Content-Type: text/plain",
    "",
    "main text",
    "--b",
    "Content-Type: text/plain; name=notes.txt",
    "Content-Disposition: attachment; filename=notes.txt",
    "",
    "attached text",
    "--b",
    "Content-Type: message/rfc822",
    "Content-Disposition: attachment",
    "",
    "Subject: inner",
    "",
    "forwarded text",
    "--b",
    "Content-Type: application/pdf",
    "Content-Transfer-Encoding: base64",
    "",
    "JVBERi0xLjQ=",
    "--b",
    "Content-Type: text/plain",
    "Content-Disposition: inline",
    "",
    "inline text",
    "--b--",
  );
  assert.equal(text(msg).body, "main text\ninline text");
});

Deno.test("extractText() keeps both parts of a nested multipart/alternative in order", () => {
  const msg = crlf(
    "Content-Type: multipart/mixed; boundary=outer",
    "",
    "--outer",
    "Content-Type: multipart/alternative; boundary=inner",
    "",
    "--inner",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "plain version",
    "--inner",
    "Content-Type: text/html; charset=us-ascii",
    "",
    "<p>html <i>version</i></p>",
    "--inner--",
    "--outer",
    "Content-Type: message/rfc822",
    "",
    "Subject: forwarded inline",
    "",
    "forwarded body",
    "--outer--",
  );
  assert.equal(text(msg).body, "plain version\nhtml version\nforwarded body");
});

Deno.test("extractText() caps headers and body at maxOctets on a character boundary", () => {
  const msg = crlf(
    "Subject: ääääääääää",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "ä".repeat(5000),
  );
  const capped = text(msg, 101);
  assert.equal(capped.body, "ä".repeat(50));
  assert.ok(encoder.encode(capped.headers).length <= 101);
  assert.ok(capped.headers.startsWith("Subject: ää"));
  assert.deepEqual(text(msg, 0), { headers: "", body: "" });

  // The default is 1 MiB of output.
  const big = crlf("Subject: big", "", "x".repeat(2 * 1024 * 1024));
  assert.equal(text(big).body.length, 1024 * 1024);
});

Deno.test("extractText() stops reading parts once the cap is reached", () => {
  const parts: string[] = ["Content-Type: multipart/mixed; boundary=b", ""];
  for (let i = 0; i < 100; i++) parts.push("--b", "", `part ${i} ${"y".repeat(100)}`);
  parts.push("--b--");
  const body = text(crlf(...parts), 1000).body;
  assert.ok(body.startsWith("part 0 "));
  assert.ok(!body.includes("part 20 "));
  assert.ok(encoder.encode(body).length <= 1000);
});

Deno.test("extractText() never throws on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const out = extractText(bytes, parseStructure(bytes), { maxOctets: 500 });
      assert.ok(encoder.encode(out.body).length <= 500);
      assert.ok(encoder.encode(out.headers).length <= 500);
    }),
    { numRuns: 300 },
  );
});

Deno.test("extractText() and decoders never throw on mail-shaped junk", () => {
  const tokens = [
    "\r\n",
    "\n",
    "\r\n\r\n",
    "--b\r\n",
    "--b--\r\n",
    "Content-Type: multipart/mixed; boundary=b\r\n",
    "Content-Type: text/html; charset=iso-2022-jp\r\n",
    "Content-Type: text/plain; charset=utf-16\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "Content-Disposition: attachment\r\n",
    "Subject: =?utf-8?B?",
    "=?x?q?=FF",
    "?=",
    "=",
    "=\r\n",
    "=C3",
    "<script",
    "</script>",
    "<!--",
    "&#x10FFFF;",
    "&#99999999;",
    "<p",
    ">",
    "äöü",
    "\u0000",
  ];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 60 }), (list) => {
      const s = list.join("");
      const bytes = encoder.encode(s);
      extractText(bytes, parseStructure(bytes));
      decodeEncodedWords(s);
      decodeQuotedPrintable(bytes);
      decodeBase64Lenient(bytes);
    }),
    { numRuns: 500 },
  );
});
