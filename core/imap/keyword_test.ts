import assert from "node:assert/strict";
import { isKeyword, maxKeywordLength } from "./keyword.ts";

Deno.test("isKeyword() accepts every ATOM-CHAR and refuses atom-specials, non-ASCII and overlong", () => {
  for (
    const ok of [
      "$Junk",
      "NonJunk",
      "a/b",
      "x[1",
      "}",
      "~!#&'+,-.:;<=>?@^_`|",
      "k".repeat(maxKeywordLength),
    ]
  ) {
    assert.ok(isKeyword(ok), ok);
  }
  for (
    const bad of [
      "",
      "a b",
      "(",
      ")",
      "{",
      "%",
      "*",
      '"',
      "\\Seen",
      "]",
      "é",
      "a\x00",
      "k".repeat(maxKeywordLength + 1),
    ]
  ) {
    assert.ok(!isKeyword(bad), JSON.stringify(bad));
  }
});
