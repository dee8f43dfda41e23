/**
 * FETCH rendering compared octet for octet with Dovecot 2.3 (tests/_dovecot.ts) over
 * tests/fixtures/mime-corpus: ENVELOPE, BODY, BODYSTRUCTURE, BODY[section]<partial>
 * for every part, and BINARY / BINARY.SIZE of every part.
 *
 * Where we differ on purpose, the difference must match one entry of `exceptions`,
 * each with the RFC rule we follow; a difference that matches none fails, and so does
 * an entry that no longer matches anything (a stale exception). Our output is also
 * re-read with the same IMAP reader as Dovecot's, so it is well-formed IMAP.
 */

import assert from "node:assert/strict";
import { headerFields, parseStructure, type Part } from "../core/mime/structure.ts";
import { problems } from "../core/mime/problem.ts";
import { bodyStructure, envelope, type StoredMessage } from "../core/imap/render.ts";
import {
  binaryBytes,
  binarySize,
  clip,
  findPart,
  type Partial,
  type Section,
  sectionBytes,
  SectionError,
} from "../core/imap/section.ts";
import { type ImapValue, parseResponses, startDovecot } from "./_dovecot.ts";

/** Deliberate differences from Dovecot 2.3.19, each with the rule we follow. */
const exceptions = {
  "lines-last-line":
    "RFC 9051 §7.5.2 body-fld-lines is the body's size in text lines: a last line without a line break (the CRLF before a boundary belongs to the boundary, RFC 2046 §5.1.1) is still a line (core/mime Part.lines); Dovecot counts LF octets",
  "bare-lf":
    "We serve and count the stored octets; Dovecot rewrites bare LF to CRLF on the fly and counts that (RFC 5322 §2.2 wants CRLF; normalising is the store's business, not FETCH's)",
  "invalid-content-type":
    "RFC 2045 §5.2: a syntactically invalid Content-Type is treated as text/plain; charset=us-ascii; Dovecot shows the broken type",
  "invalid-disposition":
    'RFC 2183 §2: disposition-type is a token; an empty one is no disposition (NIL); Dovecot shows ("" NIL)',
  "unsplittable-multipart":
    "RFC 2046 §5.1.1: a multipart without boundary parameter or delimiter cannot be split; we show an application/octet-stream leaf the client can fetch, Dovecot invents an empty text/plain part",
  "leaf-subpart":
    "RFC 9051 §6.4.5: only a message has a part 1 of its own; BODY[n.1] of a non-message body part n is empty; Dovecot returns part n",
  "binary-lenient-decoding":
    "RFC 2045 §6.7 (robust QP decoding keeps a bad '=') and §6.8 (characters outside the base64 alphabet are ignored); Dovecot answers NO [PARSE]",
  "binary-invalid-cte":
    "A Content-Transfer-Encoding that does not parse counts as 7bit everywhere (BODYSTRUCTURE too, as in Dovecot); Dovecot's BINARY alone answers NO [UNKNOWN-CTE]",
  "binary-size-sibling":
    "RFC 3516 §4.3: BINARY.SIZE is the decoded size of that part; Dovecot answers NO for every part once another part of the message fails to decode",
  "header-fields-no-blank-line":
    'RFC 9051 §6.4.5: "the blank line is included in all header fetches, except in the case of a message which has no body and no blank line"; Dovecot adds CRLF to HEADER.FIELDS anyway',
  "message-global":
    "RFC 9051 §7.5.2 body-type-msg and RFC 6532 §3.7: message/global encapsulates a message like message/rfc822 (envelope, body, lines; parts numbered inside); Dovecot 2.3 treats it as an opaque leaf",
  "non-mime-content-fields":
    "Not a Dovecot bug but our leniency: core/mime honours Content-Transfer-Encoding and Content-Disposition without MIME-Version (RFC 2045 §4 requires it; much real mail omits it); Dovecot ignores them unless MIME-Version or Content-Type is present",
  "binary-container":
    "RFC 3516 §4.2 decodes a part's own transfer encoding; BINARY[] and multipart or message parts have the identity encoding (RFC 2045 §6.4), so we send them as stored; Dovecot decodes the parts inside and rewrites their headers",
} as const;
type ExceptionName = keyof typeof exceptions;

