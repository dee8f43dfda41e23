import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeBase64, tryDecodeBase64 } from "./base64.ts";

const encoder = new TextEncoder();

Deno.test("encodeBase64() matches the RFC 4648 §10 test vectors", () => {
  const vectors = [
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ] as const;
  for (const [plain, encoded] of vectors) {
    assert.equal(encodeBase64(encoder.encode(plain)), encoded);
    assert.deepEqual(tryDecodeBase64(encoded), encoder.encode(plain));
  }
});

Deno.test("tryDecodeBase64() round-trips and agrees with btoa", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const text = encodeBase64(bytes);
      assert.equal(text, btoa(String.fromCharCode(...bytes)));
      assert.deepEqual(tryDecodeBase64(text), bytes);
    }),
  );
});

Deno.test("tryDecodeBase64() returns undefined for non-canonical input", () => {
  for (
    const text of [
      "Zg",
      "Zg=",
      "Zh==",
      "Zm9=",
      "Zg==Zg==",
      "Z===",
      "====",
      "Zm 9v",
      "Zm9v\n",
      "Zm-_",
      "é===",
      "=Zm9",
    ]
  ) {
    assert.equal(tryDecodeBase64(text), undefined, text);
  }
});
