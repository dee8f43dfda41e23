/**
 * SASLprep (RFC 4013), the stringprep (RFC 3454) profile for user names and
 * passwords: map, normalize (NFKC), prohibit, check bidi.
 *
 * Implementation notes — what is simplified, and why it is safe:
 * - Normalization uses the runtime's `String.prototype.normalize("NFKC")`, i.e. the
 *   runtime's Unicode version, not Unicode 3.2 as RFC 3454 §2 fixes. Strings differ
 *   only for characters whose decomposition changed since 3.2, which are rare; the
 *   server prepares a password the same way when it stores it and when it checks it.
 * - Unassigned code points (RFC 3454 §7, table A.1) are judged by the runtime's
 *   Unicode (`\p{Cn}`), not Unicode 3.2; they are rejected only in stored-string mode
 *   (`allowUnassigned: false`), as RFC 4013 §2.5 says.
 * - The bidi rule (RFC 3454 §6) uses the exact RandALCat table D.1, but approximates
 *   LCat (table D.2, hundreds of ranges) as letters and spacing marks outside the
 *   right-to-left scripts. A string mixing Hebrew or Arabic with Latin letters is
 *   rejected as the RFC says; exotic left-to-right symbols are not counted as LCat.
 * - A character in both C.1.2 and B.1 (only U+200B ZERO WIDTH SPACE, a space in
 *   Unicode 3.2, a format character since) is mapped to nothing, as Python's
 *   `stringprep`-based SASLprep implementations do.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4013
 */

/** A string SASLprep refuses, with a stable code saying why. */
export class SaslPrepError extends Error {
  constructor(
    readonly code: "Prohibited" | "Unassigned" | "Bidi",
    /** The offending code point, for Prohibited and Unassigned. */
    readonly codePoint?: number,
  ) {
    super(
      code === "Bidi"
        ? "Cannot prepare string: mixes right-to-left and left-to-right text"
        : `Cannot prepare string: ${code === "Prohibited" ? "prohibited" : "unassigned"} ` +
          `character U+${(codePoint ?? 0).toString(16).toUpperCase().padStart(4, "0")}`,
    );
    this.name = "SaslPrepError";
  }
}

type Range = readonly [number, number];

// RFC 3454 B.1: commonly mapped to nothing (RFC 4013 §2.1).
const mappedToNothing = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
// RFC 3454 C.1.2: non-ASCII space characters, mapped to SPACE (RFC 4013 §2.1).
const nonAsciiSpace = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;

// RFC 4013 §2.3: prohibited output. RFC 3454 tables C.1.2, C.2.1, C.2.2, C.3, C.5,
// C.6, C.7, C.8, C.9; C.4 (non-characters) is checked arithmetically below.
const prohibited: readonly Range[] = [
  [0x0000, 0x001f], // C.2.1
  [0x007f, 0x009f], // C.2.1, C.2.2
  [0x00a0, 0x00a0], // C.1.2
  [0x0340, 0x0341], // C.8
  [0x06dd, 0x06dd], // C.2.2
  [0x070f, 0x070f], // C.2.2
  [0x1680, 0x1680], // C.1.2
  [0x180e, 0x180e], // C.2.2
  [0x2000, 0x200f], // C.1.2, C.2.2, C.8
  [0x2028, 0x202f], // C.2.2, C.8, C.1.2
  [0x205f, 0x2063], // C.1.2, C.2.2
  [0x206a, 0x206f], // C.2.2, C.8
  [0x2ff0, 0x2ffb], // C.7
  [0x3000, 0x3000], // C.1.2
  [0xd800, 0xdfff], // C.5 (lone surrogates in a JavaScript string)
  [0xe000, 0xf8ff], // C.3
  [0xfdd0, 0xfdef], // C.4
  [0xfeff, 0xfeff], // C.2.2
  [0xfff9, 0xfffd], // C.2.2, C.6
  [0x1d173, 0x1d17a], // C.2.2
  [0xe0001, 0xe0001], // C.9
  [0xe0020, 0xe007f], // C.9
  [0xf0000, 0xffffd], // C.3
  [0x100000, 0x10fffd], // C.3
];

