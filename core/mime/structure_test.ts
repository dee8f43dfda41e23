import assert from "node:assert/strict";
import fc from "fast-check";
import {
  defaultLimits,
  headerFields,
  headerValue,
  type Limits,
  parseStructure,
  type Part,
  problems,
} from "./mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Lines joined with CRLF (the last one gets one too). */
function crlf(...lines: string[]): Uint8Array {
  return encoder.encode(lines.map((l) => `${l}\r\n`).join(""));
}

function text(msg: Uint8Array, start: number, end: number): string {
  return decoder.decode(msg.subarray(start, end));
}

function header(msg: Uint8Array, part: Part): string {
  return text(msg, part.headerStart, part.headerEnd);
}

function body(msg: Uint8Array, part: Part): string {
  return text(msg, part.bodyStart, part.bodyEnd);
}

function child(part: Part, ...path: number[]): Part {
  let p = part;
  for (const i of path) {
    const next = p.parts[i];
    assert.ok(next, `no part ${path.join(".")}`);
    p = next;
  }
  return p;
}

function* walk(part: Part): Generator<Part> {
  const stack = [part];
  while (stack.length > 0) {
    const p = stack.pop()!;
    yield p;
    stack.push(...[...p.parts].reverse());
  }
}

function allProblems(part: Part): string[] {
  return [...walk(part)].flatMap((p) => p.problems ?? []);
}

/** The structural promises of parseStructure(), checked on every part. */
function assertWellFormed(msg: Uint8Array, root: Part, limits: Limits = defaultLimits): void {
  let count = 0;
  const stack: { part: Part; depth: number; lo: number; hi: number }[] = [
    { part: root, depth: 0, lo: 0, hi: msg.length },
  ];
  while (stack.length > 0) {
    const { part: p, depth, lo, hi } = stack.pop()!;
    count++;
    assert.ok(
      lo <= p.headerStart && p.headerStart <= p.headerEnd && p.headerEnd <= p.bodyStart &&
        p.bodyStart <= p.bodyEnd && p.bodyEnd <= hi,
      `offsets ${p.headerStart} ${p.headerEnd} ${p.bodyStart} ${p.bodyEnd} within ${lo}..${hi}`,
    );
    assert.ok(depth <= limits.maxDepth);
    assert.equal(p.octets, p.bodyEnd - p.bodyStart);
    if (p.type === "multipart") assert.ok(p.parts.length >= 1, "multipart has children");
    else if (p.type === "message" && (p.subtype === "rfc822" || p.subtype === "global")) {
      assert.equal(p.parts.length, 1, "message has one child");
    } else assert.equal(p.parts.length, 0, "leaf has no children");
    let previousEnd = p.bodyStart;
    for (const c of p.parts) {
      assert.ok(c.headerStart >= previousEnd, "children in order, not overlapping");
      previousEnd = c.bodyEnd;
      stack.push({ part: c, depth: depth + 1, lo: p.bodyStart, hi: p.bodyEnd });
    }
  }
  assert.ok(count <= limits.maxParts, `${count} parts`);
}

Deno.test("parseStructure() reads a simple text message", () => {
  const msg = crlf(
    "From: alice@example.org",
    "Subject: Hello",
    "  world",
    "",
    "Line one",
    "Line two",
  );
  const root = parseStructure(msg);
  assert.equal(root.type, "text");
  assert.equal(root.subtype, "plain");
  assert.deepEqual(root.params, { charset: "us-ascii" });
  assert.equal(root.encoding, "7bit");
  assert.equal(header(msg, root), "From: alice@example.org\r\nSubject: Hello\r\n  world\r\n");
  assert.equal(body(msg, root), "Line one\r\nLine two\r\n");
  assert.equal(root.bodyStart, root.headerEnd + 2);
  assert.equal(root.lines, 2);
  assert.equal(root.octets, 20);
  assert.deepEqual(root.parts, []);
  assert.equal(root.problems, undefined);
  assertWellFormed(msg, root);
});

