import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type MboxItem,
  type MboxMessage,
  MboxReader,
  type MboxReadOptions,
  readMbox,
} from "./mbox.ts";
import { writeMboxMessage } from "./mbox_write.ts";
import { asctime, parseFromLine } from "./_from_line.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Reads `bytes` split into chunks of `size` through the synchronous reader. */
function read(bytes: Uint8Array, options: MboxReadOptions = {}, size = bytes.length): MboxItem[] {
  const reader = new MboxReader(options);
  const out: MboxItem[] = [];
  for (let i = 0; i < bytes.length; i += Math.max(size, 1)) {
    out.push(...reader.push(bytes.subarray(i, i + Math.max(size, 1))));
  }
  out.push(...reader.end());
  return out;
}

function messages(items: MboxItem[]): MboxMessage[] {
  return items.filter((i): i is MboxMessage => i.kind === "message");
}

const text = (items: MboxItem[]) => messages(items).map((m) => dec(m.message));

const two = "From alice@example.org Thu Jan  1 00:00:00 1970\n" +
  "Subject: one\n\nbody1\n\n" +
  "From bob@example.org Fri Jun 23 02:56:55 2000\n" +
  "Subject: two\n\nbody2\n";

Deno.test("readMbox() yields each message with its From_ line position and date", async () => {
  const items: MboxItem[] = [];
  for await (const item of readMbox(ReadableStream.from([enc(two)]))) items.push(item);
  assert.deepEqual(items, [
    {
      kind: "message",
      message: enc("Subject: one\r\n\r\nbody1\r\n"),
      flags: [],
      envelopeSender: "alice@example.org",
      internalDate: 0,
      offset: 0,
      line: 1,
      problems: [],
    },
    {
      kind: "message",
      message: enc("Subject: two\r\n\r\nbody2\r\n"),
      flags: [],
      envelopeSender: "bob@example.org",
      internalDate: Date.UTC(2000, 5, 23, 2, 56, 55),
      offset: two.indexOf("From bob"),
      line: 6,
      problems: [],
    },
  ]);
});

Deno.test("readMbox() reads CRLF files like LF files", () => {
  const lf = read(enc(two));
  const crlf = read(enc(two.replaceAll("\n", "\r\n")));
  assert.deepEqual(text(crlf), text(lf));
  assert.deepEqual(messages(crlf)[1]?.offset, two.replaceAll("\n", "\r\n").indexOf("From bob"));
});

Deno.test("readMbox() unescapes one > of >From lines (mboxrd) and keeps others", () => {
  const file = "From a Thu Jan  1 00:00:00 1970\n\n>From x\n>>From y\n>Fromage\n From z\n" +
    "after\nFrom the desk of Bob\n";
  assert.deepEqual(text(read(enc(file))), [
    "\r\nFrom x\r\n>From y\r\n>Fromage\r\n From z\r\nafter\r\nFrom the desk of Bob\r\n",
  ]);
  assert.deepEqual(text(read(enc(file), { unescape: "none" })), [
    "\r\n>From x\r\n>>From y\r\n>Fromage\r\n From z\r\nafter\r\nFrom the desk of Bob\r\n",
  ]);
});

Deno.test("readMbox() splits at From_ after an empty line even without a date", () => {
  const items = read(enc("From a Thu Jan  1 00:00:00 1970\n\nhi\n\nFrom here on\nrest\n"));
  assert.deepEqual(text(items), ["\r\nhi\r\n", "rest\r\n"]);
  assert.deepEqual(messages(items)[1]?.problems, ["From_ line has no date"]);
  assert.equal(messages(items)[1]?.internalDate, undefined);
});

Deno.test("readMbox() splits at a dated From_ line after a non-empty line, with a problem", () => {
  const items = read(
    enc("From a Thu Jan  1 00:00:00 1970\nA: 1\nFrom b Fri Jan  2 00:00:00 1970\nB: 2\n"),
  );
  assert.deepEqual(text(items), ["A: 1\r\n", "B: 2\r\n"]);
  assert.deepEqual(messages(items)[1]?.problems, ["From_ line without a preceding empty line"]);
  assert.equal(messages(items)[1]?.internalDate, 86_400_000);
});

