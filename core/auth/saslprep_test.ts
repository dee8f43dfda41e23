import assert from "node:assert/strict";
import { saslprep, SaslPrepError } from "./saslprep.ts";

function refused(code: SaslPrepError["code"]) {
  return (err: unknown) => {
    assert.ok(err instanceof SaslPrepError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, /^Cannot prepare string: /);
    return true;
  };
}

Deno.test("saslprep() maps the RFC 4013 §3 examples", () => {
  assert.equal(saslprep("I\u00ADX"), "IX"); // soft hyphen mapped to nothing
  assert.equal(saslprep("user"), "user");
  assert.equal(saslprep("USER"), "USER"); // case preserved
  assert.equal(saslprep("\u00AA"), "a"); // NFKC
  assert.equal(saslprep("\u2168"), "IX"); // NFKC
  assert.throws(() => saslprep("\u0007"), refused("Prohibited")); // control
  assert.throws(() => saslprep("\u0627\u0031"), refused("Bidi")); // RandALCat not last
});

Deno.test("saslprep() maps non-ASCII spaces to SPACE and removes B.1 characters", () => {
  for (const space of ["\u00A0", "\u1680", "\u2000", "\u200A", "\u202F", "\u205F", "\u3000"]) {
    assert.equal(saslprep(`a${space}b`), "a b");
  }
  for (const nothing of ["\u034F", "\u180B", "\u200B", "\u200C", "\u200D", "\u2060", "\uFE0F"]) {
    assert.equal(saslprep(`a${nothing}b`), "ab");
  }
  assert.equal(saslprep("\uFEFFab"), "ab");
  assert.equal(saslprep(""), "");
});

Deno.test("saslprep() refuses prohibited output", () => {
  for (
    const s of [
      "\u0000",
      "\u001F",
      "\u007F",
      "\u0085",
      "\u2028",
      "\u202E", // C.8 right-to-left override
      "\uE000", // C.3 private use
      "\u{10FFFD}",
      "\uFDD0", // C.4 non-character
      "\u{1FFFE}",
      "\uD800", // C.5 lone surrogate
      "\uDC00x",
      "\uFFFC", // C.6
      "\u2FF0", // C.7
      "\u{E0041}", // C.9 tag
      "\u{1D175}", // C.2.2 musical control
    ]
  ) {
    assert.throws(() => saslprep(`ok${s}`), refused("Prohibited"), JSON.stringify(s));
  }
});

Deno.test("saslprep() applies the bidi rule", () => {
  assert.equal(saslprep("\u05D0\u05D1"), "\u05D0\u05D1"); // Hebrew only
  assert.equal(saslprep("\u0627 1 \u0628"), "\u0627 1 \u0628"); // RandAL first and last
  assert.throws(() => saslprep("\u05D0a\u05D1"), refused("Bidi")); // mixed with LCat
  assert.throws(() => saslprep("1\u0627"), refused("Bidi")); // RandAL not first
});

Deno.test("saslprep() refuses unassigned code points only for stored strings", () => {
  assert.equal(saslprep("a\u0378"), "a\u0378");
  assert.throws(() => saslprep("a\u0378", { allowUnassigned: false }), refused("Unassigned"));
  assert.equal(saslprep("abc", { allowUnassigned: false }), "abc");
});