Deno.test("headerFields() and headerValue() unfold, decode UTF-8 and keep offsets", () => {
  const msg = crlf("Subject: Hello", "\tworld", "X-Name : Zoë", "subject: second", "", "body");
  const root = parseStructure(msg);
  const fields = headerFields(msg, root);
  assert.deepEqual(fields.map((f) => [f.name, f.value]), [
    ["Subject", "Hello\tworld"],
    ["X-Name", "Zoë"],
    ["subject", "second"],
  ]);
  assert.equal(text(msg, fields[0]!.start, fields[0]!.end), "Subject: Hello\r\n\tworld\r\n");
  assert.equal(headerValue(msg, root, "SUBJECT"), "Hello\tworld");
  assert.equal(headerValue(msg, root, "x-name"), "Zoë");
  assert.equal(headerValue(msg, root, "missing"), undefined);
});

Deno.test("parseStructure() starts the body at a non-header line when the blank line is missing", () => {
  const msg = crlf("Subject: hi", "Hello world, no blank line", "more");
  const root = parseStructure(msg);
  assert.equal(header(msg, root), "Subject: hi\r\n");
  assert.equal(root.bodyStart, root.headerEnd);
  assert.equal(body(msg, root), "Hello world, no blank line\r\nmore\r\n");
  assert.equal(root.lines, 2);
  assert.deepEqual(root.problems, [problems.missingSeparator]);

  const headerOnly = crlf("Subject: only a header");
  const only = parseStructure(headerOnly);
  assert.equal(only.headerEnd, headerOnly.length);
  assert.equal(only.octets, 0);
  assert.equal(only.lines, 0);
  assert.equal(only.problems, undefined, "RFC 5322 §3.5: the body is optional");

  const noHeader = crlf("", "just a body");
  const bare = parseStructure(noHeader);
  assert.equal(bare.headerEnd, 0);
  assert.equal(body(noHeader, bare), "just a body\r\n");
});

const alternative = crlf(
  "MIME-Version: 1.0",
  'Content-Type: multipart/alternative; boundary="b1"',
  "",
  "This is the preamble.",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "plain text",
  "--b1 \t",
  "Content-Type: text/html; charset=utf-8",
  "Content-Transfer-Encoding: Quoted-Printable",
  "",
  "<p>html</p>",
  "",
  "--b1--",
  "This is the epilogue.",
);

Deno.test("parseStructure() splits multipart/alternative, the CRLF before a delimiter excluded", () => {
  const root = parseStructure(alternative);
  assert.equal(`${root.type}/${root.subtype}`, "multipart/alternative");
  assert.equal(root.params["boundary"], "b1");
  assert.equal(root.parts.length, 2);
  const [plain, html] = root.parts as [Part, Part];
  assert.equal(`${plain.type}/${plain.subtype}`, "text/plain");
  assert.deepEqual(plain.params, { charset: "utf-8" });
  assert.equal(header(alternative, plain), "Content-Type: text/plain; charset=utf-8\r\n");
  assert.equal(body(alternative, plain), "plain text");
  assert.equal(plain.lines, 1);
  assert.equal(plain.octets, 10);
  assert.equal(`${html.type}/${html.subtype}`, "text/html");
  assert.equal(html.encoding, "quoted-printable");
  assert.equal(body(alternative, html), "<p>html</p>\r\n", "transport padding after --b1");
  assert.equal(html.lines, 1);
  assert.equal(allProblems(root).length, 0);
  assertWellFormed(alternative, root);
});

const nested = crlf(
  "From: alice@example.org",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  "Content-Type: multipart/alternative; boundary=inner",
  "",
  "--inner",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "plain",
  "--inner",
  "Content-Type: text/html",
  "",
  "<b>html</b>",
  "--inner--",
  "",
  "--outer",
  'Content-Type: application/pdf; name="x.pdf"',
  "Content-Transfer-Encoding: base64",
  "Content-ID: <part3@example.org>",
  "Content-Description: a CV",
  "Content-Language: en (English), de",
  "Content-Disposition: attachment;",
  " filename*0*=utf-8''R%C3%A9sum;",
  " filename*1*=%C3%A9.pdf; size=12",
  "",
  "JVBERi0xLjQK",
  "--outer--",
);

