import assert from "node:assert/strict";
import fc from "fast-check";
import { BdatReader, type BdatResult } from "./bdat.ts";
import { DataReader, type DataReaderOptions, type DataResult, ReceivedCounter } from "./data.ts";
import { smtpLimits } from "./limits.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Feeds `chunks` to a new DataReader until the data ends; chunks left over are added to
 * `rest`, as a session would read them as commands.
 */
function readData(chunks: Uint8Array[], options: DataReaderOptions = {}): DataResult {
  const reader = new DataReader(options);
  for (const [i, chunk] of chunks.entries()) {
    const result = reader.push(chunk.slice());
    if (result !== undefined) {
      const rest = [result.rest, ...chunks.slice(i + 1)];
      return { ...result, rest: new Uint8Array(rest.flatMap((c) => [...c])) };
    }
  }
  assert.fail("data did not end");
}

/** Feeds `text` one byte per chunk. */
function readBytewise(text: string | Uint8Array, options: DataReaderOptions = {}): DataResult {
  const all = typeof text === "string" ? bytes(text) : text;
  return readData([...all].map((b) => Uint8Array.of(b)), options);
}

function readWhole(text: string | Uint8Array, options: DataReaderOptions = {}): DataResult {
  return readData([typeof text === "string" ? bytes(text) : text], options);
}

/** A comparable summary of a result, with bytes as text. */
function summary(result: DataResult) {
  const base = { size: result.size, received: result.received, rest: decoder.decode(result.rest) };
  return result.ok
    ? { ...base, ok: true as const, message: decoder.decode(result.message) }
    : { ...base, ok: false as const, problem: result.problem, problems: [...result.problems] };
}

/** Reads `text` whole, one byte per chunk and split at every offset; all must agree. */
function readEverySplit(text: string, options: DataReaderOptions = {}) {
  const all = bytes(text);
  const whole = summary(readWhole(all, options));
  assert.deepEqual(summary(readBytewise(all, options)), whole, "one byte per chunk");
  for (let cut = 1; cut < all.length; cut++) {
    const split = summary(readData([all.subarray(0, cut), all.subarray(cut)], options));
    assert.deepEqual(split, whole, `split at ${cut}`);
  }
  return whole;
}

/** RFC 5321 §4.5.2 sender side: dot-stuffs CRLF lines and appends the end marker. */
function stuff(lines: string[]): string {
  return lines.map((l) => (l.startsWith(".") ? "." : "") + l + "\r\n").join("") + ".\r\n";
}

Deno.test("DataReader.push() returns the message without the end marker", () => {
  const r = readEverySplit("Subject: hi\r\n\r\nHello\r\n.\r\n");
  assert.deepEqual(r, {
    ok: true,
    message: "Subject: hi\r\n\r\nHello\r\n",
    size: 22,
    received: 0,
    rest: "",
  });
});

Deno.test("DataReader.push() returns an empty message when the data starts with .CRLF", () => {
  // RFC 5321 §4.1.1.4: the 354 reply stands for the CRLF before the first line.
  const r = readEverySplit(".\r\nQUIT\r\n");
  assert.deepEqual(r, { ok: true, message: "", size: 0, received: 0, rest: "QUIT\r\n" });
});

Deno.test("DataReader.push() removes one leading dot from each line", () => {
  const r = readEverySplit("..hidden\r\n...\r\n..\r\nx.y\r\n. \r\n.\r\n");
  assert.equal(r.ok && r.message, ".hidden\r\n..\r\n.\r\nx.y\r\n \r\n");
});

Deno.test("DataReader.push() unstuffs a dot on the very first line", () => {
  const r = readEverySplit("..first\r\n.\r\n");
  assert.equal(r.ok && r.message, ".first\r\n");
});