/** Requests never sent to Dovecot, because Dovecot 2.3.19 ends the session on them. */
const notSent: { file: string; item: string; reason: string }[] = [
  {
    file: "30-encoding-edges.eml",
    item: "BINARY.PEEK[2]",
    reason: "unpadded base64: Dovecot logs 'Base64 data ends prematurely' and sends BYE",
  },
];

/** Corpus files whose first lines stand for the store's delivery prefix, up to this field. */
const prefixUntil: Record<string, string> = { "25-delivery-prefix.eml": "Date:" };

const corpusDir = new URL("./fixtures/mime-corpus", import.meta.url).pathname;
const latin1 = new TextDecoder("latin1");

interface Loaded {
  name: string;
  msg: StoredMessage;
}

async function loadCorpus(): Promise<Loaded[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(corpusDir)) if (e.name.endsWith(".eml")) names.push(e.name);
  names.sort();
  const out: Loaded[] = [];
  for (const name of names) {
    const file = await Deno.readFile(`${corpusDir}/${name}`);
    let prefixSize = 0;
    const until = prefixUntil[name];
    if (until !== undefined) prefixSize = latin1.decode(file).indexOf(`\r\n${until}`) + 2;
    out.push({ name, msg: { file, prefixSize, root: parseStructure(file.subarray(prefixSize)) } });
  }
  return out;
}

function isMessage(p: Part): boolean {
  return p.type === "message" && p.parts.length === 1;
}

/** Every part path of a message, in RFC 9051 §6.4.5 numbering. */
function partPaths(root: Part): number[][] {
  const out: number[][] = [];
  const inMessage = (m: Part, prefix: number[]) => {
    if (m.type === "multipart") children(m, prefix);
    else {
      out.push([...prefix, 1]);
      if (isMessage(m)) inMessage(m.parts[0]!, [...prefix, 1]);
    }
  };
  const children = (mp: Part, prefix: number[]) => {
    mp.parts.forEach((c, i) => {
      const path = [...prefix, i + 1];
      out.push(path);
      if (c.type === "multipart") children(c, path);
      else if (isMessage(c)) inMessage(c.parts[0]!, path);
    });
  };
  inMessage(root, []);
  return out;
}

interface Ask {
  section: Section;
  partial?: Partial;
}

function sectionText(s: Section): string {
  const parts = s.part.join(".");
  if (s.text === undefined) return parts;
  const text = s.fields === undefined ? s.text : `${s.text} (${s.fields.join(" ")})`;
  return parts === "" ? text : `${parts}.${text}`;
}