Deno.test("parseStructure() finds nested multiparts and RFC 2231 parameters at exact offsets", () => {
  const root = parseStructure(nested);
  assert.equal(allProblems(root).length, 0);
  assertWellFormed(nested, root);
  const expected: [number[], string, string, string][] = [
    [
      [],
      "multipart/mixed",
      'From: alice@example.org\r\nContent-Type: multipart/mixed; boundary="outer"\r\n',
      decoder.decode(nested).split("\r\n\r\n").slice(1).join("\r\n\r\n"),
    ],
    [
      [0],
      "multipart/alternative",
      "Content-Type: multipart/alternative; boundary=inner\r\n",
      "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n--inner\r\n" +
      "Content-Type: text/html\r\n\r\n<b>html</b>\r\n--inner--\r\n",
    ],
    [[0, 0], "text/plain", "Content-Type: text/plain; charset=utf-8\r\n", "plain"],
    [[0, 1], "text/html", "Content-Type: text/html\r\n", "<b>html</b>"],
    [
      [1],
      "application/pdf",
      'Content-Type: application/pdf; name="x.pdf"\r\nContent-Transfer-Encoding: base64\r\n' +
      "Content-ID: <part3@example.org>\r\nContent-Description: a CV\r\n" +
      "Content-Language: en (English), de\r\nContent-Disposition: attachment;\r\n" +
      " filename*0*=utf-8''R%C3%A9sum;\r\n filename*1*=%C3%A9.pdf; size=12\r\n",
      "JVBERi0xLjQK",
    ],
  ];
  assert.equal([...walk(root)].length, expected.length);
  for (const [path, type, head, content] of expected) {
    const part = child(root, ...path);
    assert.equal(`${part.type}/${part.subtype}`, type, `type of ${path}`);
    assert.equal(header(nested, part), head, `header of ${path}`);
    assert.equal(body(nested, part), content, `body of ${path}`);
    assert.equal(text(nested, part.headerEnd, part.bodyStart), "\r\n", `separator of ${path}`);
  }
  const pdf = child(root, 1);
  assert.equal(pdf.encoding, "base64");
  assert.deepEqual(pdf.params, { name: "x.pdf" });
  assert.equal(pdf.id, "<part3@example.org>");
  assert.equal(pdf.description, "a CV");
  assert.deepEqual(pdf.language, ["en", "de"]);
  assert.deepEqual(pdf.disposition, {
    type: "attachment",
    params: { filename: "Résumé.pdf", size: "12" },
  });
  assert.equal(pdf.lines, 0, "lines only for text/* and message/*");
});

Deno.test("parseStructure() parses a message/rfc822 attachment and the multipart inside it", () => {
  const msg = crlf(
    "Subject: Fwd",
    "Content-Type: multipart/mixed; boundary=x",
    "",
    "--x",
    "",
    "See attached.",
    "--x",
    "Content-Type: message/rfc822",
    "",
    "Subject: Inner",
    "Content-Type: multipart/alternative; boundary=y",
    "",
    "--y",
    "",
    "inner plain",
    "--y",
    "Content-Type: text/html",
    "",
    "<i>inner</i>",
    "--y--",
    "--x--",
  );
  const root = parseStructure(msg);
  assertWellFormed(msg, root);
  assert.equal(allProblems(root).length, 0);
  assert.equal(body(msg, child(root, 0)), "See attached.");
  const attached = child(root, 1);
  assert.equal(`${attached.type}/${attached.subtype}`, "message/rfc822");
  assert.equal(attached.lines, 11, "Subject … --y--, the CRLF before --x-- excluded");
  const inner = child(attached, 0);
  assert.equal(inner.headerStart, attached.bodyStart);
  assert.equal(inner.bodyEnd, attached.bodyEnd);
  assert.equal(headerValue(msg, inner, "subject"), "Inner");
  assert.equal(`${inner.type}/${inner.subtype}`, "multipart/alternative");
  assert.equal(body(msg, child(inner, 0)), "inner plain");
  assert.equal(body(msg, child(inner, 1)), "<i>inner</i>");
});

