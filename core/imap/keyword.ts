/**
 * IMAP keywords (user flags), the one definition every module uses: the store, mail
 * file import and export, and later the IMAP parser.
 *
 * RFC 9051 §9: flag-keyword = atom; ATOM-CHAR is any CHAR except atom-specials:
 * "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]". Non-ASCII is not an atom.
 */

/** Longest keyword kept. The RFC sets no limit; this bounds what a client can store. */
export const maxKeywordLength = 100;

/** Whether `text` is a keyword Postern accepts: an atom of at most {@linkcode maxKeywordLength}. */
export function isKeyword(text: string): boolean {
  if (text.length === 0 || text.length > maxKeywordLength) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
    // "(" ")" "{" "%" "*" DQUOTE "\" "]"
    if (c === 0x28 || c === 0x29 || c === 0x7b || c === 0x25 || c === 0x2a) return false;
    if (c === 0x22 || c === 0x5c || c === 0x5d) return false;
  }
  return true;
}
