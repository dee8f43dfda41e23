/**
 * Every limit of the mbox and maildir codecs, with its reason. mbox (RFC 4155) and
 * maildir set no limits of their own; these bound memory while importing files of any
 * size, so one odd message cannot take the importer down.
 *
 * @module
 */

/** Limits of {@linkcode readMbox} and friends. */
export const mailfileLimits = {
  /**
   * Largest message kept, in octets after line-ending normalisation. A larger message is
   * skipped with a problem record up to the next From_ line. 64 MiB is far above what
   * SMTP servers accept (typically 25–50 MiB) and keeps memory bounded per message.
   */
  maxMessageOctets: 64 * 1024 * 1024,
  /**
   * Longest line examined as a line, in octets. A longer line is never a From_ line and
   * never unescaped; its bytes still go into the message as they arrive, so a
   * pathological file without line breaks costs no more than one message's memory.
   * RFC 5322 §2.1.1 caps lines at 998 octets; real files break that, hence the slack.
   */
  maxLineOctets: 1024 * 1024,
  /**
   * Longest From_ line whose date is parsed. RFC 4155 Appendix A gives no limit; a sender
   * address (at most 256 octets by RFC 5321 §4.5.3.1.3) plus an asctime date fits easily.
   */
  maxFromLineOctets: 1024,
} as const;
