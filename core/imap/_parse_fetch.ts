/**
 * The message commands of the selected state: FETCH (RFC 9051 §6.4.5, RFC 3516 BINARY,
 * RFC 7162 CHANGEDSINCE/VANISHED, RFC 8514 SAVEDATE), STORE (RFC 9051 §6.4.6, RFC 7162
 * UNCHANGEDSINCE), COPY, MOVE (RFC 6851) and UID EXPUNGE (RFC 4315).
 */

import type {
  CopyCommand,
  ExpungeCommand,
  FetchCommand,
  FetchItem,
  Partial,
  Section,
  SectionText,
  SimpleFetchItem,
  StoreCommand,
} from "./command.ts";
import type { Cursor } from "./_parse_cursor.ts";
import { expectFlag, expectFlagList, expectMailbox, expectSequenceSet } from "./_parse_values.ts";

const simpleItems = new Set<string>(
  [
    "ENVELOPE",
    "FLAGS",
    "INTERNALDATE",
    "RFC822.SIZE",
    "BODY",
    "BODYSTRUCTURE",
    "UID",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "MODSEQ",
    "SAVEDATE",
  ] satisfies SimpleFetchItem[],
);

// RFC 9051 §6.4.5: the macros, equivalent to these items.
const fast: FetchItem[] = [{ item: "FLAGS" }, { item: "INTERNALDATE" }, { item: "RFC822.SIZE" }];
const macros: Record<string, FetchItem[]> = {
  FAST: fast,
  ALL: [...fast, { item: "ENVELOPE" }],
  FULL: [...fast, { item: "ENVELOPE" }, { item: "BODY" }],
};

const isItemChar = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e;

/** RFC 9051 §9 fetch-att (with the RFC 3501 and extension items above). */
function expectFetchItem(c: Cursor): FetchItem {
  const start = c.pos;
  const name = c.takeUpper(isItemChar);
  const bracket = c.peek() === "[";
  if (!bracket && simpleItems.has(name)) return { item: name as SimpleFetchItem };
  switch (bracket ? name : "") {
    case "BODY":
    case "BODY.PEEK": {
      const section = expectSection(c);
      return { item: "BODY[]", section, partial: tryPartial(c), peek: name === "BODY.PEEK" };
    }
    case "BINARY":
    case "BINARY.PEEK": {
      const part = expectSectionBinary(c);
      return { item: "BINARY[]", part, partial: tryPartial(c), peek: name === "BINARY.PEEK" };
    }
    case "BINARY.SIZE":
      return { item: "BINARY.SIZE[]", part: expectSectionBinary(c) };
  }
  throw c.fail("unknown fetch item", "Syntax", start);
}

/** RFC 9051 §9 section-part: nz-number *("." nz-number); stops before ".TEXT" etc. */
function expectPart(c: Cursor): number[] {
  const part = [c.expectNzNumber("a part number")];
  while (c.peek() === "." && /\d/.test(c.text[c.pos + 1] ?? "")) {
    c.pos++;
    part.push(c.expectNzNumber("a part number"));
  }
  return part;
}

/** RFC 9051 §9 section: "[" [section-spec] "]". */
function expectSection(c: Cursor): Section {
  c.expectChar("[");
  let part: number[] = [];
  let text: SectionText | undefined;
  if (/\d/.test(c.peek())) {
    part = expectPart(c);
    if (c.tryChar(".")) text = expectSectionText(c, true);
  } else if (c.peek() !== "]") text = expectSectionText(c, false);
  c.expectChar("]");
  return { part, text };
}

/** RFC 9051 §9 section-text, or section-msgtext when not `afterPart` (no MIME). */
function expectSectionText(c: Cursor, afterPart: boolean): SectionText {
  const start = c.pos;
  const name = c.takeUpper(isItemChar);
  switch (name) {
    case "HEADER":
    case "TEXT":
      return { kind: name };
    case "MIME":
      if (afterPart) return { kind: name };
      break;
    case "HEADER.FIELDS":
    case "HEADER.FIELDS.NOT": {
      c.expectSP();
      const fields = c.expectList(() => c.expectAstring("a header field name"), false);
      return { kind: "HEADER.FIELDS", not: name === "HEADER.FIELDS.NOT", fields };
    }
  }
  throw c.fail("unknown section", "Syntax", start);
}

/** RFC 9051 §9 section-binary: "[" [section-part] "]". */
function expectSectionBinary(c: Cursor): number[] {
  c.expectChar("[");
  const part = c.peek() === "]" ? [] : expectPart(c);
  c.expectChar("]");
  return part;
}