Deno.test("readMbox() maps Status, X-Status and X-Keywords and keeps the header as is", () => {
  const header = 'Status: RO\nX-Status: AFTD\nX-Keywords: $Junk, NonJunk  foo"bar,,\n work\n' +
    "Subject: s\n";
  const [m] = messages(read(enc(`From a Thu Jan  1 00:00:00 1970\n${header}\nbody\n`)));
  assert.deepEqual(m?.flags, [
    "\\Seen",
    "\\Answered",
    "\\Flagged",
    "\\Deleted",
    "\\Draft",
    "$Junk",
    "NonJunk",
    "work",
  ]);
  assert.deepEqual(m?.problems, ['Invalid keyword in X-Keywords dropped: "foo\\"bar"']);
  assert.equal(
    dec(m?.message ?? new Uint8Array()),
    header.replaceAll("\n", "\r\n") + "\r\nbody\r\n",
  );
});

Deno.test("readMbox() reports unknown Status letters and ignores Status in the body", () => {
  const [m] = messages(read(enc("From a Thu Jan  1 00:00:00 1970\nStatus: OQ\n\nStatus: R\n")));
  assert.deepEqual(m?.flags, []);
  assert.deepEqual(m?.problems, ['Unknown Status letter dropped: "Q"']);
});

Deno.test("readMbox() reports data before the first From_ line at offset 0, line 1", () => {
  const items = read(enc("junk\nmore\nFrom a Thu Jan  1 00:00:00 1970\nX: y\n"));
  assert.deepEqual(items[0], {
    kind: "problem",
    code: "DataBeforeFirstFrom",
    offset: 0,
    line: 1,
    message: "Data before the first From_ line skipped (10 octets)",
  });
  assert.deepEqual(items.slice(1).map((m) => [m.offset, m.line]), [[10, 3]]);
  assert.deepEqual(read(enc("Subject: not an mbox\n\nhi\n")), [{
    kind: "problem",
    code: "DataBeforeFirstFrom",
    offset: 0,
    line: 1,
    message: "No From_ line found: 25 octets skipped",
  }]);
  assert.deepEqual(read(new Uint8Array()), []);
});

Deno.test("readMbox() skips an oversize message with a problem and reads the next", () => {
  const big = "x".repeat(60);
  const file = `From a Thu Jan  1 00:00:00 1970\nA: 1\n\n` +
    `From b Thu Jan  1 00:00:00 1970\n${big}\n${big}\n\n` +
    `From c Thu Jan  1 00:00:00 1970\nC: 3\n`;
  for (const size of [1, 7, file.length]) {
    const items = read(enc(file), { maxMessageSize: 100 }, size);
    assert.deepEqual(items.map((i) => i.kind), ["message", "problem", "message"]);
    assert.deepEqual(items[1], {
      kind: "problem",
      code: "MessageTooLarge",
      offset: file.indexOf("From b"),
      line: 4,
      message: "Message larger than 100 octets skipped",
    });
    assert.deepEqual(text(items), ["A: 1\r\n", "C: 3\r\n"]);
  }
});

Deno.test("readMbox() accepts a message at the size limit and skips one octet over", () => {
  const from = "From a Thu Jan  1 00:00:00 1970\n";
  const body = "y".repeat(8) + "\r\n"; // 10 octets after normalisation
  assert.deepEqual(text(read(enc(from + body), { maxMessageSize: 10 })), [body]);
  const over = read(enc(from + "y".repeat(9) + "\n"), { maxMessageSize: 10 });
  assert.deepEqual(over.map((i) => i.kind), ["problem"]);
  const overLong = read(
    enc(from + "y".repeat(30) + "\n"),
    { maxMessageSize: 10, maxLineLength: 4 },
    3,
  );
  assert.deepEqual(overLong.map((i) => i.kind), ["problem"]);
});

