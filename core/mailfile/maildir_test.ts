import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatDovecotKeywords,
  lfLineEndings,
  maildirFilename,
  maildirFlags,
  normalizeLineEndings,
  parseDovecotKeywords,
} from "./maildir.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("maildirFlags() maps the info letters to IMAP flags in canonical order", () => {
  assert.deepEqual(maildirFlags("1700000000.M1P2.host,S=10,W=12:2,FRS"), {
    flags: ["\\Seen", "\\Answered", "\\Flagged"],
    problems: [],
  });
  assert.deepEqual(maildirFlags("u:2,DFPRST").flags, [
    "\\Seen",
    "\\Answered",
    "\\Flagged",
    "\\Deleted",
    "\\Draft",
    "$Forwarded",
  ]);
  assert.deepEqual(maildirFlags("u:2,SSTR").flags, ["\\Seen", "\\Answered", "\\Deleted"]);
  assert.deepEqual(maildirFlags("u:2,"), { flags: [], problems: [] });
});

Deno.test("maildirFlags() returns no flags when the name has no info (new/)", () => {
  assert.deepEqual(maildirFlags("1700000000.M1P2.host"), { flags: [], problems: [] });
  assert.deepEqual(maildirFlags("1700000000.M1P2.host,S=1234"), { flags: [], problems: [] });
});

Deno.test("maildirFlags() accepts ; and ! as info separators when there is no colon", () => {
  assert.deepEqual(maildirFlags("u;2,S").flags, ["\\Seen"]);
  assert.deepEqual(maildirFlags("u!2,FS").flags, ["\\Seen", "\\Flagged"]);
  assert.deepEqual(maildirFlags("a!b;2,T").flags, ["\\Deleted"]);
});

Deno.test("maildirFlags() maps lowercase letters through dovecot-keywords", () => {
  const { keywords } = parseDovecotKeywords("0 $Junk\n1 NonJunk\n3 work\n");
  assert.deepEqual(maildirFlags("u:2,Sabd", keywords), {
    flags: ["\\Seen", "$Junk", "NonJunk", "work"],
    problems: [],
  });
  const missing = maildirFlags("u:2,Sc", keywords);
  assert.deepEqual(missing.flags, ["\\Seen"]);
  assert.equal(missing.problems.length, 1);
  assert.match(missing.problems[0] ?? "", /"c" not in dovecot-keywords/);
  assert.equal(maildirFlags("u:2,a").problems.length, 1, "no keyword list given");
});

Deno.test("maildirFlags() drops garbage in the info with a problem and keeps the rest", () => {
  const r = maildirFlags("u:2,S,X1R");
  assert.deepEqual(r.flags, ["\\Seen", "\\Answered"]);
  assert.equal(r.problems.length, 3);
  assert.equal(maildirFlags("u:1,S").flags.length, 0);
  assert.match(maildirFlags("u:1,S").problems[0] ?? "", /^Experimental maildir info/);
  assert.match(maildirFlags("u:garbage").problems[0] ?? "", /^Unrecognised info/);
  assert.equal(maildirFlags("u:2,Sé").problems.length, 1);
});

Deno.test("parseDovecotKeywords() keeps indexes, skips malformed lines with their number", () => {
  const r = parseDovecotKeywords("0 $Junk\r\n\n2 NonJunk\nbogus\n26 tooFar\n4 bad\\kw\n");
  assert.deepEqual(r.keywords, ["$Junk", "", "NonJunk"]);
  assert.equal(r.problems.length, 3);
  assert.match(r.problems[0] ?? "", /line 4/);
  assert.equal(formatDovecotKeywords(r.keywords), "0 $Junk\n2 NonJunk\n");
  assert.deepEqual(parseDovecotKeywords(""), { keywords: [], problems: [] });
});

Deno.test("maildirFilename() writes info letters in ASCII order", () => {
  const r = maildirFilename({
    uniq: "1700000000.M1P2.host",
    flags: ["\\Seen", "\\Flagged", "$Forwarded", "\\Answered", "\\Draft", "\\Deleted", "\\Recent"],
  });
  assert.deepEqual(r, { name: "1700000000.M1P2.host:2,DFPRST", keywords: [], unstored: [] });
  assert.equal(maildirFilename({ uniq: "u", flags: [] }).name, "u:2,");
  assert.equal(maildirFilename({ uniq: "u", flags: ["\\Seen"], separator: "!" }).name, "u!2,S");
});

