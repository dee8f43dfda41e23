/**
 * IMAP commands as the parser returns them: a union keyed by `name`, the upper-case
 * verb, with typed parameters. Covers RFC 9051 (IMAP4rev2), RFC 3501 (IMAP4rev1) and
 * the extensions we serve.
 *
 * Conventions: `undefined` means the client left an optional part out; `null` is the
 * client's NIL; `""` is an empty string the client sent. Keywords of the grammar come
 * back upper-cased; strings, mailbox names and flags keep the client's spelling, except
 * that INBOX in any case becomes "INBOX" (RFC 9051 §9 mailbox) and system flags take
 * their canonical spelling (`\Seen`). Mailbox names are UTF-8 text as sent; decoding
 * modified UTF-7 (mutf7.ts) is the session's call.
 */

import type { ImapLimits } from "./limits.ts";

/**
 * RFC 9051 §9 seq-number: a number, or `"*"`, the largest number in use, whose value
 * depends on the mailbox.
 */
export type SeqNumber = number | "*";

/** A range as sent: `2:4`, `4:2` and `*:4` keep their order; `7` is `{ first: 7, last: 7 }`. */
export interface SeqRange {
  first: SeqNumber;
  last: SeqNumber;
}

/** A range of numbers, where RFC 7162 §7 forbids `*`. */
export interface NumberRange {
  first: number;
  last: number;
}

/**
 * RFC 9051 §9 sequence-set: ranges in the order sent, or `$`, the result saved by
 * SEARCH RETURN (SAVE) (RFC 5182 §2).
 */
export type SequenceSet = { kind: "ranges"; ranges: SeqRange[] } | { kind: "saved" };

/** A calendar date (RFC 9051 §9 date), for SEARCH: compared without time or zone. */
export interface SearchDate {
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31, valid for the month. */
  day: number;
}

/** Search keys without arguments (RFC 9051 §6.4.4). */
export type SearchFlagKey =
  | "ALL"
  | "ANSWERED"
  | "DELETED"
  | "DRAFT"
  | "FLAGGED"
  | "SEEN"
  | "UNANSWERED"
  | "UNDELETED"
  | "UNDRAFT"
  | "UNFLAGGED"
  | "UNSEEN"
  // RFC 3501 §6.4.4, gone from RFC 9051.
  | "NEW"
  | "OLD"
  | "RECENT"
  // RFC 8514 §4.2.
  | "SAVEDATESUPPORTED";

/** Search keys taking a string (RFC 9051 §6.4.4). */
export type SearchStringKey = "BCC" | "BODY" | "CC" | "FROM" | "SUBJECT" | "TEXT" | "TO";

/** Search keys taking a date (RFC 9051 §6.4.4, RFC 8514 §4.2 SAVED*). */
export type SearchDateKey =
  | "BEFORE"
  | "ON"
  | "SINCE"
  | "SENTBEFORE"
  | "SENTON"
  | "SENTSINCE"
  | "SAVEDBEFORE"
  | "SAVEDON"
  | "SAVEDSINCE";

/** RFC 9051 §6.4.4 search keys, plus RFC 3501's NEW/OLD/RECENT and extensions. */
export type SearchKey =
  | { key: SearchFlagKey }
  | { key: SearchStringKey; value: string }
  | { key: SearchDateKey; date: SearchDate }
  /** `value` "" matches every message that has the field (RFC 9051 §6.4.4). */
  | { key: "HEADER"; field: string; value: string }
  | { key: "KEYWORD" | "UNKEYWORD"; flag: string }
  | { key: "LARGER" | "SMALLER"; size: number }
  | { key: "NOT"; operand: SearchKey }
  | { key: "OR"; left: SearchKey; right: SearchKey }
  /** A parenthesised list: all must match. */
  | { key: "AND"; operands: SearchKey[] }
  | { key: "UID"; set: SequenceSet }
  /** A bare sequence set of message numbers. */
  | { key: "SEQ"; set: SequenceSet }
  /**
   * RFC 7162 §3.1.5. `entry` is undefined when no entry name was given; its flag has
   * canonical spelling for system flags.
   */
  | {
    key: "MODSEQ";
    modSeq: bigint;
    entry: { flag: string; type: "priv" | "shared" | "all" } | undefined;
  };

/** RFC 4731 §3.1 and RFC 5182 §2 return options of SEARCH. */
export type SearchReturn = "MIN" | "MAX" | "ALL" | "COUNT" | "SAVE";

