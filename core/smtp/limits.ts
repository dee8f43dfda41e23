/**
 * Every limit of the SMTP server, with its RFC reference and reason. The framers
 * (core/wire/lines.ts for command lines, data.ts for DATA and BDAT) and the parser
 * enforce them; the session counts recipients, errors and Received header fields
 * against them. Sizes are in octets, times in milliseconds.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3
 */

const minute = 60_000;

/** Limits of the SMTP server. */
export const smtpLimits = {
  /**
   * Longest command line in plain RFC 5321, counting the CRLF.
   * RFC 5321 §4.5.3.1.4: "The maximum total length of a command line including the
   * command word and the <CRLF> is 512 octets."
   */
  commandLineOctets: 512,
  /**
   * Longest command line we accept, counting the CRLF. RFC 5321 §4.5.3.1.4 lets service
   * extensions lengthen commands, and ours do: RFC 1870 SIZE=, RFC 3461 ENVID= (up to
   * 100 characters) on MAIL and ORCPT= (up to 500) on RCPT, RFC 4954 §5 AUTH= on MAIL,
   * and RFC 6531 SMTPUTF8, whose UTF-8 addresses take up to four octets per character.
   * 4 KiB holds all of them at once; the framer still never buffers more than this.
   */
  commandLineOctetsExtended: 4096,
  /**
   * Longest reply line we send, counting the CRLF (RFC 5321 §4.5.3.1.5: 512 octets).
   * reply() in codes.ts refuses to format a longer one.
   */
  replyLineOctets: 512,
  /**
   * RFC 5321 §4.5.3.1.1: "The maximum total length of a user name or other local-part
   * is 64 octets." Longer local parts are accepted up to {@linkcode localPartOctetsMax}
   * and reported as the leniency "long-local-part".
   */
  localPartOctets: 64,
  /**
   * Longest local part accepted at all. RFC 5321 §4.5.3.1 asks servers to avoid limits
   * on these objects "to the maximum extent possible", and real senders exceed 64
   * octets (bounce and SRS addresses, generated notification senders); 128 is what
   * mox accepts for the same reason.
   */
  localPartOctetsMax: 128,
  /**
   * RFC 5321 §4.5.3.1.2: "The maximum total length of a domain name or number is 255
   * octets." Checked on the A-label (ASCII) form, the form DNS sees.
   */
  domainOctets: 255,
  /** RFC 1035 §2.3.4: a label is at most 63 octets (checked on the A-label form). */
  labelOctets: 63,
  /**
   * RFC 5321 §4.5.3.1.3: "The maximum total length of a reverse-path or forward-path
   * is 256 octets (including the punctuation and element separators)." Counted from
   * "<" to ">" as sent, source route included.
   */
  pathOctets: 256,
  /**
   * RFC 3461 §4.4: the ENVID value may be up to 100 characters; counted after xtext
   * decoding.
   */
  envidChars: 100,
  /** RFC 3461 §4.2: "The entire ORCPT parameter MAY be up to 500 characters in length." */
  orcptChars: 500,
  /**
   * RFC 5321 §4.5.3.1.6: "The maximum total length of a text line including the
   * <CRLF> is 1000 octets (not counting the leading dot duplicated for transparency)."
   * Real mail breaks this (HTML on one line, unwrapped base64), and the DATA reader
   * needs no line buffer, so we accept lines of up to {@linkcode dataLineOctetsMax}.
   */
  dataLineOctets: 1000,
  /**
   * Longest DATA line accepted, counting the CRLF: 64 times the RFC limit. A longer
   * line makes DataReader report "line-too-long" so that no later line-oriented code
   * (header parsing, DKIM canonicalisation) meets unbounded lines.
   */
  dataLineOctetsMax: 64 * 1024,
  /**
   * Default largest message, in octets after dot-unstuffing; advertised with EHLO SIZE
   * (RFC 1870) and enforced while reading DATA and BDAT. Configuration may lower it.
   */
  messageOctets: 50 * 1024 * 1024,
  /**
   * Largest BDAT chunk (RFC 3030 §2). A client may send the whole message as one
   * chunk, so this equals the message limit; a chunk beyond what the message may
   * still grow by is read and discarded, then refused (BdatReader in data.ts).
   */
  bdatChunkOctets: 50 * 1024 * 1024,
  /**
   * Most recipients per transaction. RFC 5321 §4.5.3.1.8: "The minimum total number of
   * recipients that MUST be buffered is 100 recipients." Beyond ours, RCPT gets
   * `452 4.5.3` (RFC 5321 §4.5.3.1.10) and the client retries the rest later.
   */
  recipients: 1000,
  /**
   * Most Received header fields in a message before we call it a mail loop (554
   * 5.4.6). RFC 5321 §6.3: servers counting Received fields "SHOULD use a large
   * rejection threshold, normally at least 100 Received entries", so 100 and no less.
   */
  receivedHeaders: 100,
  /**
   * Errors (syntax errors, bad sequence, rejected commands) per connection before the
   * server replies 421 and closes: a client that keeps failing is confused or probing.
   */
  errors: 10,
  /**
   * Wait for the next command. RFC 5321 §4.5.3.2.7: "An SMTP server SHOULD have a
   * timeout of at least 5 minutes while it is awaiting the next command."
   */
  commandTimeout: 5 * minute,
  /**
   * Wait for the next chunk of message data after DATA's 354 or inside BDAT. RFC 5321
   * §4.5.3.2.5 gives the client 3 minutes per data block; we give the same.
   */
  dataBlockTimeout: 3 * minute,
  /**
   * Time we have to reply after the end of data. RFC 5321 §4.5.3.2.6: the client waits
   * 10 minutes for the reply to "."; checks after DATA must finish well within it.
   */
  dataEndReplyTimeout: 10 * minute,
} as const;