/** RFC 9051 §9 partial: "<" number64 "." nz-number64 ">". */
function tryPartial(c: Cursor): Partial | undefined {
  if (!c.tryChar("<")) return undefined;
  const offset = c.expectNumber64("an offset");
  c.expectChar(".");
  if (c.peek() === "0") throw c.fail("expected a non-zero length");
  const length = c.expectNumber64("a length");
  c.expectChar(">");
  return { offset, length };
}

/**
 * RFC 9051 §9 fetch with RFC 4466 §2.4 fetch-modifiers. Starts after "FETCH SP".
 */
export function parseFetch(c: Cursor, tag: string, uid: boolean): FetchCommand {
  const set = expectSequenceSet(c, true);
  c.expectSP();
  let items: FetchItem[];
  const macro = ["ALL", "FAST", "FULL"].find((m) => c.tryWord(m));
  if (macro !== undefined) items = macros[macro]!.map((item) => ({ ...item }));
  else if (c.peek() === "(") items = c.expectList(() => expectFetchItem(c), false);
  else items = [expectFetchItem(c)];
  let changedSince: bigint | undefined;
  let vanished = false;
  if (c.trySP()) {
    c.expectList(() => {
      const start = c.pos;
      const name = c.expectKeyword("a fetch modifier");
      if (name === "CHANGEDSINCE" && changedSince === undefined) {
        c.expectSP();
        // RFC 7162 §3.1.4.1: mod-sequence-value, so not 0.
        changedSince = c.expectModSeq(false);
      } else if (name === "VANISHED" && !vanished) vanished = true;
      else throw c.fail("unknown or repeated fetch modifier", "Syntax", start);
    }, false);
  }
  c.expectEnd();
  // RFC 7162 §3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
  if (vanished && (!uid || changedSince === undefined)) {
    throw c.fail("VANISHED needs UID FETCH and CHANGEDSINCE");
  }
  return { name: "FETCH", tag, uid, set, items, changedSince, vanished };
}

/**
 * RFC 9051 §9 store with RFC 4466 §2.5 store-modifiers: "STORE" SP sequence-set
 * [SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"] SP store-att-flags. Starts after
 * "STORE SP".
 */
export function parseStore(c: Cursor, tag: string, uid: boolean): StoreCommand {
  const set = expectSequenceSet(c, true);
  c.expectSP();
  let unchangedSince: bigint | undefined;
  if (c.peek() === "(") {
    c.expectList(() => {
      const start = c.pos;
      // RFC 7162 §7: only a single UNCHANGEDSINCE.
      if (!c.tryWord("UNCHANGEDSINCE") || unchangedSince !== undefined) {
        throw c.fail("unknown or repeated store modifier", "Syntax", start);
      }
      c.expectSP();
      unchangedSince = c.expectModSeq(true);
    }, false);
    c.expectSP();
  }
  const action = c.tryChar("+") ? "add" : c.tryChar("-") ? "remove" : "replace";
  const start = c.pos;
  const item = c.takeUpper(isItemChar);
  if (item !== "FLAGS" && item !== "FLAGS.SILENT") {
    throw c.fail("expected FLAGS or FLAGS.SILENT", "Syntax", start);
  }
  c.expectSP();
  let flags: string[];
  if (c.peek() === "(") flags = expectFlagList(c);
  else {
    flags = [expectFlag(c)];
    while (c.trySP()) flags.push(expectFlag(c));
  }
  c.expectEnd();
  return {
    name: "STORE",
    tag,
    uid,
    set,
    unchangedSince,
    action,
    silent: item === "FLAGS.SILENT",
    flags,
  };
}

/** RFC 9051 §9 copy and move: sequence-set SP mailbox. Starts after the verb and SP. */
export function parseCopy(
  c: Cursor,
  tag: string,
  uid: boolean,
  name: "COPY" | "MOVE",
): CopyCommand {
  const set = expectSequenceSet(c, true);
  c.expectSP();
  const mailbox = expectMailbox(c);
  c.expectEnd();
  return { name, tag, uid, set, mailbox };
}

/** RFC 4315 §2.1 UID EXPUNGE sequence-set. Starts after "EXPUNGE SP". */
export function parseUidExpunge(c: Cursor, tag: string): ExpungeCommand {
  const set = expectSequenceSet(c, true);
  c.expectEnd();
  return { name: "EXPUNGE", tag, uid: true, set };
}
