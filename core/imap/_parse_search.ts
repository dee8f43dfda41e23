/**
 * SEARCH (RFC 9051 §6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES), its search keys
 * (with RFC 3501, RFC 7162 §3.1.5 and RFC 8514 §4.2 additions), and SORT and THREAD
 * (RFC 5256 §3), which share them.
 */

import type {
  SearchCommand,
  SearchDateKey,
  SearchFlagKey,
  SearchKey,
  SearchReturn,
  SearchStringKey,
  SortCommand,
  SortKey,
  ThreadCommand,
} from "./command.ts";
import { type Cursor, isAtomChar } from "./_parse_cursor.ts";
import {
  expectCharset,
  expectKeywordFlag,
  expectSearchDate,
  expectSequenceSet,
  systemFlag,
} from "./_parse_values.ts";
import { isKeyword } from "./keyword.ts";

const flagKeys = new Set<string>(
  [
    "ALL",
    "ANSWERED",
    "DELETED",
    "DRAFT",
    "FLAGGED",
    "SEEN",
    "UNANSWERED",
    "UNDELETED",
    "UNDRAFT",
    "UNFLAGGED",
    "UNSEEN",
    "NEW",
    "OLD",
    "RECENT",
    "SAVEDATESUPPORTED",
  ] satisfies SearchFlagKey[],
);

const stringKeys = new Set<string>(
  ["BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"] satisfies SearchStringKey[],
);

const dateKeys = new Set<string>(
  [
    "BEFORE",
    "ON",
    "SINCE",
    "SENTBEFORE",
    "SENTON",
    "SENTSINCE",
    "SAVEDBEFORE",
    "SAVEDON",
    "SAVEDSINCE",
  ] satisfies SearchDateKey[],
);

const otherKeys = new Set<string>(
  [
    "HEADER",
    "KEYWORD",
    "UNKEYWORD",
    "LARGER",
    "SMALLER",
    "UID",
    "MODSEQ",
    "NOT",
    "OR",
  ] satisfies SearchKey["key"][],
);

/** RFC 9051 §9 search-key (and the additions listed in the module notes). */
export function expectSearchKey(c: Cursor): SearchKey {
  const ch = c.peek();
  if (ch === "(") return { key: "AND", operands: c.expectList(() => expectSearchKey(c), false) };
  if (ch === "*" || ch === "$" || (ch >= "0" && ch <= "9")) {
    return { key: "SEQ", set: expectSequenceSet(c, true) };
  }
  const start = c.pos;
  const key = c.expectKeyword("a search key");
  if (flagKeys.has(key)) return { key: key as SearchFlagKey };
  if (!stringKeys.has(key) && !dateKeys.has(key) && !otherKeys.has(key)) {
    throw c.fail("unknown search key", "Syntax", start);
  }
  if (key !== "NOT" && key !== "OR") c.expectSP();
  if (stringKeys.has(key)) return { key: key as SearchStringKey, value: c.expectAstring() };
  if (dateKeys.has(key)) return { key: key as SearchDateKey, date: expectSearchDate(c) };
  switch (key) {
    case "HEADER": {
      const field = c.expectAstring("a header field name");
      c.expectSP();
      return { key, field, value: c.expectAstring() };
    }
    case "KEYWORD":
    case "UNKEYWORD":
      return { key, flag: expectKeywordFlag(c) };
    case "LARGER":
    case "SMALLER":
      return { key, size: c.expectNumber64("a size") };
    case "UID":
      return { key, set: expectSequenceSet(c, true) };
    case "MODSEQ":
      return expectModSeqKey(c);
    case "NOT": {
      c.enter();
      c.expectSP();
      const operand = expectSearchKey(c);
      c.leave();
      return { key, operand };
    }
    case "OR": {
      c.enter();
      c.expectSP();
      const left = expectSearchKey(c);
      c.expectSP();
      const right = expectSearchKey(c);
      c.leave();
      return { key, left, right };
    }
  }
  throw c.fail("unknown search key", "Syntax", start);
}

/**
 * RFC 7162 §7 search-modsequence: "MODSEQ" [SP entry-name SP entry-type-req] SP
 * mod-sequence-valzer, with entry-name = DQUOTE "/flags/" attr-flag DQUOTE.
 */
