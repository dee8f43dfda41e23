/**
 * The mailbox commands of the authenticated state: SELECT/EXAMINE (RFC 7162
 * CONDSTORE/QRESYNC), CREATE (RFC 6154 USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
 * LIST (RFC 5258, RFC 5819, RFC 6154), LSUB (RFC 3501), STATUS and APPEND (RFC 3502
 * MULTIAPPEND, RFC 3516 literal8, RFC 6855 UTF8).
 */

import type {
  AppendCommand,
  AppendMessage,
  CreateCommand,
  ListCommand,
  ListReturnOption,
  ListSelectOption,
  LsubCommand,
  QresyncParams,
  SelectCommand,
  StatusCommand,
  StatusItem,
} from "./command.ts";
import type { Cursor } from "./_parse_cursor.ts";
import { expectDateTime, expectFlagList, expectKnownSet, expectMailbox } from "./_parse_values.ts";

/**
 * RFC 9051 §9 select / examine with RFC 4466 §2.1 select-params: CONDSTORE and
 * QRESYNC (RFC 7162 §7), each at most once. Starts after the verb and SP.
 */
export function parseSelect(c: Cursor, tag: string, name: "SELECT" | "EXAMINE"): SelectCommand {
  const mailbox = expectMailbox(c);
  let condstore = false;
  let qresync: QresyncParams | undefined;
  if (c.trySP()) {
    c.expectList(() => {
      const start = c.pos;
      const param = c.expectKeyword("a select parameter");
      if (param === "CONDSTORE" && !condstore) condstore = true;
      else if (param === "QRESYNC" && qresync === undefined) qresync = expectQresync(c);
      else throw c.fail("unknown or repeated select parameter", "Syntax", start);
    }, false);
  }
  c.expectEnd();
  return { name, tag, mailbox, condstore, qresync };
}

/**
 * RFC 7162 §7: SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
 * [SP seq-match-data] ")", seq-match-data = "(" known-sequence-set SP known-uid-set ")".
 */
function expectQresync(c: Cursor): QresyncParams {
  c.expectSP();
  c.expectChar("(");
  const uidValidity = c.expectNzNumber("a UIDVALIDITY");
  c.expectSP();
  const modSeq = c.expectModSeq(false);
  let knownUids: QresyncParams["knownUids"];
  let seqMatch: QresyncParams["seqMatch"];
  if (c.trySP() && c.peek() !== "(") knownUids = expectKnownSet(c);
  if ((c.peek() === "(" || c.trySP()) && c.tryChar("(")) {
    const seqs = expectKnownSet(c);
    c.expectSP();
    const uids = expectKnownSet(c);
    c.expectChar(")");
    seqMatch = { seqs, uids };
  }
  c.expectChar(")");
  return { uidValidity, modSeq, knownUids, seqMatch };
}

// RFC 6154 §2: the special-use attributes, by upper-cased name.
const specialUses = new Map(
  ["\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"].map((
    a,
  ) => [a.toUpperCase(), a]),
);

/**
 * RFC 9051 §9 create with RFC 4466 §2.2 create-params; the only one is RFC 6154 §6
 * "USE" SP "(" [use-attr *(SP use-attr)] ")". Starts after "CREATE SP".
 */
export function parseCreate(c: Cursor, tag: string): CreateCommand {
  const mailbox = expectMailbox(c);
  let specialUse: string[] | undefined;
  if (c.trySP()) {
    c.expectList(() => {
      const start = c.pos;
      if (!c.tryWord("USE") || specialUse !== undefined) {
        throw c.fail("unknown or repeated create parameter", "Syntax", start);
      }
      c.expectSP();
      specialUse = c.expectList(() => {
        c.expectChar("\\");
        const attr = `\\${c.expectAtom("a special-use attribute")}`;
        // RFC 6154 §3: one we do not know gets NO [USEATTR] from the session.
        return specialUses.get(attr.toUpperCase()) ?? attr;
      }, true);
    }, false);
  }
  c.expectEnd();
  return { name: "CREATE", tag, mailbox, specialUse };
}

const statusItems = new Set<string>(
  [
    "MESSAGES",
    "UIDNEXT",
    "UIDVALIDITY",
    "UNSEEN",
    "DELETED",
    "SIZE",
    "RECENT",
    "HIGHESTMODSEQ",
    "APPENDLIMIT",
  ] satisfies StatusItem[],
);

/** "(" status-att *(SP status-att) ")", each known and at most once. */
function expectStatusItems(c: Cursor): StatusItem[] {
  const items: StatusItem[] = [];
  c.expectList(() => {
    const start = c.pos;
    const item = c.expectKeyword("a status item") as StatusItem;
    if (!statusItems.has(item) || items.includes(item)) {
      throw c.fail("unknown or repeated status item", "Syntax", start);
    }
    items.push(item);
  }, false);
  return items;
}

