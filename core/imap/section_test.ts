import assert from "node:assert/strict";
import { parseStructure } from "../mime/structure.ts";
import type { StoredMessage } from "./render.ts";
import {
  binaryBytes,
  binarySize,
  clip,
  clipRange,
  filterHeaderFields,
  findPart,
  locateBinary,
  locateSection,
  type Section,
  sectionBytes,
  SectionError,
} from "./section.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function stored(lines: string[], prefix = ""): StoredMessage {
  const message = encoder.encode(lines.map((l) => `${l}\r\n`).join(""));
  const file = new Uint8Array([...encoder.encode(prefix), ...message]);
  return { file, prefixSize: file.length - message.length, root: parseStructure(message) };
}

function get(msg: StoredMessage, section: Section, partial?: { start: number; count: number }) {
  return decoder.decode(sectionBytes(msg, section, partial));
}

/** The example message of RFC 9051 §6.4.5, each leaf body naming its part number. */
const rfcExample = stored([
  "Subject: top",
  "Content-Type: MULTIPART/MIXED; boundary=o",
  "",
  "--o",
  "Content-Type: TEXT/PLAIN",
  "",
  "1",
  "--o",
  "Content-Type: APPLICATION/OCTET-STREAM",
  "",
  "2",
  "--o",
  "Content-Type: MESSAGE/RFC822",
  "",
  "Subject: three",
  "Content-Type: MULTIPART/MIXED; boundary=t",
  "",
  "--t",
  "Content-Type: TEXT/PLAIN",
  "",
  "3.1",
  "--t",
  "Content-Type: APPLICATION/OCTET-STREAM",
  "",
  "3.2",
  "--t--",
  "--o",
  "Content-Type: MULTIPART/MIXED; boundary=f",
  "",
  "--f",
  "Content-Type: IMAGE/GIF",
  "",
  "4.1",
  "--f",
  "Content-Type: MESSAGE/RFC822",
  "",
  "Subject: four-two",
  "Content-Type: MULTIPART/MIXED; boundary=ft",
  "",
  "--ft",
  "Content-Type: TEXT/PLAIN",
  "",
  "4.2.1",
  "--ft",
  "Content-Type: MULTIPART/ALTERNATIVE; boundary=alt",
  "",
  "--alt",
  "Content-Type: TEXT/PLAIN",
  "",
  "4.2.2.1",
  "--alt",
  "Content-Type: TEXT/RICHTEXT",
  "",
  "4.2.2.2",
  "--alt--",
  "--ft--",
  "--f--",
  "--o--",
]);

Deno.test("findPart() numbers parts as the RFC 9051 §6.4.5 example does", () => {
  const types: [string, string][] = [
    ["1", "text/plain"],
    ["2", "application/octet-stream"],
    ["3", "message/rfc822"],
    ["3.1", "text/plain"],
    ["3.2", "application/octet-stream"],
    ["4", "multipart/mixed"],
    ["4.1", "image/gif"],
    ["4.2", "message/rfc822"],
    ["4.2.1", "text/plain"],
    ["4.2.2", "multipart/alternative"],
    ["4.2.2.1", "text/plain"],
    ["4.2.2.2", "text/richtext"],
  ];
  for (const [path, type] of types) {
    const part = findPart(rfcExample.root, path.split(".").map(Number));
    assert.equal(part && `${part.type}/${part.subtype}`, type, path);
  }
  for (const leaf of ["1", "3.1", "4.2.2.2"]) {
    assert.equal(get(rfcExample, { part: leaf.split(".").map(Number) }), leaf);
  }
});

Deno.test("findPart() finds no part past the end, below a leaf, or numbered 2 in a message", () => {
  for (const path of [[5], [1, 1], [4, 3], [4, 1, 1], [3, 3]]) {
    assert.equal(findPart(rfcExample.root, path), undefined, path.join("."));
  }
  const single = stored(["Subject: x", "", "body"]);
  assert.equal(findPart(single.root, [1]), single.root);
  assert.equal(findPart(single.root, [2]), undefined);
  assert.equal(findPart(single.root, [1, 1]), undefined);
  assert.throws(
    () => findPart(single.root, [0]),
    (e) => e instanceof SectionError && e.code === "InvalidSection",
  );
});