function expectModSeqKey(c: Cursor): SearchKey {
  let entry: Extract<SearchKey, { key: "MODSEQ" }>["entry"];
  if (c.peek() === '"') {
    const start = c.pos;
    const name = c.tryQuoted()!;
    if (name.slice(0, 7).toLowerCase() !== "/flags/") {
      throw c.fail("expected a /flags/ entry name", "Syntax", start);
    }
    const flag = entryFlag(name.slice(7));
    if (flag === undefined) throw c.fail("bad flag in entry name", "Syntax", start);
    c.expectSP();
    const typeAt = c.pos;
    const type = c.expectKeyword("an entry type").toLowerCase();
    if (type !== "priv" && type !== "shared" && type !== "all") {
      throw c.fail("expected priv, shared or all", "Syntax", typeAt);
    }
    entry = { flag, type };
    c.expectSP();
  }
  return { key: "MODSEQ", modSeq: c.expectModSeq(true), entry };
}

/** RFC 7162 §7 attr-flag (after unquoting): a system flag or a keyword atom. */
function entryFlag(text: string): string | undefined {
  if (text.startsWith("\\")) return systemFlag(text);
  for (let i = 0; i < text.length; i++) if (!isAtomChar(text.charCodeAt(i))) return undefined;
  return isKeyword(text) ? text : undefined;
}

/** search-key *(SP search-key), to the end of the command. */
function expectSearchKeys(c: Cursor): SearchKey[] {
  const keys = [expectSearchKey(c)];
  while (c.trySP()) keys.push(expectSearchKey(c));
  c.expectEnd();
  return keys;
}

const searchReturns = new Set<string>(
  ["MIN", "MAX", "ALL", "COUNT", "SAVE"] satisfies SearchReturn[],
);

/**
 * RFC 9051 §9 search: "SEARCH" [SP "RETURN" SP "(" …  ")"] SP ["CHARSET" SP charset SP]
 * search-key *(SP search-key). Starts after "SEARCH SP".
 */
export function parseSearch(c: Cursor, tag: string, uid: boolean): SearchCommand {
  let returns: SearchReturn[] | undefined;
  if (c.tryWord("RETURN")) {
    c.expectSP();
    const seen: SearchReturn[] = [];
    c.expectList(() => {
      const start = c.pos;
      const option = c.expectKeyword("a return option") as SearchReturn;
      // RFC 4731 §3.1, RFC 5182 §2: the options we offer. Others, and repeats, are
      // refused rather than dropped.
      if (!searchReturns.has(option) || seen.includes(option)) {
        throw c.fail("unknown or repeated return option", "Syntax", start);
      }
      seen.push(option);
    }, true);
    returns = seen;
    c.expectSP();
  }
  let charset: string | undefined;
  if (c.tryWord("CHARSET")) {
    c.expectSP();
    charset = expectCharset(c);
    c.expectSP();
  }
  return { name: "SEARCH", tag, uid, returns, charset, criteria: expectSearchKeys(c) };
}

const sortKeys = new Set<string>(
  ["ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO"] satisfies SortKey[],
);

/**
 * RFC 5256 §5 sort: "SORT" SP sort-criteria SP search-criteria, where search-criteria
 * = charset 1*(SP search-key). Starts after "SORT SP".
 */
export function parseSort(c: Cursor, tag: string, uid: boolean): SortCommand {
  const criteria = c.expectList(() => {
    const reverse = c.tryWord("REVERSE") && (c.expectSP(), true);
    const start = c.pos;
    const key = c.expectKeyword("a sort key");
    if (!sortKeys.has(key)) throw c.fail("unknown sort key", "Syntax", start);
    return { key: key as SortKey, reverse };
  }, false);
  c.expectSP();
  const charset = expectCharset(c);
  c.expectSP();
  return { name: "SORT", tag, uid, criteria, charset, search: expectSearchKeys(c) };
}

/**
 * RFC 5256 §5 thread: "THREAD" SP thread-alg SP search-criteria. Starts after
 * "THREAD SP". Other algorithms (thread-alg-ext) are refused: we offer none.
 */
export function parseThread(c: Cursor, tag: string, uid: boolean): ThreadCommand {
  const start = c.pos;
  const algorithm = c.expectKeyword("a thread algorithm");
  if (algorithm !== "ORDEREDSUBJECT" && algorithm !== "REFERENCES") {
    throw c.fail("unknown thread algorithm", "Syntax", start);
  }
  c.expectSP();
  const charset = expectCharset(c);
  c.expectSP();
  return { name: "THREAD", tag, uid, algorithm, charset, search: expectSearchKeys(c) };
}