/** RFC 9051 §9 status: mailbox SP "(" status-att *(SP status-att) ")". */
export function parseStatus(c: Cursor, tag: string): StatusCommand {
  const mailbox = expectMailbox(c);
  c.expectSP();
  const items = expectStatusItems(c);
  c.expectEnd();
  return { name: "STATUS", tag, mailbox, items };
}

const selectOptions = new Set<string>(
  ["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"] satisfies ListSelectOption[],
);

/**
 * RFC 9051 §9 list (RFC 5258 §6): [SP list-select-opts] SP mailbox SP mbox-or-pat
 * [SP list-return-opts]. Starts after "LIST SP".
 */
export function parseList(c: Cursor, tag: string): ListCommand {
  const select: ListSelectOption[] = [];
  let extended = false;
  if (c.peek() === "(") {
    extended = true;
    c.expectList(() => {
      const start = c.pos;
      const option = c.expectKeyword("a selection option") as ListSelectOption;
      // RFC 5258 §3: options we do not know get BAD; a repeated one counts once.
      if (!selectOptions.has(option)) throw c.fail("unknown selection option", "Syntax", start);
      if (!select.includes(option)) select.push(option);
    }, true);
    // RFC 5258 §3.1: RECURSIVEMATCH needs a base option; SUBSCRIBED is the only one.
    if (select.includes("RECURSIVEMATCH") && !select.includes("SUBSCRIBED")) {
      throw c.fail("RECURSIVEMATCH without SUBSCRIBED");
    }
    c.expectSP();
  }
  const reference = c.expectAstring("a reference name");
  c.expectSP();
  let patterns: string[];
  if (c.peek() === "(") {
    extended = true;
    patterns = c.expectList(() => c.expectListMailbox(), false);
  } else patterns = [c.expectListMailbox()];
  const returns: ListReturnOption[] = [];
  if (c.trySP()) {
    c.expectWord("RETURN");
    c.expectSP();
    extended = true;
    c.expectList(() => {
      const start = c.pos;
      const option = c.expectKeyword("a return option");
      // RFC 5258 §3: options we do not know get BAD; a repeated one counts once.
      const seen = returns.find((r) => r.option === option);
      switch (option) {
        case "SUBSCRIBED":
        case "CHILDREN":
        case "SPECIAL-USE":
          if (seen === undefined) returns.push({ option });
          return;
        case "STATUS": {
          // RFC 5819 §2: STATUS SP "(" status-att *(SP status-att) ")".
          c.expectSP();
          const items = expectStatusItems(c);
          if (seen?.option !== "STATUS") returns.push({ option, items });
          else seen.items.push(...items.filter((i) => !seen.items.includes(i)));
          return;
        }
      }
      throw c.fail("unknown return option", "Syntax", start);
    }, true);
  }
  c.expectEnd();
  return { name: "LIST", tag, extended, select, reference, patterns, returns };
}

/** RFC 3501 §9 lsub: mailbox SP list-mailbox. Starts after "LSUB SP". */
export function parseLsub(c: Cursor, tag: string): LsubCommand {
  const reference = c.expectAstring("a reference name");
  c.expectSP();
  const pattern = c.expectListMailbox();
  c.expectEnd();
  return { name: "LSUB", tag, reference, pattern };
}

/**
 * RFC 4466 §2.3 append: mailbox 1*append-message, append-message = [SP flag-list]
 * [SP date-time] SP append-data, and append-data = literal / literal8 (RFC 3516 §4.4) /
 * "UTF8" SP "(" literal8 ")" (RFC 6855 §4). Several messages are RFC 3502 MULTIAPPEND.
 * Starts after "APPEND SP".
 */
export function parseAppend(c: Cursor, tag: string): AppendCommand {
  const mailbox = expectMailbox(c);
  const messages: AppendMessage[] = [];
  do {
    c.expectSP();
    let flags: string[] = [];
    let date: number | undefined;
    if (c.peek() === "(") {
      flags = expectFlagList(c);
      c.expectSP();
    }
    if (c.peek() === '"') {
      date = expectDateTime(c);
      c.expectSP();
    }
    const utf8 = c.tryWord("UTF8");
    if (utf8) {
      c.expectSP();
      c.expectChar("(");
    }
    const start = c.pos;
    const literal = c.tryLiteral();
    if (literal === undefined) throw c.fail("expected a message literal");
    if (utf8 && !literal.binary) throw c.fail("UTF8 needs a literal8", "Syntax", start);
    // RFC 9051 §9 CHAR8: a plain literal cannot hold NUL; literal8 can.
    if (!literal.binary && literal.data.includes(0)) {
      throw c.fail("NUL in literal", "Syntax", start);
    }
    if (utf8) c.expectChar(")");
    messages.push({ flags, date, data: literal.data, binary: literal.binary, utf8 });
  } while (!c.atEnd());
  return { name: "APPEND", tag, mailbox, messages };
}