Deno.test("readMbox() passes lines over maxLineLength through without splitting on them", () => {
  const long = ">From " + "z".repeat(50);
  const file = `From a Thu Jan  1 00:00:00 1970\n\n${long}\r\n\nFrom ${"q".repeat(50)}\r\nend\r`;
  for (const size of [1, 5, file.length]) {
    const items = read(enc(file), { maxLineLength: 40 }, size);
    assert.deepEqual(text(items), [`\r\n${long}\r\n\r\nFrom ${"q".repeat(50)}\r\nend\r`]);
  }
});

Deno.test("readMbox() keeps a lone CR and an unterminated last line", () => {
  assert.deepEqual(text(read(enc("From a Thu Jan  1 00:00:00 1970\na\rb\nlast"))), [
    "a\rb\r\nlast",
  ]);
  assert.deepEqual(text(read(enc("From a Thu Jan  1 00:00:00 1970\n\n\n"))), ["\r\n"]);
  const [empty] = messages(read(enc("From a Thu Jan  1 00:00:00 1970\n")));
  assert.deepEqual(empty?.problems, ["Empty message"]);
});

const tricky = "junk\r\n" +
  "From a@b Thu Jan  1 00:00:00 1970\r\nStatus: R\r\nX-Keywords: k1\r\n\r\n>From x\r\n\r\n" +
  "From c@d Fri Jun 23 02:56:55 2000\nSubject: lf\n\n>>From y\na\rb\n" + "L".repeat(60) + "\r\n\n" +
  "From e Sat Jun 24 02:56:55 2000\n" + "B".repeat(130) + "\n\n" +
  "From f Sun Jun 25 02:56:55 2000\nnon-empty\nFrom g Mon Jun 26 02:56:55 2000\nlast";

Deno.test("readMbox() gives the same records for every split of the input", () => {
  const options = { maxLineLength: 40, maxMessageSize: 120 };
  const bytes = enc(tricky);
  const whole = read(bytes, options);
  assert.deepEqual(whole.map((i) => i.kind), [
    "problem",
    "message",
    "message",
    "problem",
    "message",
    "message",
  ]);
  assert.deepEqual(text(whole), [
    "Status: R\r\nX-Keywords: k1\r\n\r\nFrom x\r\n",
    `Subject: lf\r\n\r\n>From y\r\na\rb\r\n${"L".repeat(60)}\r\n`,
    "non-empty\r\n",
    "last",
  ]);
  assert.deepEqual(messages(whole).map((m) => [m.line, m.flags, m.problems]), [
    [2, ["\\Seen", "k1"], []],
    [8, [], []],
    [18, [], []],
    [20, [], ["From_ line without a preceding empty line"]],
  ]);
  assert.deepEqual(read(bytes, options, 1), whole, "one byte per chunk");
  for (let i = 0; i <= bytes.length; i++) {
    const reader = new MboxReader(options);
    const got = [
      ...reader.push(bytes.subarray(0, i)),
      ...reader.push(bytes.subarray(i)),
      ...reader.end(),
    ];
    assert.deepEqual(got, whole, `split at ${i}`);
  }
});

Deno.test("readMbox() gives the same records for random chunkings", () => {
  const bytes = enc(tricky);
  const whole = read(bytes);
  fc.assert(
    fc.property(fc.array(fc.nat(bytes.length), { maxLength: 20 }), (cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
      const reader = new MboxReader();
      const got: MboxItem[] = [];
      for (let i = 1; i < points.length; i++) {
        got.push(...reader.push(bytes.subarray(points[i - 1], points[i])));
      }
      got.push(...reader.end());
      assert.deepEqual(got, whole);
    }),
  );
});