// RFC 3454 D.1: characters with bidirectional property R or AL (Unicode 3.2).
const randAl: readonly Range[] = [
  [0x05be, 0x05be],
  [0x05c0, 0x05c0],
  [0x05c3, 0x05c3],
  [0x05d0, 0x05ea],
  [0x05f0, 0x05f4],
  [0x061b, 0x061b],
  [0x061f, 0x061f],
  [0x0621, 0x063a],
  [0x0640, 0x064a],
  [0x066d, 0x066f],
  [0x0671, 0x06d5],
  [0x06dd, 0x06dd],
  [0x06e5, 0x06e6],
  [0x06fa, 0x06fe],
  [0x0700, 0x070d],
  [0x0710, 0x0710],
  [0x0712, 0x072c],
  [0x0780, 0x07a5],
  [0x07b1, 0x07b1],
  [0x200f, 0x200f],
  [0xfb1d, 0xfb1d],
  [0xfb1f, 0xfb28],
  [0xfb2a, 0xfb36],
  [0xfb38, 0xfb3c],
  [0xfb3e, 0xfb3e],
  [0xfb40, 0xfb41],
  [0xfb43, 0xfb44],
  [0xfb46, 0xfbb1],
  [0xfbd3, 0xfd3d],
  [0xfd50, 0xfd8f],
  [0xfd92, 0xfdc7],
  [0xfdf0, 0xfdfc],
  [0xfe70, 0xfe74],
  [0xfe76, 0xfefc],
];

// Approximates RFC 3454 D.2 (bidirectional property L); see the notes above.
const letter = /^[\p{L}\p{Mc}]$/u;
const rtlScript =
  /^[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}]$/u;
const unassigned = /^\p{Cn}$/u;

function inRanges(ranges: readonly Range[], cp: number): boolean {
  for (const [lo, hi] of ranges) {
    if (cp < lo) return false;
    if (cp <= hi) return true;
  }
  return false;
}

function isRandAl(cp: number): boolean {
  return inRanges(randAl, cp);
}

function isL(ch: string, cp: number): boolean {
  return !isRandAl(cp) && letter.test(ch) && !rtlScript.test(ch);
}

/** Options for {@linkcode saslprep}. */
export interface SaslPrepOptions {
  /**
   * True (the default) for a query string, false for a stored string, which must not
   * contain unassigned code points (RFC 3454 §7, RFC 4013 §2.5).
   */
  allowUnassigned?: boolean | undefined;
}

/**
 * Prepares a user name or password with SASLprep. The result may be empty; callers
 * decide whether that is acceptable.
 * @throws {SaslPrepError} when the prepared string contains a prohibited or (in
 *   stored-string mode) unassigned code point, or breaks the bidi rule.
 * @see https://www.rfc-editor.org/rfc/rfc4013#section-2
 */
export function saslprep(input: string, options: SaslPrepOptions = {}): string {
  // RFC 4013 §2.1: mapping. B.1 first, so U+200B is removed rather than spaced.
  const mapped = input.replace(mappedToNothing, "").replace(nonAsciiSpace, " ");
  // RFC 4013 §2.2: normalization form KC.
  const normalized = mapped.normalize("NFKC");
  const chars = [...normalized];
  let hasRandAl = false;
  let hasL = false;
  for (const ch of chars) {
    const cp = ch.codePointAt(0)!;
    // RFC 4013 §2.3; RFC 3454 C.4: U+FDD0..FDEF and the last two code points of
    // every plane are non-characters.
    if (inRanges(prohibited, cp) || (cp & 0xfffe) === 0xfffe) {
      throw new SaslPrepError("Prohibited", cp);
    }
    // RFC 4013 §2.5: unassigned code points, stored strings only.
    if (options.allowUnassigned === false && unassigned.test(ch)) {
      throw new SaslPrepError("Unassigned", cp);
    }
    if (isRandAl(cp)) hasRandAl = true;
    else if (isL(ch, cp)) hasL = true;
  }
  // RFC 4013 §2.4, RFC 3454 §6: no LCat with RandALCat; RandALCat first and last.
  if (hasRandAl) {
    const first = chars[0]!.codePointAt(0)!;
    const last = chars[chars.length - 1]!.codePointAt(0)!;
    if (hasL || !isRandAl(first) || !isRandAl(last)) throw new SaslPrepError("Bidi");
  }
  return normalized;
}