Deno.test("parseStructure() defaults parts of multipart/digest to message/rfc822", () => {
  const msg = crlf(
    "Content-Type: multipart/digest; boundary=d",
    "",
    "--d",
    "",
    "Subject: first",
    "",
    "one",
    "--d",
    "Content-Type: text/plain",
    "",
    "not a message",
    "--d",
    "Content-Type: broken",
    "",
    "Subject: third",
    "",
    "three",
    "--d--",
  );
  const root = parseStructure(msg);
  assertWellFormed(msg, root);
  const [first, second, third] = root.parts as [Part, Part, Part];
  assert.equal(`${first.type}/${first.subtype}`, "message/rfc822");
  assert.equal(headerValue(msg, child(first, 0), "subject"), "first");
  assert.equal(body(msg, child(first, 0)), "one");
  assert.equal(`${second.type}/${second.subtype}`, "text/plain");
  assert.equal(`${third.type}/${third.subtype}`, "message/rfc822");
  assert.deepEqual(third.problems, [problems.invalidContentType]);
});

Deno.test("parseStructure() ends the last part at its parent's end without a close delimiter", () => {
  const msg = crlf(
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
    "",
    "one",
    "--b",
    "",
    "two, truncated",
  );
  const root = parseStructure(msg);
  assertWellFormed(msg, root);
  assert.deepEqual(root.problems, [problems.missingCloseBoundary]);
  assert.equal(body(msg, child(root, 0)), "one");
  assert.equal(body(msg, child(root, 1)), "two, truncated\r\n");
  assert.equal(child(root, 1).bodyEnd, msg.length);
});

Deno.test("parseStructure() does not take --bx or --b+text for the delimiter --b", () => {
  const msg = crlf(
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--bx",
    "--b",
    "",
    "--bx is not mine",
    "--b text",
    "-- b",
    "--b\t ",
    "",
    "second",
    "--b--  ",
    "--b",
    "epilogue",
  );
  const root = parseStructure(msg);
  assertWellFormed(msg, root);
  assert.equal(root.parts.length, 2);
  assert.equal(body(msg, child(root, 0)), "--bx is not mine\r\n--b text\r\n-- b");
  assert.equal(body(msg, child(root, 1)), "second");
  assert.equal(allProblems(root).length, 0);
});

Deno.test("parseStructure() reads an LF-only message and reports the bare LF", () => {
  const msg = encoder.encode(
    "Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n" +
      "one\ntwo\n--b\n\nthree\n--b--\n",
  );
  const root = parseStructure(msg);
  assertWellFormed(msg, root);
  assert.deepEqual(root.problems, [problems.bareLf]);
  assert.equal(header(msg, root), "Subject: lf\nContent-Type: multipart/mixed; boundary=b\n");
  assert.equal(body(msg, child(root, 0)), "one\ntwo");
  assert.equal(child(root, 0).lines, 2);
  assert.equal(body(msg, child(root, 1)), "three");
  assert.deepEqual(child(root, 1).problems, [problems.bareLf], "its blank line is a bare LF");
});

Deno.test("parseStructure() understands comments and quoted strings in Content-Type", () => {
  const msg = crlf(
    'Content-Type: (a (nested) comment) Text/HTML (c) ; (x) Charset = "UTF-8" (y);',
    ' name="a \\"b\\".html";; boundary=----=_Part_1;',
    "",
    "",
  );
  const root = parseStructure(msg);
  assert.equal(`${root.type}/${root.subtype}`, "text/html");
  assert.deepEqual(root.params, {
    charset: "UTF-8",
    name: 'a "b".html',
    boundary: "----=_Part_1",
  });
  assert.equal(root.problems, undefined);
});

Deno.test("parseStructure() falls back to text/plain on an invalid Content-Type", () => {
  for (const value of ["text", "/plain", "", "text/", "(unterminated", "té/xt"]) {
    const root = parseStructure(crlf(`Content-Type: ${value}`, "", "x"));
    assert.equal(`${root.type}/${root.subtype}`, "text/plain", value);
    assert.deepEqual(root.params, { charset: "us-ascii" });
    assert.deepEqual(root.problems, [problems.invalidContentType], value);
  }
  const junk = parseStructure(crlf("Content-Type: text/plain; =x; charset", "", "x"));
  assert.deepEqual(junk.params, {});
  assert.deepEqual(junk.problems, [problems.invalidParameter]);
  const twice = parseStructure(crlf("Content-Type: text/html", "content-type: image/png", ""));
  assert.equal(twice.subtype, "html", "the first one counts");
  assert.deepEqual(twice.problems, [problems.duplicateField]);
});

