import assert from "node:assert/strict";
import { parseStructure } from "../../core/mime/mod.ts";
import { baseSubject, isReplyOrForward, messageIds, threadKeys, threadLimits } from "./thread.ts";

const enc = new TextEncoder();
const keysOf = (header: string) => {
  const bytes = enc.encode(`${header}\r\n\r\nbody\r\n`);
  return threadKeys(bytes, parseStructure(bytes));
};

// [subject, base subject, reply or forward]
const subjects: [string, string, boolean][] = [
  ["Hello", "hello", false],
  ["  Hello \t  World  ", "hello world", false],
  ["Re: Hello", "hello", true],
  ["RE: re: Fwd: Hello", "hello", true],
  ["Fw: Hello", "hello", true],
  ["FWD:Hello", "hello", true],
  ["Fw : Hello", "hello", true],
  ["Re[2]: Hello", "hello", true],
  ["Re [2]: Hello", "hello", true],
  ["[list] Re: Hello", "hello", true],
  ["Re: [list] Hello", "hello", true],
  ["[list] [other] Re: [list] Re[3]: Hello", "hello", true],
  ["[list] Hello", "hello", false],
  ["[list]", "[list]", false], // step 4: a blob that would leave nothing stays
  ["[a] [b]", "[b]", false],
  ["Hello (fwd)", "hello", true],
  ["Hello (FWD) (fwd)  ", "hello", true],
  ["[Fwd: Hello]", "hello", true],
  ["[fwd: Re: Hello (fwd)]", "hello", true],
  ["Re: [Fwd: [list] Hello]", "hello", true],
  ["[fwd: ]", "", true], // step 6 unwraps even an empty forward
  ["Re:", "", true],
  ["Re: Re:  ", "", true],
  ["Remarks: Hello", "remarks: hello", false],
  ["Reply: Hello", "reply: hello", false],
  ["Re(2): Hello", "re(2): hello", false], // only [blob] counters are RFC 5256
  ["AW: Hallo", "aw: hallo", false], // RFC 5256 knows only re, fw and fwd
  ["Hello: Re: World", "hello: re: world", false],
  ["=?utf-8?q?Re=3A_Gr=C3=BC=C3=9Fe?=", "grüße", true],
  ["Re: =?iso-8859-1?b?R3L832U=?= =?utf-8?q?_Welt?=", "grüße welt", true],
  ["", "", false],
];

Deno.test("baseSubject() and isReplyOrForward() follow RFC 5256 §2.1", () => {
  for (const [subject, base, reply] of subjects) {
    assert.equal(baseSubject(subject), base, JSON.stringify(subject));
    assert.equal(isReplyOrForward(subject), reply, JSON.stringify(subject));
  }
});

Deno.test("baseSubject() takes linear time on thousands of prefixes", () => {
  const started = performance.now();
  assert.equal(baseSubject("Re: [x] ".repeat(20_000) + "Hello" + " (fwd)".repeat(20_000)), "hello");
  assert.equal(baseSubject("[fwd: ".repeat(5_000) + "Hello" + "]".repeat(5_000)), "hello");
  assert.ok(performance.now() - started < 2000);
});

Deno.test("messageIds() reads bracketed ids, folded or not, and bare ones only without brackets", () => {
  assert.deepEqual(messageIds(undefined), []);
  assert.deepEqual(messageIds(""), []);
  assert.deepEqual(messageIds("<a@x> <b@y>"), ["a@x", "b@y"]);
  assert.deepEqual(messageIds("<a@x>,<b@y>\t<c@z>"), ["a@x", "b@y", "c@z"]);
  // Unfolding leaves the space of the continuation line inside a folded id.
  assert.deepEqual(messageIds("<abc @example.org>"), ["abc@example.org"]);
  assert.deepEqual(messageIds("a@x  b@y"), ["a@x", "b@y"], "no brackets at all");
  assert.deepEqual(messageIds("<a@x> b@y"), ["a@x"], "bare tokens beside brackets are not ids");
  assert.deepEqual(messageIds("a@x (from alice@example.org)"), ["a@x"], "comments dropped");
  assert.deepEqual(messageIds("<a@x> (alice@example.org's message)"), ["a@x"]);
  assert.deepEqual(messageIds("not an id"), []);
  assert.deepEqual(messageIds("<> <a@x"), [], "empty or unclosed");
  const long = "x".repeat(threadLimits.maxIdLength);
  assert.deepEqual(messageIds(`<${long}> <${long}y> <ok@x>`), [long, "ok@x"], "too long: skipped");
});

Deno.test("threadKeys() reads folded References, then In-Reply-To, deduplicated", () => {
  const keys = keysOf(
    "Message-ID: <me@x>\r\nSubject: Re: [list]  Plans\r\n" +
      "References: <root@x>\r\n <a@x>\r\n\t<b\r\n @x> <a@x> <me@x>\r\n" +
      "In-Reply-To: <b@x> (b's message)",
  );
  assert.deepEqual(keys, {
    messageId: "me@x",
    references: ["root@x", "a@x", "b@x"],
    baseSubject: "plans",
    replyOrForward: true,
  });
  assert.deepEqual(keysOf("Message-ID: <me@x>\r\nIn-Reply-To: <p@x> <q@x>").references, ["p@x"]);
  assert.deepEqual(keysOf("Message-ID: me@x\r\nReferences: p@x").references, ["p@x"]);
  assert.equal(keysOf("Message-ID: me@x").messageId, "me@x", "missing brackets");
  assert.deepEqual(keysOf("Subject: Hello"), {
    messageId: null,
    references: [],
    baseSubject: "hello",
    replyOrForward: false,
  });
});

Deno.test("threadKeys() keeps the root and the last ids of a very long References", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `<${i}@x>`);
  const keys = keysOf(`References: ${ids.join("\r\n ")}\r\nIn-Reply-To: <parent@x>`);
  assert.equal(keys.references.length, threadLimits.maxReferences);
  assert.equal(keys.references[0], "0@x");
  assert.equal(keys.references[1], `${1000 - threadLimits.maxReferences + 2}@x`);
  assert.equal(keys.references.at(-2), "999@x");
  assert.equal(keys.references.at(-1), "parent@x");
});

Deno.test("threadKeys() cuts a long base subject to the key length", () => {
  const keys = keysOf(`Subject: Re: ${"word ".repeat(200)}`);
  assert.equal(keys.baseSubject.length, threadLimits.maxSubjectKey);
  assert.ok(keys.baseSubject.startsWith("word word"));
});
