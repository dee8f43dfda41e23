/**
 * The IMAP command parser: one framed command (framer.ts) in, a typed
 * {@linkcode Command} or a {@linkcode ParseError} out. Pure, no I/O. Verbs are looked
 * up in one table; commands with much grammar live in `_parse_*.ts`.
 *
 * Implementation notes:
 * - RFC 9051 §9 rule 1: keywords are case-insensitive; rule 2: SP is exactly one space.
 * - Recursion (parenthesised lists, NOT, OR) is bounded by limits.nestingDepth, so
 *   hostile input cannot overflow the stack; every production reads each character a
 *   bounded number of times, so parsing is linear in the command's length.
 * - Only ParseError leaves parseCommand(); anything else thrown is a bug.
 */

import {
  type AuthenticateCommand,
  type Command,
  type IdCommand,
  ParseError,
  type SetQuotaCommand,
  type SimpleCommandName,
} from "./command.ts";
import { Cursor } from "./_parse_cursor.ts";
import { parseCopy, parseFetch, parseStore, parseUidExpunge } from "./_parse_fetch.ts";
import {
  parseAppend,
  parseCreate,
  parseList,
  parseLsub,
  parseSelect,
  parseStatus,
} from "./_parse_mailbox.ts";
import { parseSearch, parseSort, parseThread } from "./_parse_search.ts";
import { expectMailbox } from "./_parse_values.ts";
import { type FramedCommand, isTagChar } from "./framer.ts";
import { type ImapLimits, imapLimits } from "./limits.ts";

export { ParseError } from "./command.ts";

/** How {@linkcode parseCommand} is configured. */
export interface ParseOptions {
  /** Overrides of {@linkcode imapLimits}, for tests. */
  limits?: Partial<ImapLimits>;
}

/** Parses the arguments after "verb SP" (or checks there are none) and the end. */
type Parse = (c: Cursor, tag: string) => Command;
/** The same for commands with a UID form (RFC 9051 §6.4.9). */
type ParseUid = (c: Cursor, tag: string, uid: boolean) => Command;

// RFC 9051 §6.1–6.4, RFC 3501 §6 (LSUB, CHECK) and the extensions' commands.
const withoutArguments = new Set<string>(
  [
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "NAMESPACE", // RFC 2342
    "IDLE", // RFC 2177
    "CHECK",
    "CLOSE",
    "UNSELECT", // RFC 3691
  ] satisfies SimpleCommandName[],
);

const commands = new Map<string, Parse>([
  ["AUTHENTICATE", parseAuthenticate],
  ["LOGIN", (c, tag) => {
    const username = c.expectAstring("a user name");
    c.expectSP();
    const password = c.expectAstring("a password");
    return end(c, { name: "LOGIN", tag, username, password });
  }],
  ["ENABLE", (c, tag) => {
    // RFC 9051 §9: "ENABLE" 1*(SP capability); capability is an atom.
    const capabilities = [c.expectKeyword("a capability")];
    while (c.trySP()) capabilities.push(c.expectKeyword("a capability"));
    return end(c, { name: "ENABLE", tag, capabilities });
  }],
  ["SELECT", (c, tag) => parseSelect(c, tag, "SELECT")],
  ["EXAMINE", (c, tag) => parseSelect(c, tag, "EXAMINE")],
  ["CREATE", parseCreate],
  ["DELETE", (c, tag) => end(c, { name: "DELETE", tag, mailbox: expectMailbox(c) })],
  ["SUBSCRIBE", (c, tag) => end(c, { name: "SUBSCRIBE", tag, mailbox: expectMailbox(c) })],
  ["UNSUBSCRIBE", (c, tag) => end(c, { name: "UNSUBSCRIBE", tag, mailbox: expectMailbox(c) })],
  ["RENAME", (c, tag) => {
    const from = expectMailbox(c);
    c.expectSP();
    return end(c, { name: "RENAME", tag, from, to: expectMailbox(c) });
  }],
  ["LIST", parseList],
  ["LSUB", parseLsub],
  ["STATUS", parseStatus],
  ["APPEND", parseAppend],
  ["ID", parseId],
  // RFC 9208 §4.1.
  ["GETQUOTA", (c, tag) => end(c, { name: "GETQUOTA", tag, root: c.expectAstring() })],
  ["GETQUOTAROOT", (c, tag) => end(c, { name: "GETQUOTAROOT", tag, mailbox: expectMailbox(c) })],
  ["SETQUOTA", parseSetQuota],
  ["COMPRESS", (c, tag) => {
    // RFC 4978 §3: an algorithm we do not support gets BAD.
    const start = c.pos;
    if (c.expectKeyword("an algorithm") !== "DEFLATE") {
      throw c.fail("unknown compression algorithm", "Syntax", start);
    }
    return end(c, { name: "COMPRESS", tag, algorithm: "DEFLATE" });
  }],
]);

// RFC 9051 §6.4.9 (UID), RFC 4315 §2.1 (UID EXPUNGE), RFC 6851 (MOVE), RFC 5256 §3.
const uidCommands = new Map<string, ParseUid>([
  ["FETCH", parseFetch],
  ["STORE", parseStore],
  ["COPY", (c, tag, uid) => parseCopy(c, tag, uid, "COPY")],
  ["MOVE", (c, tag, uid) => parseCopy(c, tag, uid, "MOVE")],
  ["SEARCH", parseSearch],
  ["SORT", parseSort],
  ["THREAD", parseThread],
  ["EXPUNGE", (c, tag) => parseUidExpunge(c, tag)],
]);

/**
 * Parses one command framed by {@linkcode ImapFramer}.
 * @returns the command, or a ParseError (never thrown) for the session to answer BAD
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-9
 */