Deno.test("writeMboxMessage() escapes From lines, replaces flag fields, ends with a blank line", () => {
  const message = enc(
    "Subject: s\r\nStatus: U\r\nX-Keywords: old\r\n  folded\r\nTo: t\r\n\r\nFrom me\r\n>From you\r\nok",
  );
  const out = writeMboxMessage(message, {
    from: "bob@example.org",
    date: new Date(Date.UTC(2000, 5, 3, 2, 5, 9)),
    flags: ["\\Seen", "\\Answered", "\\Recent", "$Junk", "\\Draft"],
  });
  assert.equal(
    dec(out),
    "From bob@example.org Sat Jun  3 02:05:09 2000\n" +
      "Subject: s\nTo: t\nStatus: RO\nX-Status: AT\nX-Keywords: $Junk\n\n" +
      ">From me\n>>From you\nok\n\n",
  );
});

Deno.test("writeMboxMessage() defaults to MAILER-DAEMON and the Date field", () => {
  const out = dec(writeMboxMessage(enc("Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n\r\nhi\r\n")));
  assert.equal(
    out,
    "From MAILER-DAEMON Tue Jul  1 08:52:37 2003\nDate: Tue, 1 Jul 2003 10:52:37 +0200\n" +
      "Status: O\n\nhi\n\n",
  );
  assert.equal(
    dec(writeMboxMessage(enc("X: y\r\n"))),
    "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nX: y\nStatus: O\n\n",
  );
});

Deno.test("writeMboxMessage() throws RangeError for a bad sender, date or flag", () => {
  const m = enc("X: y\r\n\r\n");
  assert.throws(() => writeMboxMessage(m, { from: "a b" }), RangeError);
  assert.throws(() => writeMboxMessage(m, { from: "" }), RangeError);
  assert.throws(() => writeMboxMessage(m, { date: new Date(NaN) }), RangeError);
  assert.throws(() => writeMboxMessage(m, { flags: ["\\Bogus"] }), RangeError);
  assert.throws(() => writeMboxMessage(m, { flags: ["a]b"] }), RangeError);
});

Deno.test("parseFromLine() reads asctime dates in their common variants", () => {
  const t = (s: string) => parseFromLine(`From ${s}`).date;
  const base = Date.UTC(1996, 0, 3, 1, 5, 34);
  assert.equal(t("x Sat Jan  3 01:05:34 1996"), base);
  assert.equal(t("x Sat Jan 3 01:05:34 1996"), base);
  assert.equal(t("x Sat Jan  3 01:05:34 EST 1996"), base);
  assert.equal(t("x Sat Jan  3 01:05:34 CET DST 1996"), base);
  assert.equal(t("x Sat Jan  3 03:05:34 1996 +0200"), base);
  assert.equal(t("x Sat Jan  3 00:05:34 -0100 1996"), base);
  assert.equal(t("x Sat Jan  3 01:05 1996"), base - 34_000);
  assert.equal(t("x Sat Jan  3 01:05:34 96"), base);
  assert.equal(t("x Sat Jan  3 01:05:34 05"), Date.UTC(2005, 0, 3, 1, 5, 34));
  assert.equal(t('"a b"@c Sat Jan  3 01:05:34 1996 remote from x'), base);
  assert.deepEqual(parseFromLine("From x Mon Feb 30 00:00:00 2024"), {
    sender: "x",
    hasDate: true,
  });
  assert.deepEqual(parseFromLine("From x Mon Feb 3 25:00:00 2024"), { sender: "x", hasDate: true });
  assert.deepEqual(parseFromLine("From the desk of Bob"), { sender: "the", hasDate: false });
  assert.deepEqual(parseFromLine("From "), { sender: "", hasDate: false });
});

Deno.test("asctime() pads the day with a space and formats in UTC", () => {
  assert.equal(asctime(new Date(0)), "Thu Jan  1 00:00:00 1970");
  assert.equal(asctime(new Date(Date.UTC(2024, 11, 31, 23, 59, 59))), "Tue Dec 31 23:59:59 2024");
});

