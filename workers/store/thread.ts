/**
 * What the store needs from a message's header to put it in a thread: its Message-ID,
 * the Message-IDs it refers to, and its base subject. Pure: no I/O, no database.
 *
 * Implementation notes:
 * - Message-IDs are kept without angle brackets and compared as written (case-sensitive,
 *   as the `message_id` column is). Lenient beyond RFC 5322 §3.6.4: a header without any
 *   bracketed id may give bare `local@domain` tokens, since some clients omit the
 *   brackets; parenthesised comments are dropped first, so the address in an old-style
 *   `In-Reply-To: <id> (alice@example.org's message)` is not taken for an id.
 * - The base subject follows RFC 5256 §2.1 step by step, on indexes rather than slices,
 *   so a subject of thousands of "Re:" prefixes costs linear time.
 */

import { decodeEncodedWords, headerValue, type Part } from "../../core/mime/mod.ts";

/** Limits on what one message contributes to the thread index. */
export const threadLimits = {
  /** Longest Message-ID kept, in UTF-16 units; longer ones are ignored, never cut. */
  maxIdLength: 500,
  /** Most referenced ids kept per message: the first (the thread's root) and the last ones. */
  maxReferences: 50,
  /** Longest base subject kept as the subject-fallback key, in UTF-16 units. */
  maxSubjectKey: 250,
} as const;

/**
 * How far apart (ms, either way) a reply without usable references may be from the
 * latest message with its base subject to join that thread: 30 days. Longer, and the
 * same subject is more likely a new conversation ("Re: Invoice" next quarter).
 */
export const subjectWindow = 30 * 24 * 60 * 60 * 1000;

/** A message's threading keys, from {@linkcode threadKeys}. */
export interface ThreadKeys {
  /** Own Message-ID without angle brackets; null when it has none we can use. */
  messageId: string | null;
  /**
   * Referenced Message-IDs: References in order, then the first In-Reply-To id when
   * References lacks it; deduplicated, without the own id, at most
   * {@linkcode threadLimits.maxReferences}. Empty when the message refers to nothing.
   */
  references: string[];
  /** RFC 5256 §2.1 base subject, lower-cased and cut to `maxSubjectKey`; "" when none. */
  baseSubject: string;
  /** Whether extracting the base subject removed a reply or forward marker. */
  replyOrForward: boolean;
}

/** The keys that thread `message` (bytes as received; `structure` its parsed root). */
export function threadKeys(message: Uint8Array, structure: Part): ThreadKeys {
  const messageId = messageIds(headerValue(message, structure, "Message-ID"))[0] ?? null;
  const refs = messageIds(headerValue(message, structure, "References"));
  // RFC 5322 §3.6.4, RFC 5256 §3 (THREAD=REFERENCES step 1.A): References lists the
  // ancestors root first, parent last; In-Reply-To names the parent(s), of which we take
  // the first, as RFC 5256 does when References is missing.
  const inReplyTo = messageIds(headerValue(message, structure, "In-Reply-To"))[0];
  if (inReplyTo !== undefined) refs.push(inReplyTo);
  const seen = new Set<string>(messageId === null ? [] : [messageId]);
  let references: string[] = [];
  for (const id of refs) {
    if (seen.has(id)) continue;
    seen.add(id);
    references.push(id);
  }
  const max = threadLimits.maxReferences;
  if (references.length > max) {
    // Keep the first id, as news software does when trimming: it names the root.
    references = [references[0]!, ...references.slice(references.length - (max - 1))];
  }
  const subject = subjectInfo(headerValue(message, structure, "Subject") ?? "");
  return {
    messageId,
    references,
    baseSubject: subject.base.slice(0, threadLimits.maxSubjectKey),
    replyOrForward: subject.replyOrForward,
  };
}

