import assert from "node:assert/strict";
import fc from "fast-check";
import { type Line, LineReader, LineTooLongError } from "./lines.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface TextLine {
  text: string;
  bareLf: boolean;
}

function text(lines: Line[]): TextLine[] {
  return lines.map((l) => ({ text: decoder.decode(l.bytes), bareLf: l.bareLf }));
}

/** Feeds `chunks` in order, copying each so no line can alias a caller's buffer. */
function pushAll(reader: LineReader, chunks: Uint8Array[]): Line[] {
  const out: Line[] = [];
  for (const chunk of chunks) out.push(...reader.push(chunk.slice()).map(copyLine));
  return out;
}

function copyLine(l: Line): Line {
  return { bytes: l.bytes.slice(), bareLf: l.bareLf };
}

/** Splits `bytes` at the sorted offsets `cuts`. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(at, cut));
    at = cut;
  }
  chunks.push(bytes.subarray(at));
  return chunks;
}

function expectTooLong(f: () => unknown, limit: number, actual: number): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof LineTooLongError);
    assert.equal(err.code, "LineTooLong");
    assert.equal(err.limit, limit);
    assert.equal(err.actual, actual);
    return true;
  });
}

const input = encoder.encode("EHLO a.example\r\nMAIL FROM:<x@y>\r\n\r\nbare\n\nlast\r\npartial");
const expected: TextLine[] = [
  { text: "EHLO a.example", bareLf: false },
  { text: "MAIL FROM:<x@y>", bareLf: false },
  { text: "", bareLf: false },
  { text: "bare", bareLf: true },
  { text: "", bareLf: true },
  { text: "last", bareLf: false },
];

Deno.test("LineReader.push() returns the same lines when fed one byte per chunk", () => {
  const reader = new LineReader(64);
  const chunks = [...input].map((b) => Uint8Array.of(b));
  assert.deepEqual(text(pushAll(reader, chunks)), expected);
  assert.equal(reader.buffered, "partial".length);
});

Deno.test("LineReader.push() returns the same lines at every 2-way split point", () => {
  for (let cut = 0; cut <= input.length; cut++) {
    const reader = new LineReader(64);
    assert.deepEqual(text(pushAll(reader, split(input, [cut]))), expected, `split at ${cut}`);
    assert.equal(reader.buffered, "partial".length, `split at ${cut}`);
  }
});

Deno.test("LineReader.push() accepts a line exactly at the cap, CRLF included", () => {
  const reader = new LineReader(10);
  assert.deepEqual(text(reader.push(encoder.encode("12345678\r\n"))), [
    { text: "12345678", bareLf: false },
  ]);
  assert.deepEqual(text(reader.push(encoder.encode("123456789\n"))), [
    { text: "123456789", bareLf: true },
  ]);
});

Deno.test("LineReader.push() accepts a line exactly at the cap at every split point", () => {
  const line = encoder.encode("12345678\r\n");
  for (let cut = 0; cut <= line.length; cut++) {
    const reader = new LineReader(10);
    assert.deepEqual(text(pushAll(reader, split(line, [cut]))), [
      { text: "12345678", bareLf: false },
    ]);
  }
});

Deno.test("LineReader.push() throws LineTooLongError for a line one octet over the cap", () => {
  const reader = new LineReader(10);
  expectTooLong(() => reader.push(encoder.encode("123456789\r\n")), 10, 11);
  assert.equal(reader.buffered, 0);
  // The reader is reset and usable (the session decides whether to go on).
  assert.deepEqual(text(reader.push(encoder.encode("ok\r\n"))), [{ text: "ok", bareLf: false }]);
});

Deno.test("LineReader.push() throws when a line passes the cap across chunks", () => {
  const reader = new LineReader(10);
  assert.deepEqual(reader.push(encoder.encode("12345")), []);
  assert.deepEqual(reader.push(encoder.encode("67890")), []);
  assert.equal(reader.buffered, 10);
  // Ten octets without LF can only become an 11-octet line: the next octet is too many.
  expectTooLong(() => reader.push(encoder.encode("\n")), 10, 11);
  assert.equal(reader.buffered, 0);
});

Deno.test("LineReader.push() never buffers beyond the cap, one byte per chunk", () => {
  const reader = new LineReader(10);
  let thrown = 0;
  for (let i = 0; i < 100; i++) {
    try {
      reader.push(encoder.encode("x"));
    } catch (err) {
      assert.ok(err instanceof LineTooLongError);
      thrown++;
    }
    assert.ok(reader.buffered <= 10, `buffered ${reader.buffered} after ${i + 1} bytes`);
  }
  assert.equal(thrown, 9); // every 11th byte passes the cap; the reader resets each time
});

Deno.test("LineReader.push() throws on a huge chunk without LF without keeping it", () => {
  const reader = new LineReader(512);
  expectTooLong(() => reader.push(new Uint8Array(1 << 20).fill(0x41)), 512, 1 << 20);
  assert.equal(reader.buffered, 0);
});

Deno.test("LineReader.push() sets bareLf only for lines ending in LF without CR", () => {
  const reader = new LineReader(64);
  assert.deepEqual(text(reader.push(encoder.encode("a\r\nb\nc\r\r\n\r\n\n"))), [
    { text: "a", bareLf: false },
    { text: "b", bareLf: true },
    { text: "c\r", bareLf: false },
    { text: "", bareLf: false },
    { text: "", bareLf: true },
  ]);
  // A CR that ends one chunk and the LF that starts the next are still CRLF.
  assert.deepEqual(reader.push(encoder.encode("d\r")), []);
  assert.deepEqual(text(reader.push(encoder.encode("\n"))), [{ text: "d", bareLf: false }]);
});

Deno.test("LineReader.push() returns empty lines", () => {
  const reader = new LineReader(2);
  assert.deepEqual(text(reader.push(encoder.encode("\r\n\r\n\n"))), [
    { text: "", bareLf: false },
    { text: "", bareLf: false },
    { text: "", bareLf: true },
  ]);
});

Deno.test("LineReader.clear() drops a buffered partial line", () => {
  const reader = new LineReader(64);
  assert.deepEqual(reader.push(encoder.encode("MAIL FROM:<evil")), []);
  assert.equal(reader.buffered, 15);
  reader.clear();
  assert.equal(reader.buffered, 0);
  assert.deepEqual(text(reader.push(encoder.encode("QUIT\r\n"))), [
    { text: "QUIT", bareLf: false },
  ]);
});

/** Bytes rich in CR and LF, so lines are short and endings vary. */
const lineBytes = fc
  .array(fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x41), fc.integer({ min: 0, max: 255 })), {
    maxLength: 200,
  })
  .map((a) => Uint8Array.from(a));