// Lines that stress the escaping; headers never carry the flag fields the writer adds.
const bodyLine = fc.oneof(
  fc.constantFrom("", "From ", "From me", ">From ", ">>From x", "From", " From x", ">", "."),
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, "")),
  fc.string({ maxLength: 8 }).map((s) =>
    ">".repeat(s.length % 4) + "From " + s.replace(/[\r\n]/g, "")
  ),
);
const headerLine = fc.tuple(
  fc.constantFrom("Subject", "To", "From", "X-Thing", "Date-Not"),
  fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, "")),
).map(([n, v]) => `${n}: ${v}`);
const flag = fc.constantFrom(
  "\\Seen",
  "\\Answered",
  "\\Flagged",
  "\\Deleted",
  "\\Draft",
  "$Junk",
  "work",
);
const mail = fc.record({
  headers: fc.array(headerLine, { maxLength: 4 }),
  body: fc.option(fc.array(bodyLine, { maxLength: 8 }), { nil: undefined }),
  flags: fc.uniqueArray(flag),
  seconds: fc.integer({ min: 0, max: 4_000_000_000 }),
});
const flagFieldRe = /^(Status|X-Status|X-Keywords):/;

Deno.test("readMbox() reads back what writeMboxMessage() writes", () => {
  fc.assert(
    fc.property(
      fc.array(mail, { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 64 }),
      (mails, size) => {
        const sources = mails.map((m) => {
          const lines = m.body === undefined ? m.headers : [...m.headers, "", ...m.body];
          return lines.map((l) => l + "\r\n").join("");
        });
        const parts = mails.map((m, i) =>
          writeMboxMessage(enc(sources[i] ?? ""), {
            flags: m.flags,
            date: new Date(m.seconds * 1000),
          })
        );
        const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        parts.reduce((at, p) => (file.set(p, at), at + p.length), 0);
        const items = read(file, {}, size);
        assert.equal(items.length, mails.length);
        items.forEach((item, i) => {
          assert.equal(item.kind, "message");
          if (item.kind !== "message") return;
          const m = mails[i];
          const system = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];
          const given: readonly string[] = m?.flags ?? [];
          const want = [
            ...system.filter((f) => given.includes(f)),
            ...given.filter((f) => !f.startsWith("\\")),
          ];
          assert.deepEqual(item.flags, want);
          assert.equal(item.internalDate, (m?.seconds ?? 0) * 1000);
          assert.deepEqual(item.problems, []);
          // Drop the flag fields the writer added at the end of the header section.
          const lines = dec(item.message).split("\r\n");
          const end = lines.indexOf("");
          const header = lines.slice(0, end < 0 ? lines.length - 1 : end);
          const rest = end < 0 ? [""] : lines.slice(end);
          const kept = [...header.filter((l) => !flagFieldRe.test(l)), ...rest].join("\r\n");
          assert.equal(kept, sources[i]);
        });
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("readMbox() streams a 20,000-message mbox (~50 MB) in under 10 s", async () => {
  const body = Array.from({ length: 30 }, (_, i) => `line ${i} ` + "abcdefghij".repeat(7)).join(
    "\n",
  );
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let batch = 0; batch < 200; batch++) {
      let text = "";
      for (let i = 0; i < 100; i++) {
        const n = batch * 100 + i;
        text += `From sender${n}@example.org Thu Jan  1 00:00:00 1970\n` +
          `Message-ID: <${n}@example.org>\nSubject: message ${n}\nX-Status: F\n\n` +
          `${body}\n>From here\n\n`;
      }
      yield enc(text);
    }
  }
  const started = performance.now();
  let count = 0;
  let octets = 0;
  for await (const item of readMbox(chunks())) {
    assert.equal(item.kind, "message");
    if (item.kind === "message") {
      count++;
      octets += item.message.length;
    }
  }
  const elapsed = performance.now() - started;
  assert.equal(count, 20_000);
  assert.ok(octets > 45_000_000, `${octets} octets`);
  assert.ok(elapsed < 10_000, `${elapsed} ms`);
});