Deno.test("sectionBytes() gives HEADER and TEXT of an embedded message for n.HEADER and n.TEXT", () => {
  assert.equal(
    get(rfcExample, { part: [3], text: "HEADER" }),
    "Subject: three\r\nContent-Type: MULTIPART/MIXED; boundary=t\r\n\r\n",
  );
  assert.ok(get(rfcExample, { part: [4, 2], text: "TEXT" }).startsWith("--ft\r\n"));
  assert.equal(
    get(rfcExample, { part: [4, 2], text: "HEADER.FIELDS", fields: ["subject"] }),
    "Subject: four-two\r\n\r\n",
  );
  // HEADER and TEXT of a part that is not a message are empty.
  assert.equal(get(rfcExample, { part: [1], text: "HEADER" }), "");
  assert.equal(get(rfcExample, { part: [4], text: "TEXT" }), "");
});

Deno.test("sectionBytes() gives a part's own header for MIME, the message header for 1.MIME", () => {
  assert.equal(get(rfcExample, { part: [4, 1], text: "MIME" }), "Content-Type: IMAGE/GIF\r\n\r\n");
  assert.equal(
    get(rfcExample, { part: [3], text: "MIME" }),
    "Content-Type: MESSAGE/RFC822\r\n\r\n",
  );
  const single = stored(["Subject: x", "", "body"], "Received: by y\r\n");
  assert.equal(get(single, { part: [1], text: "MIME" }), "Received: by y\r\nSubject: x\r\n\r\n");
  assert.throws(
    () => locateSection(single.root, single.prefixSize, { part: [], text: "MIME" }),
    (e) => e instanceof SectionError && e.code === "InvalidSection",
  );
});

Deno.test("locateSection() gives file ranges that include the delivery prefix in the header", () => {
  const msg = stored(["Subject: x", "", "body"], "Received: by y\r\n");
  const { root, prefixSize } = msg;
  assert.equal(prefixSize, 16);
  assert.deepEqual(locateSection(root, prefixSize, { part: [] }), {
    kind: "range",
    start: 0,
    end: 36,
  });
  assert.deepEqual(locateSection(root, prefixSize, { part: [], text: "HEADER" }), {
    kind: "range",
    start: 0,
    end: 30,
  });
  assert.deepEqual(locateSection(root, prefixSize, { part: [], text: "TEXT" }), {
    kind: "range",
    start: 30,
    end: 36,
  });
  assert.deepEqual(locateSection(root, prefixSize, { part: [9] }), {
    kind: "range",
    start: 0,
    end: 0,
  });
  assert.equal(get(msg, { part: [] }), "Received: by y\r\nSubject: x\r\n\r\nbody\r\n");
});

Deno.test("sectionBytes() gives HEADER.FIELDS as written, in message order, with the blank line", () => {
  const msg = stored([
    "Received: by a",
    "Subject: folded",
    "  subject",
    "From: a@example.org",
    "subject : spaced",
    "",
    "body",
  ]);
  assert.equal(
    get(msg, { part: [], text: "HEADER.FIELDS", fields: ["FROM", "Subject"] }),
    "Subject: folded\r\n  subject\r\nFrom: a@example.org\r\nsubject : spaced\r\n\r\n",
  );
  assert.equal(
    get(msg, { part: [], text: "HEADER.FIELDS.NOT", fields: ["subject", "from"] }),
    "Received: by a\r\n\r\n",
  );
  assert.equal(get(msg, { part: [], text: "HEADER.FIELDS", fields: ["X-None"] }), "\r\n");
});