Deno.test("DataReader.push() ends only at CRLF.CRLF", () => {
  for (const notEnd of [".x\r\n", ". \r\n", "..\r\n", "a.\r\n", ".\t\r\n"]) {
    const r = readEverySplit(`line\r\n${notEnd}tail\r\n.\r\n`);
    assert.equal(r.ok, true, JSON.stringify(notEnd));
    assert.ok(r.ok && r.message.endsWith("tail\r\n"), JSON.stringify(notEnd));
  }
});

Deno.test("DataReader.push() returns the pipelined bytes after the end", () => {
  const r = readEverySplit("body\r\n.\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@exa");
  assert.equal(r.rest, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@exa");
  assert.equal(r.ok && r.message, "body\r\n");
});

Deno.test("DataReader.push() copies the rest so the caller may reuse its buffer", () => {
  const buffer = bytes("x\r\n.\r\nQUIT\r\n");
  const result = new DataReader().push(buffer);
  buffer.fill(0);
  assert.equal(decoder.decode(result?.rest), "QUIT\r\n");
  assert.equal(result?.ok && decoder.decode(result.message), "x\r\n");
});

Deno.test("DataReader.push() throws when called after the end", () => {
  const reader = new DataReader();
  assert.ok(reader.push(bytes(".\r\n")));
  assert.throws(() => reader.push(bytes("x")), /Cannot read data/);
});

// SMTP smuggling (STYLE.md §14): each sequence below ends the data for some server, so
// the text after it would run as commands there. We must read on to the real CRLF.CRLF
// and refuse the message.
const smuggled = "MAIL FROM:<admin@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n" +
  "From: admin@example.org\r\n\r\nforged\r\n";
for (
  const [name, sequence, also] of [
    ["\\n.\\n", "\n.\n", ["bare-lf"]],
    ["\\r\\n.\\n", "\r\n.\n", ["bare-lf"]],
    ["\\n.\\r\\n", "\n.\r\n", ["bare-lf"]],
    ["\\r.\\r\\n", "\r.\r\n", ["bare-cr"]],
    ["\\r\\n.\\r", "\r\n.\r", ["bare-cr"]],
    ["\\r.\\r", "\r.\r", ["bare-cr"]],
    ["\\n.\\r", "\n.\r", ["bare-cr", "bare-lf"]],
  ] as const
) {
  Deno.test(`DataReader reports SMTP smuggling: ${name} and reads on to CRLF.CRLF`, () => {
    const r = readEverySplit(`Subject: x\r\n\r\nbody${sequence}${smuggled}.\r\nQUIT\r\n`);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.problem, "smuggling");
    assert.deepEqual(!r.ok && r.problems, ["smuggling", ...also]);
    assert.equal(r.rest, "QUIT\r\n", "the session stays in step");
  });
}

Deno.test("DataReader reports SMTP smuggling: .\\n as the first line", () => {
  const r = readEverySplit(`.\n${smuggled}.\r\nQUIT\r\n`);
  assert.equal(!r.ok && r.problem, "smuggling");
  assert.equal(r.rest, "QUIT\r\n");
});

Deno.test("DataReader reports a bare CR in message content", () => {
  const r = readEverySplit("Subject: x\r\n\r\na\rb\r\n.\r\n");
  assert.deepEqual(!r.ok && r.problems, ["bare-cr"]);
  assert.equal(r.rest, "");
});

Deno.test("DataReader reports a bare CR just before CRLF", () => {
  const r = readEverySplit("a\r\r\n.\r\n");
  assert.deepEqual(!r.ok && r.problems, ["bare-cr"]);
});

Deno.test("DataReader reports a bare LF in message content", () => {
  const r = readEverySplit("Subject: x\n\r\nbody\r\n.\r\n");
  assert.deepEqual(!r.ok && r.problems, ["bare-lf"]);
  assert.equal(r.rest, "");
});

Deno.test("DataReader accepts a message exactly at the size limit", () => {
  const r = readEverySplit("12345678\r\n.\r\n", { maxSize: 10 });
  assert.equal(r.ok, true);
  assert.equal(r.size, 10);
});