/** RFC 9051 §6.3.11 status items, plus RFC 3501 RECENT, RFC 7162 and RFC 7889 ones. */
export type StatusItem =
  | "MESSAGES"
  | "UIDNEXT"
  | "UIDVALIDITY"
  | "UNSEEN"
  | "DELETED"
  | "SIZE"
  | "RECENT"
  | "HIGHESTMODSEQ"
  | "APPENDLIMIT";

/** RFC 9051 §6.4.5 section-text after the part numbers (or alone for the message). */
export type SectionText =
  | { kind: "HEADER" }
  | { kind: "TEXT" }
  /** Only after part numbers. */
  | { kind: "MIME" }
  /** `not`: HEADER.FIELDS.NOT. Field names as sent, at least one. */
  | { kind: "HEADER.FIELDS"; not: boolean; fields: string[] };

/** RFC 9051 §6.4.5 section: `[]`, `[1.2]`, `[HEADER]`, `[1.2.MIME]`, … */
export interface Section {
  /** Part numbers; [] for the whole message. */
  part: number[];
  /** undefined for the whole message or part. */
  text: SectionText | undefined;
}

/** `<offset.length>` of a partial fetch (RFC 9051 §6.4.5). */
export interface Partial {
  offset: number;
  /** At least 1. */
  length: number;
}

/** Fetch items without arguments. `BODY` is the non-extensible body structure. */
export type SimpleFetchItem =
  | "ENVELOPE"
  | "FLAGS"
  | "INTERNALDATE"
  | "RFC822.SIZE"
  | "BODY"
  | "BODYSTRUCTURE"
  | "UID"
  // RFC 3501 §6.4.5, gone from RFC 9051.
  | "RFC822"
  | "RFC822.HEADER"
  | "RFC822.TEXT"
  // RFC 7162 §3.1.4.1.
  | "MODSEQ"
  // RFC 8514 §4.1.
  | "SAVEDATE";

/** One item of FETCH (RFC 9051 §6.4.5, RFC 3516 §4.2 BINARY). */
export type FetchItem =
  | { item: SimpleFetchItem }
  /** BODY[section]<partial> and BODY.PEEK[…] (`peek`). */
  | { item: "BODY[]"; section: Section; partial: Partial | undefined; peek: boolean }
  /** BINARY[part]<partial> and BINARY.PEEK[…]; `part` [] for the whole message. */
  | { item: "BINARY[]"; part: number[]; partial: Partial | undefined; peek: boolean }
  | { item: "BINARY.SIZE[]"; part: number[] };

/** One message of APPEND (RFC 9051 §6.3.12, RFC 3502 MULTIAPPEND). */
export interface AppendMessage {
  /** [] when the client sent no flag list (or an empty one). */
  flags: string[];
  /** The date-time as ms since the epoch; undefined when absent (the server uses now). */
  date: number | undefined;
  data: Uint8Array;
  /** Sent as literal8 `~{n}` (RFC 3516 §4.4). */
  binary: boolean;
  /** Sent as `UTF8 (~{n})` (RFC 6855 §4): the message may have UTF-8 headers. */
  utf8: boolean;
}

/** RFC 5258 §3.1 selection options, and RFC 6154 §6 SPECIAL-USE. */
export type ListSelectOption = "SUBSCRIBED" | "REMOTE" | "RECURSIVEMATCH" | "SPECIAL-USE";

/** RFC 5258 §3.2 return options, RFC 5819 STATUS, RFC 6154 SPECIAL-USE. */
export type ListReturnOption =
  | { option: "SUBSCRIBED" | "CHILDREN" | "SPECIAL-USE" }
  | { option: "STATUS"; items: StatusItem[] };

/** RFC 7162 §3.2.5 QRESYNC parameters of SELECT/EXAMINE. */
export interface QresyncParams {
  uidValidity: number;
  modSeq: bigint;
  /** undefined when the client sent no known UIDs. */
  knownUids: NumberRange[] | undefined;
  /** Message numbers and the UIDs they had; undefined when not sent. */
  seqMatch: { seqs: NumberRange[]; uids: NumberRange[] } | undefined;
}

/** RFC 5256 §3 sort keys. */
export type SortKey = "ARRIVAL" | "CC" | "DATE" | "FROM" | "SIZE" | "SUBJECT" | "TO";

interface Tagged<N extends string> {
  name: N;
  tag: string;
}