Deno.test("parseStructure() decodes RFC 2231 values, with a charset fallback", () => {
  const root = parseStructure(crlf(
    "Content-Type: application/x-stuff;",
    " title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A;",
    " name*0*=iso-8859-1''caf%E9; name*1=\" au lait\"; name=plain;",
    " x*=nosuch''%41; gap*0=a; gap*2=c; bad*=%41%zz",
    "",
  ));
  assert.deepEqual(root.params, {
    title: "This is ***fun***",
    name: "café au lait",
    x: "A",
    gap: "a",
    bad: "A%zz",
  });
  assert.deepEqual(
    [...root.problems ?? []].sort(),
    [problems.invalidParameter, problems.unknownCharset].sort(),
  );
  const proto = parseStructure(crlf("Content-Type: text/plain; __proto__=x", ""));
  assert.equal(Object.getPrototypeOf(proto.params), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(proto.params, "__proto__")?.value, "x");
});

Deno.test("parseStructure() keeps containers it cannot open as opaque leaves", () => {
  const cases: [string[], string][] = [
    [["Content-Type: multipart/mixed", "", "--b", "", "x", "--b--"], problems.missingBoundary],
    [["Content-Type: multipart/mixed; boundary=b", "", "no delimiter"], problems.noParts],
    [["Content-Type: multipart/mixed; boundary=b", "", "--b--"], problems.noParts],
    [
      ["Content-Type: message/rfc822", "Content-Transfer-Encoding: base64", "", "U3ViamVjdDogeA=="],
      problems.encodedContainer,
    ],
  ];
  for (const [lines, problem] of cases) {
    const msg = crlf(...lines);
    const root = parseStructure(msg);
    assertWellFormed(msg, root);
    assert.equal(`${root.type}/${root.subtype}`, "application/octet-stream", problem);
    assert.deepEqual(root.problems, [problem]);
  }
});

Deno.test("parseStructure() reports a bare CR and an unparsable Content-Transfer-Encoding", () => {
  const root = parseStructure(crlf("Subject: a\rb", "Content-Transfer-Encoding: ba se64", "", ""));
  assert.equal(root.encoding, "7bit");
  assert.deepEqual(root.problems, [problems.bareCr, problems.invalidEncoding]);
});

Deno.test("parseStructure() survives 1000 nested multiparts (nesting bomb) within maxDepth", () => {
  let head = "";
  let tail = "";
  for (let i = 0; i < 1000; i++) {
    head += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    tail = `\r\n--b${i}--\r\n${tail}`;
  }
  const msg = encoder.encode(`${head}\r\ninnermost${tail}`);
  const started = performance.now();
  const root = parseStructure(msg);
  assert.ok(performance.now() - started < 1000);
  assertWellFormed(msg, root);
  const parts = [...walk(root)];
  assert.equal(parts.length, defaultLimits.maxDepth + 1);
  assert.deepEqual(parts.at(-1)!.problems, [problems.nestingTooDeep]);
  assert.equal(parts.at(-1)!.type, "application");

  let rfc822 = "";
  for (let i = 0; i < 1000; i++) rfc822 += "Content-Type: message/rfc822\r\n\r\n";
  const messages = encoder.encode(`${rfc822}body`);
  const m = parseStructure(messages, { maxDepth: 10 });
  assertWellFormed(messages, m, { ...defaultLimits, maxDepth: 10 });
  assert.deepEqual(allProblems(m), [problems.nestingTooDeep]);
  const nan = parseStructure(messages, { maxDepth: NaN, maxParts: -1 });
  assertWellFormed(messages, nan);
});

