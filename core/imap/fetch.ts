/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5), with RFC 3516 BINARY, RFC 7162 CHANGEDSINCE
 * and MODSEQ, RFC 8514 SAVEDATE.
 *
 * Implementation notes:
 * - Metadata comes from the store a page at a time; bytes are read per message and only
 *   as far as needed: nothing for flags and sizes, the header for ENVELOPE and header
 *   sections, a byte range for a body part, the whole file for BODYSTRUCTURE (nested
 *   messages' headers are inside the body).
 * - Non-PEEK body items set \Seen first (RFC 9051 §6.4.5), and FLAGS is then sent.
 * - Each response is written as it is made, awaiting flow control, so a FETCH of a
 *   large mailbox streams instead of building up in memory.
 */

import type { Command, FetchItem, Partial, Section } from "./command.ts";
import type { MessageMeta, Part } from "./backend.ts";
import type { ImapSession } from "./session.ts";
import { bad, no } from "./errors.ts";
import { resolveSet } from "./commands_message.ts";
import { dateTime, flagList, literalHeader } from "./response.ts";
import { bodyStructure, envelope, type StoredMessage } from "./render.ts";
import {
  binarySize,
  clip,
  clipRange,
  decodeBody,
  filterHeaderFields,
  locateBinary,
  locateSection,
  type Section as PlanSection,
  SectionError,
} from "./section.ts";

type FetchCommand = Extract<Command, { name: "FETCH" }>;

const pageSize = 500;
const encoder = new TextEncoder();

/** The section spec as the response names it, e.g. `1.2.HEADER.FIELDS (FROM TO)`. */
function sectionName(section: Section): string {
  const parts = section.part.map(String);
  const t = section.text;
  if (t) {
    if (t.kind === "HEADER.FIELDS") {
      parts.push(`HEADER.FIELDS${t.not ? ".NOT" : ""} (${t.fields.join(" ")})`);
    } else parts.push(t.kind);
  }
  return parts.join(".");
}

function planSection(section: Section): PlanSection {
  const t = section.text;
  if (!t) return { part: section.part };
  if (t.kind === "HEADER.FIELDS") {
    return {
      part: section.part,
      text: t.not ? "HEADER.FIELDS.NOT" : "HEADER.FIELDS",
      fields: t.fields,
    };
  }
  return { part: section.part, text: t.kind };
}

const toPartial = (p: Partial | undefined) =>
  p === undefined ? undefined : { start: p.offset, count: p.length };

/** Reads what one message's items need, lazily, at most once each. */
class MessageReader {
  #structure: Promise<{ structure: Part; prefixSize: number }> | undefined;
  #file: Promise<Uint8Array> | undefined;

  constructor(readonly s: ImapSession, readonly mailbox: string, readonly uid: number) {}

  structure() {
    return this.#structure ??= this.s.backend.structure(this.mailbox, this.uid);
  }

  file(): Promise<Uint8Array> {
    return this.#file ??= this.s.backend.read(this.mailbox, this.uid);
  }

  async range(start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    if (this.#file) return (await this.#file).subarray(start, end);
    return await this.s.backend.read(this.mailbox, this.uid, { start, end });
  }

  /** The message for rendering: `whole` reads the file, else just the top-level header. */
  async stored(whole: boolean): Promise<StoredMessage> {
    const { structure, prefixSize } = await this.structure();
    const file = whole || this.#file
      ? await this.file()
      : await this.range(0, prefixSize + structure.bodyStart);
    return { file, prefixSize, root: structure };
  }
}

type Chunk = string | Uint8Array;

function literal(bytes: Uint8Array, binary = false): Chunk[] {
  // RFC 3516 §4.2: literal8 only when the content has NUL.
  return [literalHeader(bytes.length, binary && bytes.includes(0)), bytes];
}

async function item(
  s: ImapSession,
  it: FetchItem,
  meta: MessageMeta,
  r: MessageReader,
): Promise<Chunk[]> {
  switch (it.item) {
    case "UID":
      return [`UID ${meta.uid}`];
    case "FLAGS":
      return [`FLAGS ${flagList(meta.flags)}`];
    case "INTERNALDATE":
      return [`INTERNALDATE ${dateTime(meta.internalDate)}`];
    case "RFC822.SIZE":
      return [`RFC822.SIZE ${meta.size}`];
    case "MODSEQ":
      return [`MODSEQ (${meta.modseq})`];
    case "SAVEDATE":
      return [`SAVEDATE ${dateTime(meta.saveDate)}`];
    case "ENVELOPE":
      return ["ENVELOPE ", envelope(await r.stored(false), undefined, { utf8: s.utf8 })];
    case "BODY":
    case "BODYSTRUCTURE": {
      const msg = await r.stored(true);
      const extended = it.item === "BODYSTRUCTURE";
      return [`${it.item} `, bodyStructure(msg, undefined, extended, { utf8: s.utf8 })];
    }
    case "RFC822":
      return ["RFC822 ", ...literal(await r.file())];
    case "RFC822.HEADER":
    case "RFC822.TEXT": {
      const text = it.item === "RFC822.HEADER" ? "HEADER" : "TEXT";
      const bytes = await sectionBytes(r, { part: [], text: { kind: text } }, undefined);
      return [`${it.item} `, ...literal(bytes)];
    }
    case "BODY[]": {
      const bytes = await sectionBytes(r, it.section, it.partial);
      const origin = it.partial ? `<${it.partial.offset}>` : "";
      return [`BODY[${sectionName(it.section)}]${origin} `, ...literal(bytes)];
    }
    case "BINARY[]": {
      const bytes = await binaryBytes(r, it.part, it.partial);
      const origin = it.partial ? `<${it.partial.offset}>` : "";
      return [`BINARY[${it.part.join(".")}]${origin} `, ...literal(bytes, true)];
    }
    case "BINARY.SIZE[]": {
      const msg = await r.stored(true);
      return [`BINARY.SIZE[${it.part.join(".")}] ${wrap(() => binarySize(msg, it.part))}`];
    }
  }
}

/** Runs a section.ts call, mapping its errors to responses. */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SectionError) {
      if (err.code === "UnknownCte") throw no("UNKNOWN-CTE", "Unknown Content-Transfer-Encoding");
      throw bad("Invalid section");
    }
    throw err;
  }
}