const chunked = lineBytes.chain((bytes) =>
  fc
    .array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 20 })
    .map((cuts) => ({ bytes, cuts: cuts.sort((a, b) => a - b) }))
);

Deno.test("LineReader.push() gives the same lines for any chunking of any input", () => {
  fc.assert(
    fc.property(chunked, ({ bytes, cuts }) => {
      const whole = new LineReader(1 << 20);
      const once = text(pushAll(whole, [bytes]));
      const pieces = new LineReader(1 << 20);
      assert.deepEqual(text(pushAll(pieces, split(bytes, cuts))), once);
      assert.equal(pieces.buffered, whole.buffered);
    }),
    { numRuns: 500 },
  );
});

Deno.test("LineReader.push() rejects the same inputs under a cap for any chunking", () => {
  fc.assert(
    fc.property(chunked, fc.integer({ min: 1, max: 40 }), ({ bytes, cuts }, cap) => {
      const all = text(pushAll(new LineReader(1 << 20), [bytes]));
      const throwsOnce = (() => {
        try {
          new LineReader(cap).push(bytes.slice());
          return false;
        } catch (err) {
          assert.ok(err instanceof LineTooLongError);
          return true;
        }
      })();
      const reader = new LineReader(cap);
      const got: Line[] = [];
      let throwsChunked = false;
      for (const chunk of split(bytes, cuts)) {
        try {
          got.push(...reader.push(chunk.slice()).map(copyLine));
        } catch (err) {
          assert.ok(err instanceof LineTooLongError);
          assert.equal(err.limit, cap);
          assert.ok(err.actual > cap);
          throwsChunked = true;
          break;
        } finally {
          assert.ok(reader.buffered <= cap);
        }
      }
      assert.equal(throwsChunked, throwsOnce);
      // Lines returned before the error are the input's first lines, in order.
      assert.deepEqual(text(got), throwsChunked ? all.slice(0, got.length) : all);
    }),
    { numRuns: 500 },
  );
});
