/**
 * SEARCH keys (RFC 9051 §6.4.4, command.ts) as store criteria. Message sets become UID
 * ranges here, against what the client knows; dates are calendar days, given to the
 * store as UTC midnight (the store compares by UTC day).
 */

import type { Criteria } from "./backend.ts";
import type { SearchDate, SearchKey, SequenceSet } from "./command.ts";
import type { ImapSession } from "./session.ts";

const day = (d: SearchDate) => Date.UTC(d.year, d.month - 1, d.day);

/** Contiguous runs of sorted UIDs as inclusive ranges. */
function ranges(uids: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const uid of uids) {
    const last = out.at(-1);
    if (last && uid === last[1] + 1) last[1] = uid;
    else out.push([uid, uid]);
  }
  return out;
}

const none: Criteria = { not: { all: true } };

export function toCriteria(
  s: ImapSession,
  keys: readonly SearchKey[],
  resolve: (set: SequenceSet, uid: boolean) => number[],
): Criteria {
  const one = (k: SearchKey): Criteria => {
    switch (k.key) {
      case "ALL":
      case "OLD": // RFC 3501: not \Recent; we keep no \Recent, so every message
      case "SAVEDATESUPPORTED": // RFC 8514 §4.2: we keep save dates for every message
        return { all: true };
      case "NEW":
      case "RECENT":
        return none;
      case "ANSWERED":
      case "DELETED":
      case "DRAFT":
      case "FLAGGED":
      case "SEEN":
        return { flag: `\\${k.key[0]}${k.key.slice(1).toLowerCase()}`, set: true };
      case "UNANSWERED":
      case "UNDELETED":
      case "UNDRAFT":
      case "UNFLAGGED":
      case "UNSEEN":
        return { flag: `\\${k.key[2]}${k.key.slice(3).toLowerCase()}`, set: false };
      case "KEYWORD":
        return { flag: k.flag, set: true };
      case "UNKEYWORD":
        return { flag: k.flag, set: false };
      case "BCC":
        return { bcc: k.value };
      case "CC":
        return { cc: k.value };
      case "FROM":
        return { from: k.value };
      case "TO":
        return { to: k.value };
      case "SUBJECT":
        return { subject: k.value };
      case "BODY":
        return { body: k.value };
      case "TEXT":
        return { text: k.value };
      case "HEADER":
        return { header: k.field, contains: k.value };
      case "BEFORE":
        return { before: day(k.date) };
      case "ON":
        return { on: day(k.date) };
      case "SINCE":
        return { since: day(k.date) };
      case "SENTBEFORE":
        return { sentBefore: day(k.date) };
      case "SENTON":
        return { sentOn: day(k.date) };
      case "SENTSINCE":
        return { sentSince: day(k.date) };
      case "SAVEDBEFORE":
        return { saveBefore: day(k.date) };
      case "SAVEDON":
        return { saveOn: day(k.date) };
      case "SAVEDSINCE":
        return { saveSince: day(k.date) };
      case "LARGER":
        return { larger: k.size };
      case "SMALLER":
        return { smaller: k.size };
      case "NOT":
        return { not: one(k.operand) };
      case "OR":
        return { or: [one(k.left), one(k.right)] };
      case "AND":
        return { and: k.operands.map(one) };
      case "UID": {
        const uids = resolve(k.set, true);
        return uids.length === 0 ? none : { uid: ranges(uids) };
      }
      case "SEQ": {
        const uids = resolve(k.set, false);
        return uids.length === 0 ? none : { uid: ranges(uids) };
      }
      case "MODSEQ":
        // RFC 7162 §3.1.5: the entry name narrows to one flag's modseq; we keep one
        // modseq per message, which is at least as new.
        s.enabled.add("CONDSTORE");
        return { modseq: Number(k.modSeq) };
    }
  };
  return keys.length === 1 ? one(keys[0]!) : { and: keys.map(one) };
}
