/**
 * The problems {@linkcode parseStructure} records on a part instead of rejecting the
 * message. Each text is fixed, so callers and tests can match on it; the part says
 * where it happened.
 *
 * @module
 */

/** Every problem text, keyed by a stable name. */
export const problems = {
  /** Header lines or the blank line end in LF without CR (RFC 5322 §2.2 wants CRLF). */
  bareLf: "bare LF",
  /** A CR not followed by LF inside a header line (RFC 5322 §2.2). */
  bareCr: "bare CR",
  /** A line that is neither a header field nor a blank line ended the header early. */
  missingSeparator: "missing header/body separator",
  /** A physical header line over `maxHeaderLineOctets`; its field is not interpreted. */
  headerLineTooLong: "header line too long",
  /** The header block has more than `maxHeaderLines` lines; the rest are not interpreted. */
  tooManyHeaderLines: "too many header lines",
  /** A MIME header field (Content-*) appears more than once; the first one counts. */
  duplicateField: "duplicate MIME header field",
  /** Content-Type did not parse; the default type is used (RFC 2045 §5.2). */
  invalidContentType: "invalid Content-Type",
  /** Content-Disposition did not parse and is left out (RFC 2183 §2). */
  invalidDisposition: "invalid Content-Disposition",
  /** Content-Transfer-Encoding did not parse; "7bit" is used (RFC 2045 §6.1). */
  invalidEncoding: "invalid Content-Transfer-Encoding",
  /** A malformed or duplicate parameter was skipped (RFC 2045 §5.1, RFC 2231 §3). */
  invalidParameter: "invalid parameter",
  /** An RFC 2231 charset TextDecoder does not know; UTF-8 was used instead. */
  unknownCharset: "unknown charset",
  /** A multipart without a usable boundary parameter (RFC 2046 §5.1.1). */
  missingBoundary: "missing boundary parameter",
  /** A multipart whose body has no boundary delimiter line (RFC 2046 §5.1.1). */
  noParts: "no body parts found",
  /** The close delimiter never came: the last part runs to the end of its parent. */
  missingCloseBoundary: "missing closing boundary",
  /** A multipart or message/* with a transfer encoding (RFC 2045 §6.4, RFC 2046 §5.2.1). */
  encodedContainer: "encoded multipart or message",
  /** Nesting beyond `maxDepth`: the part is an opaque leaf. */
  nestingTooDeep: "nesting too deep",
  /** More than `maxParts` parts: the rest are not split out. */
  tooManyParts: "too many parts",
} as const;

/** One of the fixed problem texts in {@linkcode problems}. */
export type Problem = typeof problems[keyof typeof problems];