Deno.test("sectionBytes() leaves out the blank line of a message that has none", () => {
  // RFC 9051 §6.4.5: "except in the case of a message which has no body and no blank line".
  const msg = stored(["Subject: x", "From: a@example.org"]);
  assert.equal(
    get(msg, { part: [], text: "HEADER.FIELDS", fields: ["from"] }),
    "From: a@example.org\r\n",
  );
  assert.equal(get(msg, { part: [], text: "HEADER" }), "Subject: x\r\nFrom: a@example.org\r\n");
  assert.equal(get(msg, { part: [], text: "TEXT" }), "");
});

Deno.test("filterHeaderFields() keeps a bare LF blank line as written", () => {
  const header = encoder.encode("A: 1\nB: 2\n\n");
  assert.equal(decoder.decode(filterHeaderFields(header, ["b"], false)), "B: 2\n\n");
});

Deno.test("sectionBytes() clips to <start.count> and is empty past the end", () => {
  const msg = stored(["Subject: x", "", "0123456789"]);
  assert.equal(get(msg, { part: [], text: "TEXT" }, { start: 2, count: 3 }), "234");
  assert.equal(get(msg, { part: [], text: "TEXT" }, { start: 8, count: 100 }), "89\r\n");
  assert.equal(get(msg, { part: [], text: "TEXT" }, { start: 100, count: 1 }), "");
  assert.equal(
    get(msg, { part: [], text: "HEADER.FIELDS", fields: ["subject"] }, { start: 9, count: 50 }),
    "x\r\n\r\n",
  );
  assert.deepEqual(clipRange(10, 20, { start: 5, count: 0 }), { start: 15, end: 15 });
  assert.deepEqual(clip(encoder.encode("abc")), encoder.encode("abc"));
});

const encoded = stored([
  "Content-Type: multipart/mixed; boundary=b",
  "",
  "--b",
  "Content-Transfer-Encoding: base64",
  "",
  "AAEC",
  "AwQ=",
  "--b",
  "Content-Transfer-Encoding: Quoted-Printable",
  "",
  "caf=C3=A9 soft=",
  "break",
  "--b",
  "Content-Transfer-Encoding: 8bit",
  "",
  "plain",
  "--b",
  "Content-Transfer-Encoding: x-uuencode",
  "",
  "begin",
  "--b",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner",
  "Content-Transfer-Encoding: base64",
  "",
  "aGk=",
  "--b--",
]);

Deno.test("binaryBytes() decodes base64 and quoted-printable and passes 8bit through", () => {
  assert.deepEqual(binaryBytes(encoded, [1]), new Uint8Array([0, 1, 2, 3, 4]));
  assert.equal(decoder.decode(binaryBytes(encoded, [2])), "café softbreak");
  assert.equal(decoder.decode(binaryBytes(encoded, [3])), "plain");
  assert.deepEqual(binaryBytes(encoded, [1], { start: 3, count: 5 }), new Uint8Array([3, 4]));
  assert.equal(locateBinary(encoded.root, 0, [1]).kind, "decode");
  assert.equal(locateBinary(encoded.root, 0, [3]).kind, "range");
});

Deno.test("binaryBytes() sends containers as stored and decodes inside an embedded message", () => {
  assert.equal(
    decoder.decode(binaryBytes(encoded, [5])),
    "Subject: inner\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=",
  );
  assert.equal(decoder.decode(binaryBytes(encoded, [5, 1])), "hi");
  assert.deepEqual(binaryBytes(encoded, []), encoded.file);
  assert.equal(binaryBytes(encoded, [9]).length, 0);
});

Deno.test("binaryBytes() throws UnknownCte for an encoding it cannot decode", () => {
  assert.throws(
    () => binaryBytes(encoded, [4]),
    (e) => e instanceof SectionError && e.code === "UnknownCte",
  );
  assert.throws(
    () => binarySize(encoded, [4]),
    (e) => e instanceof SectionError && e.code === "UnknownCte",
  );
});

Deno.test("binarySize() is the decoded size, or the stored size for identity encodings", () => {
  assert.equal(binarySize(encoded, [1]), 5);
  assert.equal(binarySize(encoded, [2]), encoder.encode("café softbreak").length);
  assert.equal(binarySize(encoded, [3]), 5);
  assert.equal(binarySize(encoded, []), encoded.file.length);
});