/** Verbs of commands without arguments. */
export type SimpleCommandName =
  | "CAPABILITY"
  | "NOOP"
  | "LOGOUT"
  | "STARTTLS"
  | "NAMESPACE"
  | "IDLE"
  | "CHECK"
  | "CLOSE"
  | "UNSELECT";

/** One parsed command. */
export type Command =
  | Tagged<SimpleCommandName>
  | AuthenticateCommand
  | LoginCommand
  | EnableCommand
  | SelectCommand
  | CreateCommand
  | MailboxCommand
  | RenameCommand
  | ListCommand
  | LsubCommand
  | StatusCommand
  | AppendCommand
  | ExpungeCommand
  | SearchCommand
  | FetchCommand
  | StoreCommand
  | CopyCommand
  | IdCommand
  | GetQuotaCommand
  | GetQuotaRootCommand
  | SetQuotaCommand
  | CompressCommand
  | SortCommand
  | ThreadCommand;

/** The verbs of {@linkcode Command}. */
export type CommandName = Command["name"];

/** RFC 9051 §6.2.2, RFC 4959 SASL-IR. */
export interface AuthenticateCommand extends Tagged<"AUTHENTICATE"> {
  /** Upper-cased. */
  mechanism: string;
  /**
   * The initial response as base64 text; "" when the client sent "=" (an empty
   * response, RFC 4959 §3); undefined when it sent none.
   */
  initialResponse: string | undefined;
}

export interface LoginCommand extends Tagged<"LOGIN"> {
  username: string;
  password: string;
}

/** RFC 9051 §6.3.1 (RFC 5161). */
export interface EnableCommand extends Tagged<"ENABLE"> {
  /** Upper-cased, at least one. */
  capabilities: string[];
}

export interface SelectCommand extends Tagged<"SELECT" | "EXAMINE"> {
  mailbox: string;
  /** RFC 7162 §3.1.8 (CONDSTORE) parameter. */
  condstore: boolean;
  /** RFC 7162 §3.2.5 (QRESYNC …) parameter; undefined when absent. */
  qresync: QresyncParams | undefined;
}

export interface CreateCommand extends Tagged<"CREATE"> {
  mailbox: string;
  /**
   * RFC 6154 §3 USE (…) attributes: canonical spelling for the seven known ones, as
   * sent for others (the session answers NO [USEATTR]); undefined without USE.
   */
  specialUse: string[] | undefined;
}

export interface MailboxCommand extends Tagged<"DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE"> {
  mailbox: string;
}

export interface RenameCommand extends Tagged<"RENAME"> {
  from: string;
  to: string;
}

/** RFC 9051 §6.3.9, extended by RFC 5258, RFC 5819 and RFC 6154. */
export interface ListCommand extends Tagged<"LIST"> {
  /** True for the RFC 5258 extended form: options, RETURN or parenthesised patterns. */
  extended: boolean;
  /** Each once (RFC 5258 §3: a repeated option counts once); [] when none. */
  select: ListSelectOption[];
  /** As sent (no INBOX normalisation); "" is the usual empty reference. */
  reference: string;
  /** At least one, as sent; "" asks for the delimiter (RFC 9051 §6.3.9). */
  patterns: string[];
  /** Each option once, repeated STATUS items merged; [] without RETURN or for `RETURN ()`. */
  returns: ListReturnOption[];
}

/** RFC 3501 §6.3.9. */
export interface LsubCommand extends Tagged<"LSUB"> {
  reference: string;
  pattern: string;
}

export interface StatusCommand extends Tagged<"STATUS"> {
  mailbox: string;
  /** At least one, each once. */
  items: StatusItem[];
}

export interface AppendCommand extends Tagged<"APPEND"> {
  mailbox: string;
  /** At least one; several with RFC 3502 MULTIAPPEND. */
  messages: AppendMessage[];
}

/** EXPUNGE, and UID EXPUNGE (RFC 4315 §2.1) with its set. */
export type ExpungeCommand =
  | (Tagged<"EXPUNGE"> & { uid: false; set: undefined })
  | (Tagged<"EXPUNGE"> & { uid: true; set: SequenceSet });