async function sectionBytes(
  r: MessageReader,
  section: Section,
  partial: Partial | undefined,
): Promise<Uint8Array> {
  const { structure, prefixSize } = await r.structure();
  const plan = wrap(() => locateSection(structure, prefixSize, planSection(section)));
  if (plan.kind === "range") {
    const { start, end } = clipRange(plan.start, plan.end, toPartial(partial));
    return await r.range(start, end);
  }
  if (plan.kind !== "fields") throw new Error("Cannot read section: unexpected plan");
  const header = await r.range(plan.start, plan.end);
  return clip(filterHeaderFields(header, plan.fields, plan.not), toPartial(partial));
}

async function binaryBytes(
  r: MessageReader,
  part: number[],
  partial: Partial | undefined,
): Promise<Uint8Array> {
  const { structure, prefixSize } = await r.structure();
  const plan = wrap(() => locateBinary(structure, prefixSize, part));
  if (plan.kind === "range") {
    const { start, end } = clipRange(plan.start, plan.end, toPartial(partial));
    return await r.range(start, end);
  }
  if (plan.kind !== "decode") throw new Error("Cannot read binary: unexpected plan");
  const body = await r.range(plan.start, plan.end);
  return clip(decodeBody(body, plan.encoding), toPartial(partial));
}

const setsSeen = (it: FetchItem) =>
  (it.item === "BODY[]" || it.item === "BINARY[]") ? !it.peek : it.item === "RFC822" ||
    it.item === "RFC822.TEXT";

export async function fetch(s: ImapSession, cmd: FetchCommand): Promise<string> {
  const sel = s.selected!;
  const uids = resolveSet(s, cmd.set, cmd.uid);
  const items = [...cmd.items];
  const has = (name: string) => items.some((i) => i.item === name);
  // RFC 9051 §6.4.9: UID FETCH always returns UID.
  if (cmd.uid && !has("UID")) items.unshift({ item: "UID" });
  if (cmd.changedSince !== undefined) {
    s.enabled.add("CONDSTORE"); // RFC 7162 §3.1: CHANGEDSINCE enables CONDSTORE
    if (!has("MODSEQ")) items.push({ item: "MODSEQ" });
  }
  const seen = !sel.readOnly && items.some(setsSeen);
  if (seen && !has("FLAGS")) items.push({ item: "FLAGS" });
  for (let i = 0; i < uids.length; i += pageSize) {
    const chunk = uids.slice(i, i + pageSize);
    const want = new Set(chunk);
    let metas = (await s.backend.messages(sel.name, chunk[0]!, chunk.at(-1)!, 100_000))
      .filter((m) => want.has(m.uid));
    if (cmd.changedSince !== undefined) {
      const since = Number(cmd.changedSince);
      metas = metas.filter((m) => m.modseq > since);
    }
    if (seen) {
      const unseen = metas.filter((m) => !m.flags.includes("\\Seen")).map((m) => m.uid);
      if (unseen.length > 0) {
        const result = await s.backend.setFlags(sel.name, unseen, {
          op: "add",
          flags: ["\\Seen"],
        });
        const changed = new Map(result.changed.map((c) => [c.uid, c]));
        metas = metas.map((m) => {
          const c = changed.get(m.uid);
          if (!c) return m;
          sel.dropFlagChange(m.uid); // reported here, with the FETCH
          return { ...m, flags: c.flags, modseq: c.modseq };
        });
      }
    }
    for (const meta of metas) {
      const seq = sel.seqOf(meta.uid);
      if (seq === undefined) continue;
      const reader = new MessageReader(s, sel.name, meta.uid);
      const out: Chunk[] = [`* ${seq} FETCH (`];
      for (let k = 0; k < items.length; k++) {
        if (k > 0) out.push(" ");
        out.push(...await item(s, items[k]!, meta, reader));
      }
      out.push(")\r\n");
      for (const c of out) await s.write(typeof c === "string" ? encoder.encode(c) : c);
    }
  }
  return `${cmd.uid ? "UID " : ""}FETCH completed`;
}
