/**
 * Every limit of the IMAP framer and command parser, with its RFC reference and reason.
 * The framer enforces the octet limits as bytes arrive, before anything is buffered past
 * them; the parser enforces the structural ones. Tests pass smaller values through
 * {@linkcode ImapFramerOptions.limits} and {@linkcode ParseOptions.limits}.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Limits of IMAP command framing and parsing. */
export const imapLimits = {
  /**
   * Most octets of command text, excluding literal data, summed over every line of one
   * command and counting line endings. RFC 9051 §4 sets no limit; RFC 7162 §4
   * recommends servers accept at least 8192 octets, since CONDSTORE/QRESYNC clients send
   * long UID sets. 64 KiB is generous and bounds what one command can make us buffer.
   * Passing it is fatal: the stream cannot be resynchronised without reading the line.
   */
  commandLineOctets: 64 * KiB,
  /**
   * Largest literal in any command but APPEND's message data: mailbox names, search
   * strings, passwords. RFC 9051 §4.3 sets no limit; RFC 7888 §4 notes servers may
   * impose much lower limits outside APPEND.
   */
  literalOctets: 64 * KiB,
  /**
   * Most octets of a whole command other than APPEND, text and literals together.
   * RFC 9051 sets no limit; this bounds memory per command.
   */
  commandOctets: 1 * MiB,
  /**
   * Most octets of a whole APPEND command (RFC 3502 MULTIAPPEND sends several messages
   * in one). The framer uses the larger of this and its APPENDLIMIT (RFC 7889), so a
   * single message the server advertises it accepts always fits.
   */
  appendCommandOctets: 256 * MiB,
  /**
   * Most literals in one command. RFC 9051 sets no limit; each literal of a
   * MULTIAPPEND (RFC 3502) or a long SEARCH costs a continuation round trip and a
   * buffer, so a bound keeps a command from becoming an allocation loop.
   */
  literals: 256,
  /**
   * Deepest nesting of parenthesised lists and of NOT/OR operands in one command.
   * RFC 9051 §9 search-key is recursive without limit; the parser is recursive, so an
   * unbounded depth would overflow the stack.
   */
  nestingDepth: 32,
  /**
   * Most ranges and numbers in one sequence set. RFC 9051 §9 sequence-set is unbounded;
   * a command line of 64 KiB holds at most ~32k, and clients batching UID lists send a
   * few thousand. Bounds the work the session does per set.
   */
  sequenceRanges: 16384,
  /**
   * Longest raw line read in line mode, counting its ending: a SASL response during
   * AUTHENTICATE (RFC 9051 §6.2.2) or IDLE's DONE (RFC 2177, RFC 9051 §6.3.13). SCRAM
   * messages are under 1 KiB (see core/auth/limits.ts) and OAuth bearer tokens a few
   * KiB; we offer no GSSAPI, whose tickets can be larger.
   */
  lineModeOctets: 16 * KiB,
  /** RFC 2971 §3.3: clients MUST NOT send more than 30 field-value pairs. */
  idPairs: 30,
  /** RFC 2971 §3.3: field strings MUST NOT be longer than 30 octets. */
  idFieldOctets: 30,
  /** RFC 2971 §3.3: value strings MUST NOT be longer than 1024 octets. */
  idValueOctets: 1024,
} as const;

/** The shape of {@linkcode imapLimits}, for overrides in tests. */
export type ImapLimits = { readonly [K in keyof typeof imapLimits]: number };