export interface SearchCommand extends Tagged<"SEARCH"> {
  uid: boolean;
  /**
   * RFC 4731 RETURN options, each once; undefined without RETURN (an RFC 3501 SEARCH
   * response, or ESEARCH with ALL under IMAP4rev2); [] for `RETURN ()`, meaning ALL.
   */
  returns: SearchReturn[] | undefined;
  /** As sent; undefined without CHARSET. */
  charset: string | undefined;
  /** At least one; all must match. */
  criteria: SearchKey[];
}

export interface FetchCommand extends Tagged<"FETCH"> {
  uid: boolean;
  set: SequenceSet;
  /** At least one; the ALL/FAST/FULL macros are expanded (RFC 9051 §6.4.5). */
  items: FetchItem[];
  /** RFC 7162 §3.1.4.1 CHANGEDSINCE; undefined when absent. */
  changedSince: bigint | undefined;
  /** RFC 7162 §3.2.6 VANISHED: only with UID FETCH and CHANGEDSINCE. */
  vanished: boolean;
}

export interface StoreCommand extends Tagged<"STORE"> {
  uid: boolean;
  set: SequenceSet;
  /** RFC 7162 §3.1.3 UNCHANGEDSINCE; undefined when absent. */
  unchangedSince: bigint | undefined;
  /** `+FLAGS` add, `-FLAGS` remove, `FLAGS` replace. */
  action: "add" | "remove" | "replace";
  /** `.SILENT`: no untagged FETCH replies. */
  silent: boolean;
  /** Possibly empty (`FLAGS ()` clears all); never `\Recent`. */
  flags: string[];
}

export interface CopyCommand extends Tagged<"COPY" | "MOVE"> {
  uid: boolean;
  set: SequenceSet;
  mailbox: string;
}

/** RFC 2971 §3.1. */
export interface IdCommand extends Tagged<"ID"> {
  /** Field-value pairs in order; a value is null for NIL; null for `ID NIL`. */
  params: [field: string, value: string | null][] | null;
}

/** RFC 9208 §4.1.1. */
export interface GetQuotaCommand extends Tagged<"GETQUOTA"> {
  root: string;
}

/** RFC 9208 §4.1.2. */
export interface GetQuotaRootCommand extends Tagged<"GETQUOTAROOT"> {
  mailbox: string;
}

/** RFC 9208 §4.1.3. */
export interface SetQuotaCommand extends Tagged<"SETQUOTA"> {
  root: string;
  /** Resource names upper-cased, each once; [] removes all limits. */
  limits: { resource: string; limit: number }[];
}

/** RFC 4978 §3. */
export interface CompressCommand extends Tagged<"COMPRESS"> {
  algorithm: "DEFLATE";
}

/** RFC 5256 §3 SORT and UID SORT. */
export interface SortCommand extends Tagged<"SORT"> {
  uid: boolean;
  /** At least one, in order of precedence. */
  criteria: { key: SortKey; reverse: boolean }[];
  /** As sent; required by RFC 5256. */
  charset: string;
  /** At least one; all must match. */
  search: SearchKey[];
}

/** RFC 5256 §3 THREAD and UID THREAD. */
export interface ThreadCommand extends Tagged<"THREAD"> {
  uid: boolean;
  algorithm: "ORDEREDSUBJECT" | "REFERENCES";
  charset: string;
  search: SearchKey[];
}

/** Stable codes of {@linkcode ParseError}. */
export type ParseErrorCode =
  /** No tag, or one with characters RFC 9051 §9 tag forbids. */
  | "BadTag"
  /** The verb (or the command after UID) is not one we know. */
  | "UnknownCommand"
  /** The arguments do not match the grammar, or a parameter is unknown or repeated. */
  | "Syntax"
  /** Command text or a string is not UTF-8. */
  | "BadUtf8"
  /** A limit of limits.ts was passed; {@linkcode ParseError.limit} says which. */
  | "LimitExceeded";

/**
 * A command the parser refuses; the session answers `tag BAD` (or `* BAD` without a
 * tag). The message is for logs, not for the client.
 */
export class ParseError extends Error {
  constructor(
    readonly code: ParseErrorCode,
    /** The tag, when one could be read. */
    readonly tag: string | undefined,
    /** The upper-cased verb (`UID FETCH` for UID forms), when one could be read. */
    readonly verb: string | undefined,
    /** Offset in the command text (UTF-16 units, literal data excluded). */
    readonly position: number,
    detail: string,
    /** For LimitExceeded: the limit passed. */
    readonly limit?: keyof ImapLimits,
  ) {
    super(`Cannot parse command: ${detail}`);
    this.name = "ParseError";
  }
}