Deno.test("DataReader reports too-big one octet over the limit and stays in step", () => {
  const r = readEverySplit("123456789\r\n.\r\nQUIT\r\n", { maxSize: 10 });
  assert.deepEqual(!r.ok && r.problems, ["too-big"]);
  assert.equal(r.size, 11);
  assert.equal(r.rest, "QUIT\r\n");
});

Deno.test("DataReader counts unstuffed octets against the size limit", () => {
  const r = readEverySplit("..23456\r\n.\r\n", { maxSize: 8 });
  assert.equal(r.ok && r.message, ".23456\r\n");
});

Deno.test("DataReader reports too-big when the limit is passed across many chunks", () => {
  const reader = new DataReader({ maxSize: 1000 });
  for (let i = 0; i < 100; i++) assert.equal(reader.push(bytes("0123456789\r\n")), undefined);
  assert.equal(reader.size, 1200);
  const r = reader.push(bytes(".\r\nNOOP\r\n"));
  assert.equal(r?.ok, false);
  assert.equal(r?.ok === false && r.problem, "too-big");
  assert.equal(decoder.decode(r?.rest), "NOOP\r\n");
});

Deno.test("DataReader accepts a line exactly at the line cap and refuses one over it", () => {
  const max = 20;
  const atCap = "x".repeat(max - 2);
  assert.equal(readEverySplit(`${atCap}\r\n.\r\n`, { maxLineLength: max }).ok, true);
  // The stuffed dot does not count (RFC 5321 §4.5.3.1.6).
  assert.equal(readEverySplit(`.${atCap}\r\n.\r\n`, { maxLineLength: max }).ok, true);
  const over = readEverySplit(`${atCap}x\r\n.\r\nQUIT\r\n`, { maxLineLength: max });
  assert.deepEqual(!over.ok && over.problems, ["line-too-long"]);
  assert.equal(over.rest, "QUIT\r\n");
});

Deno.test("DataReader allows lines over 1000 octets by default", () => {
  const r = readWhole(`${"x".repeat(5000)}\r\n.\r\n`);
  assert.equal(r.ok, true);
  assert.ok(smtpLimits.dataLineOctetsMax > smtpLimits.dataLineOctets);
});

Deno.test("DataReader reports the most serious problem first", () => {
  const r = readEverySplit("a\nb\rc\r\n\n.\n" + "x".repeat(30) + "\r\n.\r\n", {
    maxSize: 10,
    maxLineLength: 20,
  });
  assert.deepEqual(!r.ok && r.problems, [
    "smuggling",
    "bare-cr",
    "bare-lf",
    "line-too-long",
    "too-big",
  ]);
});

Deno.test("DataReader counts Received fields in the header section only", () => {
  const message = [
    "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000",
    "RECEIVED:from c",
    "received :   obs-optional space",
    "\tReceived: a folded continuation line",
    "X-Received: not counted",
    "Received-SPF: pass",
    "..Received: unstuffed to .Received, not counted",
    ".Received: unstuffed to Received, counted",
    "Subject: loop",
    "",
    "Received: in the body, not counted",
    ".",
  ].join("\r\n") + "\r\n";
  const r = readEverySplit(message);
  assert.equal(r.received, 4);
  assert.equal(r.ok, true);
});

Deno.test("ReceivedCounter stops at the first empty line, with CRLF or bare LF", () => {
  for (const blank of ["\r\n", "\n"]) {
    const counter = new ReceivedCounter();
    counter.push(bytes(`Received: x\r\nReceived: y\r\n${blank}Received: z\r\n`));
    assert.equal(counter.count, 2);
    assert.ok(counter.done);
  }
});

Deno.test("DataReader returns the lines a sender dot-stuffed, unchanged", () => {
  const line = fc.stringMatching(/^[.a\t ]{0,6}$/);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      const r = readWhole(stuff(lines) + "NEXT");
      assert.deepEqual(summary(r), {
        ok: true,
        message: lines.map((l) => l + "\r\n").join(""),
        size: lines.reduce((n, l) => n + l.length + 2, 0),
        received: 0,
        rest: "NEXT",
      });
    }),
    { numRuns: 300 },
  );
});