/** The BODY sections asked of every message. */
function asks(root: Part): Ask[] {
  const list: Ask[] = [
    { section: { part: [] } },
    { section: { part: [], text: "HEADER" } },
    { section: { part: [], text: "TEXT" } },
    { section: { part: [], text: "HEADER.FIELDS", fields: ["FROM", "SUBJECT"] } },
    { section: { part: [], text: "HEADER.FIELDS.NOT", fields: ["FROM", "SUBJECT", "RECEIVED"] } },
    {
      section: { part: [], text: "HEADER.FIELDS", fields: ["DELIVERED-TO", "RECEIVED", "X-NONE"] },
    },
    { section: { part: [] }, partial: { start: 0, count: 20 } },
    { section: { part: [], text: "TEXT" }, partial: { start: 5, count: 10 } },
    { section: { part: [], text: "HEADER" }, partial: { start: 10000, count: 5 } },
    { section: { part: [1] }, partial: { start: 3, count: 7 } },
    { section: { part: [9] } },
    { section: { part: [1, 1] } },
    { section: { part: [2, 1, 1] } },
    { section: { part: [2, 1], text: "HEADER" } },
    { section: { part: [2], text: "HEADER" } },
  ];
  for (const path of partPaths(root)) {
    list.push({ section: { part: path } }, { section: { part: path, text: "MIME" } });
    if (isMessage(findPart(root, path)!)) {
      list.push(
        { section: { part: path, text: "HEADER" } },
        { section: { part: path, text: "TEXT" } },
        { section: { part: path, text: "HEADER.FIELDS", fields: ["SUBJECT", "FROM"] } },
      );
    }
  }
  const seen = new Set<string>();
  return list.filter((a) => {
    const key = `${sectionText(a.section)}<${a.partial?.start}.${a.partial?.count}>`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function bodyRequest(a: Ask): { request: string; label: string } {
  const s = sectionText(a.section);
  const p = a.partial;
  return {
    request: `BODY.PEEK[${s}]${p === undefined ? "" : `<${p.start}.${p.count}>`}`,
    label: `BODY[${s}]${p === undefined ? "" : `<${p.start}>`}`,
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Bare LFs (not after CR) in `[start, end)`. */
function bareLfs(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let n = 0;
  for (let i = start; i < end; i++) if (bytes[i] === 0x0a && bytes[i - 1] !== 0x0d) n++;
  return n;
}

/** Every bare LF made CRLF, as Dovecot serves a message. */
function toCrlf(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  bytes.forEach((b, i) => {
    if (b === 0x0a && bytes[i - 1] !== 0x0d) out.push(0x0d);
    out.push(b);
  });
  return new Uint8Array(out);
}

function hasProblem(p: Part, ...names: string[]): boolean {
  return p.problems?.some((x) => names.includes(x)) === true;
}

const unsplittable = [problems.missingBoundary, problems.noParts];

/** A message (top-level or embedded) with Content-* fields but neither MIME-Version nor Content-Type. */
function nonMime(m: StoredMessage, p: Part): boolean {
  const names = headerFields(m.file.subarray(m.prefixSize), p).map((f) => f.name.toLowerCase());
  return !names.includes("mime-version") && !names.includes("content-type") &&
    names.some((n) => n.startsWith("content-"));
}

function isGlobal(p: Part): boolean {
  return p.type === "message" && p.subtype === "global";
}

function show(v: ImapValue | undefined): string {
  return v === undefined ? "(missing)" : latin1.decode(v.raw);
}

/** Walks one body (BODY/BODYSTRUCTURE) of ours and Dovecot's side by side. */
function compareBody(
  m: StoredMessage,
  part: Part,
  ours: ImapValue,
  theirs: ImapValue | undefined,
  use: (e: ExceptionName) => void,
  where: string,
): string[] {
  if (theirs !== undefined && equal(ours.raw, theirs.raw)) return [];
  if (hasProblem(part, ...unsplittable)) {
    use("unsplittable-multipart");
    return [];
  }
  if (isGlobal(part) && theirs !== undefined && theirs.kind === "list" && ours.kind === "list") {
    // Dovecot's leaf: the same first seven fields (type … size), no envelope/body/lines.
    if (
      ours.items.slice(0, 7).every((x, k) => equal(x.raw, theirs.items[k]?.raw ?? new Uint8Array()))
    ) {
      use("message-global");
      return [];
    }
  }
  const badType = hasProblem(part, problems.invalidContentType);
  const badDisposition = hasProblem(part, problems.invalidDisposition);
  const diff = [`${where}: ours ${show(ours)} Dovecot ${show(theirs)}`];
  if (ours.kind !== "list" || theirs?.kind !== "list") return diff;
  if (badType || badDisposition) {
    // Type, parameters, lines and extension data may differ; id, description, encoding
    // and size may not.
    for (let k = 3; k <= 6; k++) {
      if (
        !equal(ours.items[k]?.raw ?? new Uint8Array(), theirs.items[k]?.raw ?? new Uint8Array())
      ) {
        return diff;
      }
    }
    if (badType) use("invalid-content-type");
    if (badDisposition) use("invalid-disposition");
    return [];
  }
  const a = ours.items;
  const b = theirs.items;
  const out: string[] = [];
  let i = 0;
  if (part.type === "multipart") {
    for (; i < part.parts.length; i++) {
      out.push(...compareBody(m, part.parts[i]!, a[i]!, b[i], use, `${where}.${i + 1}`));
    }
  }
  const text = part.type === "text";
  const message = part.type !== "multipart" && isMessage(part);
  const bodyStart = m.prefixSize + part.bodyStart;
  const bodyEnd = m.prefixSize + part.bodyEnd;
  const number = (v: ImapValue | undefined) => v?.kind === "atom" ? Number(v.text) : NaN;
  for (; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && equal(x.raw, y.raw)) continue;
    if (x === undefined || y === undefined) return diff;
    if (part.type !== "multipart" && i === 6) {
      if (number(y) - number(x) === bareLfs(m.file, bodyStart, bodyEnd) && number(y) > number(x)) {
        use("bare-lf");
        continue;
      }
    }
    if ((i === 5 || i >= (text ? 8 : message ? 10 : 7)) && nonMime(m, part)) {
      use("non-mime-content-fields"); // encoding and extension data
      continue;
    }
    if ((text && i === 7) || (message && i === 9)) {
      if (number(x) === number(y) + 1 && bodyEnd > bodyStart && m.file[bodyEnd - 1] !== 0x0a) {
        use("lines-last-line");
        continue;
      }
    }
    if (message && i === 8) {
      out.push(...compareBody(m, part.parts[0]!, x, y, use, `${where}.msg`));
      continue;
    }
    return diff;
  }
  return out;
}

Deno.test("render.ts and section.ts match Dovecot on the MIME corpus, exceptions aside", async (t) => {
  const corpus = await loadCorpus();
  assert.ok(corpus.length >= 25, "the corpus has its messages");
  await using dovecot = await startDovecot(corpus.map((c) => c.msg.file));

  // Commands: c1 the structures of all messages, then BODY sections one FETCH per
  // message, then each BINARY item alone (a NO answer would drop the others).
  const commands = ["FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)"];
  const bodyAsks = corpus.map(({ msg }) => asks(msg.root));
  corpus.forEach((_, i) => {
    commands.push(`FETCH ${i + 1} (${bodyAsks[i]!.map((a) => bodyRequest(a).request).join(" ")})`);
  });
  interface BinaryAsk {
    index: number;
    path: number[];
    partial?: Partial;
    size: boolean;
    tag: string;
    label: string;
  }
  const binaryAsks: BinaryAsk[] = [];
  corpus.forEach(({ name, msg }, index) => {
    const items: { path: number[]; partial?: Partial }[] = [{ path: [] }];
    for (const path of partPaths(msg.root)) items.push({ path });
    if (name === "24-binary.eml") items.push({ path: [2], partial: { start: 250, count: 10 } });
    for (const { path, partial } of items) {
      for (const size of [false, true]) {
        if (size && partial !== undefined) continue;
        const s = path.join(".");
        const p = partial === undefined ? "" : `<${partial.start}.${partial.count}>`;
        const request = size ? `BINARY.SIZE[${s}]` : `BINARY.PEEK[${s}]${p}`;
        if (notSent.some((n) => n.file === name && n.item === request)) continue;
        commands.push(`FETCH ${index + 1} (${request})`);
        binaryAsks.push({
          index,
          path,
          size,
          tag: `c${commands.length}`,
          label: size ? `BINARY.SIZE[${s}]` : `BINARY[${s}]${partial ? `<${partial.start}>` : ""}`,
          ...(partial === undefined ? {} : { partial }),
        });
      }
    }
  });

  const results = parseResponses(await dovecot.session(commands));
  const used = new Map<ExceptionName, string[]>();
  let failures: string[] = [];
  const useAt = (where: string) => (e: ExceptionName) => {
    used.set(e, [...(used.get(e) ?? []), where]);
  };

  await t.step("ENVELOPE, BODY and BODYSTRUCTURE match", () => {
    assert.match(results.statuses.get("c1") ?? "", /^OK/, "FETCH ENVELOPE BODYSTRUCTURE BODY");
    corpus.forEach(({ name, msg }, i) => {
      const theirs = results.fetches.get(i + 1);
      assert.ok(theirs !== undefined, `Dovecot sent no FETCH for ${name}`);
      const env = theirs.get("ENVELOPE");
      const ours = envelope(msg);
      if (env === undefined || !equal(ours, env.raw)) {
        failures.push(`${name} ENVELOPE: ours ${latin1.decode(ours)} Dovecot ${show(env)}`);
      }
      for (const [item, extended] of [["BODYSTRUCTURE", true], ["BODY", false]] as const) {
        const oursValue = readValue(bodyStructure(msg, msg.root, extended));
        failures.push(
          ...compareBody(
            msg,
            msg.root,
            oursValue,
            theirs.get(item),
            useAt(`${name} ${item}`),
            `${name} ${item}`,
          ),
        );
      }
    });

    const unexplained = failures;
    failures = [];
    assert.deepEqual(unexplained, [], "differences from Dovecot that no exception explains");
  });

  await t.step("BODY[section]<partial> matches for every part", () => {
    corpus.forEach(({ name, msg }, i) => {
      assert.match(results.statuses.get(`c${i + 2}`) ?? "", /^OK/, `${name} BODY sections`);
      const items = results.fetches.get(i + 1)!;
      for (const a of bodyAsks[i]!) {
        const { label } = bodyRequest(a);
        const where = `${name} ${label}`;
        const theirs = items.get(label);
        if (theirs?.kind !== "string" && theirs?.kind !== "nil") {
          failures.push(`${where}: Dovecot sent ${show(theirs)}`);
          continue;
        }
        const theirBytes = theirs.kind === "nil" ? new Uint8Array() : theirs.bytes;
        const ours = sectionBytes(msg, a.section, a.partial);
        if (equal(ours, theirBytes)) continue;
        const use = useAt(where);
        // Equal, or equal once bare LFs are CRLF as Dovecot serves them.
        const same = (section: Section, bytes: Uint8Array) => {
          if (equal(sectionBytes(msg, section, a.partial), bytes)) return true;
          if (bareLfs(msg.file) === 0) return false;
          if (!equal(clip(toCrlf(sectionBytes(msg, section)), a.partial), bytes)) return false;
          use("bare-lf");
          return true;
        };
        const parent = findPart(msg.root, a.section.part.slice(0, -1));
        const fields = a.section.text?.startsWith("HEADER.FIELDS") === true;
        if (same(a.section, theirBytes)) continue;
        if (pathHas(msg.root, a.section.part, ...unsplittable)) {
          use("unsplittable-multipart");
        } else if (pathThrough(msg.root, a.section.part, isGlobal)) {
          use("message-global");
        } else if (
          ours.length === 0 && a.section.part.at(-1) === 1 && a.section.text === undefined &&
          parent !== undefined && parent.type !== "multipart" && !isMessage(parent) &&
          same({ part: a.section.part.slice(0, -1) }, theirBytes)
        ) {
          use("leaf-subpart");
        } else if (
          fields && equal(new Uint8Array([...ours, 13, 10]), theirBytes) &&
          findPart(msg.root, a.section.part)!.bodyStart ===
            findPart(msg.root, a.section.part)!.headerEnd
        ) {
          use("header-fields-no-blank-line");
        } else {
          failures.push(
            `${where}: ours ${JSON.stringify(latin1.decode(ours))} Dovecot ${
              JSON.stringify(latin1.decode(theirBytes))
            }`,
          );
        }
      }
    });

    const unexplained = failures;
    failures = [];
    assert.deepEqual(unexplained, [], "differences from Dovecot that no exception explains");
  });

  await t.step("BINARY and BINARY.SIZE match for every part", () => {
    for (const b of binaryAsks) {
      const { name, msg } = corpus[b.index]!;
      const where = `${name} ${b.label}`;
      const status = results.statuses.get(b.tag);
      assert.ok(status !== undefined, `${where}: no tagged answer`);
      let ours: Uint8Array | number | string;
      try {
        ours = b.size ? binarySize(msg, b.path) : binaryBytes(msg, b.path, b.partial);
      } catch (e) {
        if (!(e instanceof SectionError)) throw e;
        ours = e.code;
      }
      const value = results.fetches.get(b.index + 1)?.get(b.label);
      const theirs: Uint8Array | number | string = !status.startsWith("OK")
        ? status.replace(/^(NO \[[A-Z-]+\]).*$/, "$1")
        : value?.kind === "atom"
        ? Number(value.text)
        : value?.kind === "string"
        ? value.bytes
        : "(nothing)";
      if (ours === "UnknownCte" && theirs === "NO [UNKNOWN-CTE]") continue;
      if (ours instanceof Uint8Array && theirs instanceof Uint8Array && equal(ours, theirs)) {
        continue;
      }
      if (ours === theirs) continue;
      const part = findPart(msg.root, b.path)!;
      const full = b.size ? undefined : binaryBytes(msg, b.path);
      // What Dovecot said to BINARY[same part]: "OK", "NO [CODE]", or "not sent".
      const binaryAnswer = (() => {
        const own = binaryAsks.find((o) =>
          o.index === b.index && !o.size && o.partial === undefined &&
          o.path.join() === b.path.join()
        );
        const st = own === undefined ? undefined : results.statuses.get(own.tag);
        return st === undefined ? "not sent" : st.replace(/^(OK|NO \[[A-Z-]+\]).*$/, "$1");
      })();
      const bareLfOk = (full !== undefined && theirs instanceof Uint8Array &&
        equal(clip(toCrlf(full), b.partial), theirs)) ||
        (typeof ours === "number" && typeof theirs === "number" &&
          theirs - ours === bareLfs(binaryBytes(msg, b.path)));
      const encodedInside = (p: Part): boolean =>
        !["7bit", "8bit", "binary"].includes(p.encoding) || p.parts.some(encodedInside);
      const noAnswer = typeof theirs === "string" && theirs.startsWith("NO ");
      if (pathHas(msg.root, b.path, ...unsplittable)) {
        useAt(where)("unsplittable-multipart");
      } else if (pathThrough(msg.root, b.path.slice(0, -1), isGlobal)) {
        useAt(where)("message-global");
      } else if (bareLfOk) {
        useAt(where)("bare-lf");
      } else if (
        (b.path.length === 0 || part.type === "multipart" || isMessage(part)) &&
        encodedInside(part)
      ) {
        useAt(where)("binary-container");
      } else if (
        b.size && noAnswer && binaryAnswer !== theirs && binaryAnswer !== "not sent"
      ) {
        useAt(where)("binary-size-sibling"); // BINARY[n] answered otherwise: not this part's fault
      } else if (
        theirs === "NO [PARSE]" && ["base64", "quoted-printable"].includes(part.encoding)
      ) {
        useAt(where)("binary-lenient-decoding");
      } else if (theirs === "NO [UNKNOWN-CTE]" && hasProblem(part, problems.invalidEncoding)) {
        useAt(where)("binary-invalid-cte");
      } else {
        const fmt = (v: Uint8Array | number | string) =>
          v instanceof Uint8Array ? JSON.stringify(latin1.decode(v)) : String(v);
        failures.push(`${where}: ours ${fmt(ours)} Dovecot ${fmt(theirs)}`);
      }
    }

    const unexplained = failures;
    failures = [];
    assert.deepEqual(unexplained, [], "differences from Dovecot that no exception explains");
  });

  await t.step("every exception still explains a difference", () => {
    const stale = Object.keys(exceptions).filter((e) => !used.has(e as ExceptionName));
    assert.deepEqual(stale, [], "exceptions that no longer match any difference");
  });
});

/** True when a part on `path` (or the message) has one of `names` as a problem. */
function pathHas(root: Part, path: number[], ...names: string[]): boolean {
  return pathThrough(root, path, (p) => hasProblem(p, ...names));
}

/** True when the message or a part on `path` (the last one included) satisfies `test`. */
function pathThrough(root: Part, path: number[], test: (p: Part) => boolean): boolean {
  for (let n = 0; n <= path.length; n++) {
    const p = findPart(root, path.slice(0, n));
    if (p === undefined) return false;
    if (test(p)) return true;
  }
  return false;
}

/** Our rendered body read back as one IMAP value (which also checks its syntax). */
function readValue(bytes: Uint8Array): ImapValue {
  const wrapped = new Uint8Array([
    ...new TextEncoder().encode("* 1 FETCH (X "),
    ...bytes,
    ...new TextEncoder().encode(")\r\nt OK\r\n"),
  ]);
  const value = parseResponses(wrapped).fetches.get(1)?.get("X");
  assert.ok(value !== undefined, `unreadable IMAP: ${latin1.decode(bytes)}`);
  return value;
}