Deno.test("maildirFilename() assigns keyword letters, reusing and extending the list", () => {
  const r = maildirFilename({
    uniq: "u",
    flags: ["work", "\\Seen", "$junk"],
    keywords: ["$Junk", "", "home"],
  });
  assert.deepEqual(r, { name: "u:2,Sab", keywords: ["$Junk", "work", "home"], unstored: [] });
  const more = maildirFilename({ uniq: "u", flags: ["x"], keywords: ["a", "b"] });
  assert.deepEqual(more, { name: "u:2,c", keywords: ["a", "b", "x"], unstored: [] });
});

Deno.test("maildirFilename() reports keywords past the 26 letters as unstored", () => {
  const full = Array.from({ length: 26 }, (_, i) => `k${i}`);
  const r = maildirFilename({ uniq: "u", flags: ["k25", "extra"], keywords: full });
  assert.deepEqual(r, { name: "u:2,z", keywords: full, unstored: ["extra"] });
});

Deno.test("maildirFilename() throws RangeError for a bad unique part or flag", () => {
  for (const uniq of ["", ".", "..", "a/b", "a:b", "a\0b"]) {
    assert.throws(() => maildirFilename({ uniq, flags: [] }), RangeError, uniq);
  }
  assert.throws(() => maildirFilename({ uniq: "u", flags: ["\\Bogus"] }), RangeError);
  assert.throws(() => maildirFilename({ uniq: "u", flags: ["a b"] }), RangeError);
});

Deno.test("maildirFlags() reads back what maildirFilename() writes", () => {
  const flag = fc.oneof(
    fc.constantFrom("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Forwarded"),
    fc.stringMatching(/^[A-Za-z$][A-Za-z0-9_$.-]{0,8}$/),
  );
  fc.assert(
    fc.property(fc.array(flag, { maxLength: 12 }), fc.array(flag, { maxLength: 5 }), (f, k) => {
      const start = [...new Set(k.filter((x) => !x.startsWith("\\")))];
      const { name, keywords, unstored } = maildirFilename({
        uniq: "u.1",
        flags: f,
        keywords: start,
      });
      assert.deepEqual(unstored, []);
      const back = maildirFlags(name, keywords);
      assert.deepEqual(back.problems, []);
      const lower = (xs: string[]) => xs.map((x) => x.toLowerCase()).sort();
      assert.deepEqual(
        lower([...new Set(back.flags)]),
        lower([...new Set(f.map((x) => x.toLowerCase()))]),
      );
    }),
  );
});

Deno.test("normalizeLineEndings() turns bare LF into CRLF and keeps CRLF and lone CR", () => {
  assert.equal(dec(normalizeLineEndings(enc("a\nb\r\nc\rd\n\n"))), "a\r\nb\r\nc\rd\r\n\r\n");
  assert.equal(dec(normalizeLineEndings(enc("\nx"))), "\r\nx");
  const crlf = enc("a\r\nb\r\n");
  assert.equal(normalizeLineEndings(crlf), crlf);
  assert.equal(dec(normalizeLineEndings(enc(""))), "");
});

Deno.test("lfLineEndings() turns CRLF into LF and keeps lone CR", () => {
  assert.equal(dec(lfLineEndings(enc("a\r\nb\rc\r\n\r\n"))), "a\nb\rc\n\n");
  const lf = enc("a\nb\n");
  assert.equal(lfLineEndings(lf), lf);
});

Deno.test("normalizeLineEndings() inverts lfLineEndings() on CRLF text without lone CR", () => {
  fc.assert(
    fc.property(fc.array(fc.string().map((s) => s.replace(/[\r\n]/g, ""))), (lines) => {
      const crlf = enc(lines.map((l) => l + "\r\n").join(""));
      assert.deepEqual(normalizeLineEndings(lfLineEndings(crlf)), crlf);
    }),
  );
});