Deno.test("parseStructure() stops at maxParts on 100k parts (parts bomb)", () => {
  const msg = encoder.encode(
    `Content-Type: multipart/mixed; boundary=b\r\n\r\n${
      "--b\r\n\r\nx\r\n".repeat(100_000)
    }--b--\r\n`,
  );
  const started = performance.now();
  const root = parseStructure(msg);
  assert.ok(performance.now() - started < 1000);
  assertWellFormed(msg, root);
  assert.equal(root.parts.length, defaultLimits.maxParts - 1);
  assert.deepEqual(root.problems, [problems.tooManyParts]);

  // Nested: the limit is global, and containers past it stay closed.
  const inner = "Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\ny\r\n--c--";
  const nestedMsg = encoder.encode(
    `Content-Type: multipart/mixed; boundary=b\r\n\r\n${`--b\r\n${inner}\r\n`.repeat(20)}--b--`,
  );
  const small = parseStructure(nestedMsg, { maxParts: 10 });
  assertWellFormed(nestedMsg, small, { ...defaultLimits, maxParts: 10 });
  assert.ok(allProblems(small).includes(problems.tooManyParts));
});

Deno.test("parseStructure() is fast and bounded on 100k header lines (header flood)", () => {
  const lines = Array.from({ length: 100_000 }, (_, i) => `X-Flood-${i}: value ${i}`);
  const msg = crlf(...lines, "Content-Type: text/html", "", "body");
  const started = performance.now();
  const root = parseStructure(msg);
  assert.ok(performance.now() - started < 1000);
  assertWellFormed(msg, root);
  assert.deepEqual(root.problems, [problems.tooManyHeaderLines]);
  assert.equal(root.subtype, "plain", "Content-Type past the line limit is not interpreted");
  assert.equal(body(msg, root), "body\r\n");

  const long = crlf(`Content-Type: text/html; x=${"a".repeat(70_000)}`, "", "body");
  const longRoot = parseStructure(long);
  assert.equal(longRoot.subtype, "plain");
  assert.deepEqual(longRoot.problems, [problems.headerLineTooLong]);
  assert.equal(body(long, longRoot), "body\r\n");
});

// Perf sanity: a 10 MB message with 1000 parts parses in well under a second (assert < 2 s).
Deno.test("parseStructure() parses a 10 MB message with 1000 parts in under 2 s", () => {
  const line = "A".repeat(76);
  const partBody = Array.from({ length: 130 }, () => line).join("\r\n");
  const chunks = ["Content-Type: multipart/mixed; boundary=bb\r\n\r\n"];
  for (let i = 0; i < 1000; i++) {
    chunks.push(`--bb\r\nContent-Type: text/plain; name=p${i}\r\n\r\n${partBody}\r\n`);
  }
  chunks.push("--bb--\r\n");
  const msg = encoder.encode(chunks.join(""));
  assert.ok(msg.length > 10_000_000);
  const started = performance.now();
  const root = parseStructure(msg);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 2000, `${elapsed} ms`);
  assert.equal(root.parts.length, 1000);
  assert.equal(child(root, 999).lines, 130);
  assert.equal(child(root, 999).params["name"], "p999");
});

Deno.test("parseStructure() never throws and keeps offsets nested on random bytes and mutations", () => {
  const seeds = [alternative, nested, crlf("Subject: x", "", "y")];
  const limits: Limits = { maxDepth: 5, maxParts: 50, maxHeaderLines: 20, maxHeaderLineOctets: 64 };
  const check = (msg: Uint8Array) => {
    assertWellFormed(msg, parseStructure(msg));
    assertWellFormed(msg, parseStructure(msg, limits), limits);
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), check), { numRuns: 300 });
  const interesting = fc.constantFrom(
    ..."\r\n-- \t:;\"()=*'%".split("").map((c) => c.charCodeAt(0)),
  );
  const mutation = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 8 }),
    insert: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), interesting), { maxLength: 8 }),
  });
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(mutation, { maxLength: 10 }),
      (seed, mutations) => {
        let bytes = [...seed];
        for (const { at, remove, insert } of mutations) {
          const pos = at % (bytes.length + 1);
          bytes = [...bytes.slice(0, pos), ...insert, ...bytes.slice(pos + remove)];
        }
        check(new Uint8Array(bytes));
      },
    ),
    { numRuns: 500 },
  );
});
