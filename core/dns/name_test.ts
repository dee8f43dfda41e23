import assert from "node:assert/strict";
import { labelsToText, nameKey, normalizeName, sameName, textToLabels } from "./name.ts";

const label = (n: number, c = "a") => c.repeat(n);

Deno.test("normalizeName() drops the trailing dot and keeps case", () => {
  assert.equal(normalizeName("Mail.Example.ORG."), "Mail.Example.ORG");
  assert.equal(normalizeName("mail.example.org"), "mail.example.org");
  assert.equal(normalizeName("_dmarc.example.org"), "_dmarc.example.org");
  assert.equal(normalizeName("_25._tcp.mx.example.org."), "_25._tcp.mx.example.org");
});

Deno.test("normalizeName() maps the root to the empty string", () => {
  assert.equal(normalizeName("."), "");
  assert.equal(normalizeName(""), "");
});

Deno.test("normalizeName() converts U-labels to A-labels (IDNA)", () => {
  assert.equal(normalizeName("bücher.example"), "xn--bcher-kva.example");
  assert.equal(normalizeName("例え.テスト."), "xn--r8jz45g.xn--zckzah");
  // UTS #46 mapping: upper case folded, ideographic full stop as a dot.
  assert.equal(normalizeName("BÜCHER。example"), "xn--bcher-kva.example");
});

Deno.test("normalizeName() refuses U-labels that cannot be converted", () => {
  assert.throws(() => normalizeName("bü/cher.example"), SyntaxError);
  assert.throws(() => normalizeName("bücher@example"), SyntaxError);
  assert.throws(() => normalizeName("xn--a.bücher"), SyntaxError);
});

Deno.test("normalizeName() accepts a 63-octet label and refuses 64 (RFC 1035 §2.3.4)", () => {
  assert.equal(normalizeName(`${label(63)}.org`), `${label(63)}.org`);
  assert.throws(() => normalizeName(`${label(64)}.org`), /label longer than 63/);
});

Deno.test("normalizeName() accepts 255 octets in wire form and refuses 256", () => {
  // Four labels of 63 + length octets = 256, minus 2: 253 characters of text is 255 octets.
  const max = [label(63), label(63), label(63), label(61)].join(".");
  assert.equal(max.length, 253);
  assert.equal(normalizeName(max), max);
  assert.equal(normalizeName(`${max}.`), max);
  assert.throws(() => normalizeName(`${max}a`), /longer than 255/);
});

Deno.test("normalizeName() refuses empty labels", () => {
  for (const bad of ["a..b", ".a", "a.b..", ".."]) {
    assert.throws(() => normalizeName(bad), /empty label/, bad);
  }
});

Deno.test("normalizeName() puts escapes in canonical form", () => {
  assert.equal(normalizeName("a\\.b.c"), "a\\.b.c");
  assert.equal(normalizeName("\\065b.c"), "Ab.c");
  assert.equal(normalizeName("a\\032b.c"), "a\\032b.c");
  assert.equal(normalizeName("a\\ b.c"), "a\\032b.c");
  assert.equal(normalizeName("a\\\\.c"), "a\\\\.c");
  assert.throws(() => normalizeName("a\\256.c"), /bad escape/);
  assert.throws(() => normalizeName("a\\1.c"), /bad escape/);
  assert.throws(() => normalizeName("a\\"), /bad escape/);
});

Deno.test("textToLabels() splits on unescaped dots only", () => {
  assert.deepEqual(textToLabels("a\\.b.c").map((l) => l.length), [3, 1]);
  assert.deepEqual(textToLabels("a\\\\.c").map((l) => l.length), [2, 1]);
  assert.deepEqual(textToLabels("a.b\\."), [Uint8Array.of(97), Uint8Array.of(98, 46)]);
  assert.deepEqual(textToLabels("a.b."), [Uint8Array.of(97), Uint8Array.of(98)]);
});

Deno.test("labelsToText() escapes dots, backslashes and non-printable octets", () => {
  assert.equal(
    labelsToText([Uint8Array.of(0x61, 0x2e, 0x5c, 0x00, 0xff, 0x20)]),
    "a\\.\\\\\\000\\255\\032",
  );
  assert.equal(labelsToText([]), "");
  const round = [Uint8Array.of(1, 2, 0x2e), Uint8Array.of(0x41)];
  assert.deepEqual(textToLabels(labelsToText(round)), round);
});

Deno.test("sameName() compares ASCII case-insensitively (RFC 4343)", () => {
  assert.ok(sameName("Example.ORG", "example.org"));
  assert.ok(!sameName("example.org", "example.com"));
  assert.ok(!sameName("a\\200", "a\\201"));
  assert.equal(nameKey("MX.Example.Org"), "mx.example.org");
});