export function parseCommand(
  framed: FramedCommand,
  options: ParseOptions = {},
): Command | ParseError {
  try {
    const c = new Cursor(framed, { ...imapLimits, ...options.limits });
    return expectCommand(c);
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
}

function expectCommand(c: Cursor): Command {
  // RFC 9051 §9: command = tag SP (command-any / …) CRLF.
  while (c.pos < c.text.length && isTagChar(c.text.charCodeAt(c.pos))) c.pos++;
  if (c.pos === 0 || (c.pos < c.text.length && c.peek() !== " ")) {
    throw new ParseError("BadTag", undefined, undefined, c.pos, "no valid tag");
  }
  const tag = c.text.slice(0, c.pos);
  c.tag = tag;
  c.expectSP();
  const verbAt = c.pos;
  let verb = c.expectKeyword("a command");
  c.verb = verb;
  if (withoutArguments.has(verb)) return end(c, { name: verb as SimpleCommandName, tag });
  if (verb === "EXPUNGE") return end(c, { name: "EXPUNGE", tag, uid: false, set: undefined });
  let uid = false;
  if (verb === "UID") {
    uid = true;
    c.expectSP();
    verb = c.expectKeyword("a command");
    c.verb = `UID ${verb}`;
  }
  const parse: ParseUid | undefined = uidCommands.get(verb) ??
    (uid ? undefined : commands.get(verb));
  if (parse === undefined) throw c.fail("unknown command", "UnknownCommand", verbAt);
  c.expectSP();
  return parse(c, tag, uid);
}

function end<C extends Command>(c: Cursor, command: C): C {
  c.expectEnd();
  return command;
}

// RFC 9051 §9 base64 (RFC 4648 alphabet, padded); "=" alone is an empty initial response.
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * RFC 9051 §9 authenticate: "AUTHENTICATE" SP auth-type [SP initial-resp], with RFC
 * 4959 §7 initial-resp = base64 / "=".
 */
function parseAuthenticate(c: Cursor, tag: string): AuthenticateCommand {
  const mechanism = c.expectKeyword("a mechanism");
  let initialResponse: string | undefined;
  if (c.trySP()) {
    const start = c.pos;
    const text = c.text.slice(c.pos);
    if (text === "=") initialResponse = "";
    else if (text !== "" && base64.test(text)) initialResponse = text;
    else throw c.fail("initial response is not base64", "Syntax", start);
    c.pos = c.text.length;
  }
  return { name: "AUTHENTICATE", tag, mechanism, initialResponse };
}

const encoder = new TextEncoder();

/** RFC 2971 §4: "ID" SP ("(" #(string SP nstring) ")" / nil), with its §3.3 limits. */
function parseId(c: Cursor, tag: string): IdCommand {
  if (c.tryWord("NIL")) return end(c, { name: "ID", tag, params: null });
  const params: [string, string | null][] = [];
  c.expectList(() => {
    if (params.length >= c.limits.idPairs) throw c.overLimit("idPairs", "too many ID fields");
    const field = c.expectString("a field name");
    if (encoder.encode(field).length > c.limits.idFieldOctets) {
      throw c.overLimit("idFieldOctets", "ID field name too long");
    }
    c.expectSP();
    const value = c.expectNstring("a value or NIL");
    if (value !== null && encoder.encode(value).length > c.limits.idValueOctets) {
      throw c.overLimit("idValueOctets", "ID value too long");
    }
    params.push([field, value]);
  }, true);
  return end(c, { name: "ID", tag, params });
}

/**
 * RFC 9208 §7 setquota: "SETQUOTA" SP quota-root-name SP setquota-list, setquota-list =
 * "(" [resource-name SP resource-limit *(SP …)] ")", each resource at most once.
 */
function parseSetQuota(c: Cursor, tag: string): SetQuotaCommand {
  const root = c.expectAstring("a quota root");
  c.expectSP();
  const limits: SetQuotaCommand["limits"] = [];
  const seen = new Set<string>();
  c.expectList(() => {
    const start = c.pos;
    const resource = c.expectKeyword("a resource name");
    if (seen.has(resource)) throw c.fail("repeated resource", "Syntax", start);
    seen.add(resource);
    c.expectSP();
    limits.push({ resource, limit: c.expectNumber64("a limit") });
  }, true);
  return end(c, { name: "SETQUOTA", tag, root, limits });
}

const latin1 = new TextDecoder("latin1");

/** A client's line during AUTHENTICATE (RFC 9051 §6.2.2). */
export type SaslResponse =
  /** "*": the client cancels; the session answers BAD. */
  | { kind: "cancel" }
  /** Base64 text as sent; "" for an empty response. */
  | { kind: "response"; base64: string };

/**
 * Parses a line read in line mode during AUTHENTICATE: base64 or "*".
 * @returns the response, or a ParseError (without tag) when it is neither
 * @see https://www.rfc-editor.org/rfc/rfc9051#section-6.2.2
 */
export function parseSaslResponse(line: Uint8Array): SaslResponse | ParseError {
  const text = latin1.decode(line);
  if (text === "*") return { kind: "cancel" };
  if (base64.test(text)) return { kind: "response", base64: text };
  return new ParseError("Syntax", undefined, "AUTHENTICATE", 0, "response is not base64");
}

/**
 * Whether a line read in line mode during IDLE is "DONE" (RFC 9051 §6.3.13), in any
 * case (RFC 9051 §9 rule 1).
 */
export function isIdleDone(line: Uint8Array): boolean {
  return line.length === 4 && latin1.decode(line).toUpperCase() === "DONE";
}
