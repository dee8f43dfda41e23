import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeModifiedUtf7, encodeModifiedUtf7, Mutf7Error } from "./mutf7.ts";

Deno.test("encodeModifiedUtf7() encodes the RFC 3501 §5.1.3 example", () => {
  assert.equal(encodeModifiedUtf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  assert.equal(encodeModifiedUtf7("Tom & Jerry"), "Tom &- Jerry");
  assert.equal(encodeModifiedUtf7("Entwürfe"), "Entw&APw-rfe");
  assert.equal(encodeModifiedUtf7("😀"), "&2D3eAA-");
  assert.equal(encodeModifiedUtf7(""), "");
});

Deno.test("decodeModifiedUtf7() decodes the RFC 3501 §5.1.3 example", () => {
  assert.equal(decodeModifiedUtf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), "~peter/mail/台北/日本語");
  assert.equal(decodeModifiedUtf7("&-&-"), "&&");
  assert.equal(decodeModifiedUtf7("&2D3eAA-x"), "😀x");
});

Deno.test("decodeModifiedUtf7() refuses all but the canonical encoding", () => {
  for (
    const text of [
      "&U,BTFw", // unterminated
      "&U/BTFw-", // "/" instead of ","
      "&U,BTFw=-", // padding
      "&AGE-", // "a", printable ASCII, encoded
      "&U,A-&U,A-", // one run split in two
      "&U,BTF-", // stray bits
      "&AA-", // one octet
      "&2D0-", // lone high surrogate
      "&3gA-", // lone low surrogate
      "台北", // 8-bit
      "a\tb", // control character
      "&Jjo!-", // not base64
    ]
  ) {
    assert.throws(() => decodeModifiedUtf7(text), (err: unknown) => {
      assert.ok(err instanceof Mutf7Error, text);
      assert.equal(err.code, "BadMutf7");
      assert.match(err.message, /^Cannot decode mailbox name: /);
      return true;
    });
  }
});

Deno.test("decodeModifiedUtf7() inverts encodeModifiedUtf7() for any text", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
      const encoded = encodeModifiedUtf7(text);
      assert.match(encoded, /^[\x20-\x7e]*$/);
      assert.equal(decodeModifiedUtf7(encoded), text);
    }),
    { numRuns: 200 },
  );
});