/**
 * The Message-IDs in a header value (Message-ID, References, In-Reply-To), in order,
 * without angle brackets; whitespace inside brackets (a folded id) is removed. Ids
 * longer than {@linkcode threadLimits.maxIdLength} or empty are skipped.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5322#section-3.6.4
 */
export function messageIds(value: string | undefined): string[] {
  if (value === undefined || value === "") return [];
  const ok = (id: string) => id.length > 0 && id.length <= threadLimits.maxIdLength;
  const bracketed = [...value.matchAll(/<([^<>]*)>/g)]
    .map((m) => m[1]!.replace(/\s+/g, ""))
    .filter(ok);
  if (bracketed.length > 0 || value.includes("<")) return bracketed;
  // DEVIATION(RFC 5322 §3.6.4): no brackets at all; take bare local@domain tokens.
  const bare = value.replace(/\([^()]*\)/g, " ");
  return [...bare.matchAll(/[^\s<>,;()"]+@[^\s<>,;()"]+/g)].map((m) => m[0]).filter(ok);
}

/**
 * The base subject of RFC 5256 §2.1, lower-cased (comparison is case-insensitive):
 * "Re: [list] Fwd: Hello (fwd)" → "hello".
 *
 * @see https://www.rfc-editor.org/rfc/rfc5256#section-2.1
 */
export function baseSubject(subject: string): string {
  return subjectInfo(subject).base;
}

/**
 * Whether extracting the base subject removed a reply or forward marker: a "Re:",
 * "Fw:" or "Fwd:" leader, a "(fwd)" trailer, or a "[fwd: …]" wrapper.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5256#section-2.1
 */
export function isReplyOrForward(subject: string): boolean {
  return subjectInfo(subject).replyOrForward;
}

// RFC 5256 §5: subj-blob = "[" *BLOBCHAR "]" *WSP; BLOBCHAR excludes "[" and "]".
// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"; subj-leader =
// (*subj-blob subj-refwd) / WSP. After step 1 the only WSP left is a single space.
const blob = String.raw`\[[^\[\]]*\] *`;
const leader = new RegExp(`(?:${blob})*(?:re|fwd?) *(?:${blob})?:`, "iy");
const blobPrefix = new RegExp(blob, "y");

function subjectInfo(subject: string): { base: string; replyOrForward: boolean } {
  // Step 1: decode RFC 2047 words; tabs, continuations and runs of spaces become one space.
  const s = decodeEncodedWords(subject).replace(/\s+/g, " ");
  let start = 0;
  let end = s.length;
  let replyOrForward = false;
  for (;;) {
    // Step 2: remove trailing subj-trailer = "(fwd)" / WSP, repeatedly.
    for (;;) {
      if (end > start && s[end - 1] === " ") end--;
      else if (end - start >= 5 && s.slice(end - 5, end).toLowerCase() === "(fwd)") {
        end -= 5;
        replyOrForward = true;
      } else break;
    }
    // Steps 3–5: remove subj-leader, then a subj-blob when text remains after it; repeat.
    for (;;) {
      if (start < end && s[start] === " ") {
        start++;
        continue;
      }
      leader.lastIndex = start;
      if (leader.test(s) && leader.lastIndex <= end) {
        start = leader.lastIndex;
        replyOrForward = true;
        continue;
      }
      blobPrefix.lastIndex = start;
      // Only when text remains (its trailing spaces may run into the removed trailer).
      if (blobPrefix.test(s) && blobPrefix.lastIndex < end) {
        start = blobPrefix.lastIndex;
        continue;
      }
      break;
    }
    // Step 6: "[fwd:" … "]" wraps a forwarded subject; unwrap and go back to step 2.
    if (
      end - start >= 6 && s.slice(start, start + 5).toLowerCase() === "[fwd:" && s[end - 1] === "]"
    ) {
      start += 5;
      end -= 1;
      replyOrForward = true;
      continue;
    }
    break;
  }
  return { base: s.slice(start, end).toLowerCase(), replyOrForward };
}