Deno.test("DataReader ends at the first CRLF.CRLF, counting the start as CRLF", () => {
  const byte = fc.constantFrom(0x0d, 0x0a, 0x2e, 0x61);
  fc.assert(
    fc.property(fc.array(byte, { maxLength: 40 }), (arr) => {
      const input = new Uint8Array([...arr, ...bytes("\r\n.\r\nREST")]);
      const withStart = "\r\n" + decoder.decode(input);
      const end = withStart.indexOf("\r\n.\r\n") + 5 - 2;
      const r = readWhole(input);
      assert.equal(decoder.decode(r.rest), decoder.decode(input.subarray(end)));
    }),
    { numRuns: 500 },
  );
});

Deno.test("DataReader gives the same result byte by byte as for the whole buffer", () => {
  const byte = fc.constantFrom(0x0d, 0x0a, 0x2e, 0x52, 0x3a, 0x61);
  fc.assert(
    fc.property(fc.array(byte, { maxLength: 60 }), fc.nat(70), (arr, cut) => {
      const input = new Uint8Array([...arr, ...bytes("\r\n.\r\nQUIT\r\n")]);
      const options = { maxSize: 30, maxLineLength: 12 };
      const whole = summary(readWhole(input, options));
      assert.deepEqual(summary(readBytewise(input, options)), whole);
      const at = Math.min(cut, input.length);
      const got = summary(readData([input.subarray(0, at), input.subarray(at)], options));
      assert.deepEqual(got, whole);
    }),
    { numRuns: 500 },
  );
});

function readBdat(size: number, chunks: string[], allowance?: number): BdatResult {
  const reader = new BdatReader(size, allowance);
  for (const [i, chunk] of chunks.entries()) {
    const result = reader.push(bytes(chunk));
    if (result !== undefined) {
      assert.equal(i, chunks.length - 1, "chunk ended before the last push");
      return result;
    }
  }
  assert.fail("chunk did not end");
}

Deno.test("BdatReader.push() takes exactly the chunk size and returns the rest", () => {
  const r = readBdat(10, ["0123", "456789BDAT 0 LAST\r\n"]);
  assert.deepEqual(
    r.ok && { data: decoder.decode(r.data), rest: decoder.decode(r.rest) },
    { data: "0123456789", rest: "BDAT 0 LAST\r\n" },
  );
});

Deno.test("BdatReader.push() keeps dots, bare CR and bare LF as they are", () => {
  const raw = "\r\n.\r\n.\n\r..x\0";
  const r = readBdat(raw.length, [...raw]);
  assert.equal(r.ok && decoder.decode(r.data), raw);
});

Deno.test("BdatReader.push() ends a zero-size chunk at once", () => {
  const r = readBdat(0, ["QUIT\r\n"]);
  assert.equal(r.ok && r.data.length, 0);
  assert.equal(decoder.decode(r.rest), "QUIT\r\n");
});

Deno.test("BdatReader accepts a chunk exactly at its allowance", () => {
  assert.equal(readBdat(4, ["abcd"], 4).ok, true);
});

Deno.test("BdatReader reads a chunk over its allowance to the end, then reports too-big", () => {
  const r = readBdat(5, ["ab", "cde"], 4);
  assert.deepEqual(r, { ok: false, problem: "too-big", size: 5, rest: new Uint8Array() });
  const split = readBdat(5, ["abc", "deQUIT\r\n"], 4);
  assert.equal(!split.ok && decoder.decode(split.rest), "QUIT\r\n");
});

Deno.test("BdatReader.push() throws when called after the end", () => {
  const reader = new BdatReader(1);
  assert.ok(reader.push(bytes("x")));
  assert.throws(() => reader.push(bytes("y")), /Cannot read BDAT chunk/);
});
