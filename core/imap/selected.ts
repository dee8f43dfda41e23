/**
 * The selected mailbox as one IMAP session sees it: message sequence numbers, their
 * UIDs, and the changes other sessions made that this one has not been told about yet.
 *
 * Contract (RFC 9051 §2.3.1.2, §7.5.1, §5.5):
 * - Sequence numbers are 1..n over the UIDs this session knows, ascending. They change
 *   only when the session reports changes with {@linkcode SelectedMailbox.flush}, never
 *   behind the client's back: a message another session expunged keeps its number
 *   until EXPUNGE (or VANISHED) is sent for it.
 * - Changes arrive as store events and are queued. `flush(allowExpunge)` applies them
 *   and returns what to send: EXPUNGE responses (sequence numbers as they are when
 *   each is sent, so highest first keeps the rest valid — we send them ascending,
 *   each adjusted, as RFC 9051 §7.5.1 numbers them), or one VANISHED list when QRESYNC
 *   is on (RFC 7162 §3.2.10), then EXISTS, then FETCH FLAGS for changed messages.
 * - During FETCH, STORE and SEARCH no EXPUNGE may be sent (RFC 9051 §7.5.1); the
 *   session flushes with `allowExpunge = false` then, which holds expunges back but
 *   still reports new messages and flag changes.
 *
 * Memory: one Uint32Array of UIDs (4 octets a message), so a 100,000-message mailbox
 * costs 400 KB per selecting session.
 */

/** A range of a sequence set; `null` stands for `*` (the largest number in use). */
export type SeqRange = [number | null, number | null];

/** What {@linkcode SelectedMailbox.flush} asks the session to send. */
export interface Untagged {
  /** `* n EXPUNGE` lines, in the order to send them. */
  expunged: number[];
  /** UIDs for one `* VANISHED` (QRESYNC), ascending. */
  vanished: number[];
  /** New `* n EXISTS`, when the count changed. */
  exists: number | undefined;
  /** Messages whose flags changed: sequence number, UID, flags, modseq. */
  flags: { seq: number; uid: number; flags: string[]; modseq: number }[];
}

export class SelectedMailbox {
  #uids: Uint32Array;
  #count: number;
  #pendingAdded: number[] = [];
  #pendingExpunged = new Set<number>();
  #pendingFlags = new Map<number, { flags: string[]; modseq: number }>();
  /** Messages already reported as existing: the client knows this many. */
  #reported: number;

  /**
   * @param uids the mailbox's UIDs at SELECT, ascending
   * @param qresync report expunges as VANISHED (RFC 7162 §3.2.10)
   */
  constructor(
    readonly name: string,
    readonly uidValidity: number,
    uids: Uint32Array,
    readonly readOnly: boolean,
    public qresync = false,
  ) {
    this.#uids = new Uint32Array(Math.max(16, uids.length * 1.25));
    this.#uids.set(uids);
    this.#count = uids.length;
    this.#reported = uids.length;
  }

  /** Messages the client knows about (the last EXISTS). */
  get exists(): number {
    return this.#count;
  }

  /** The largest UID the client knows, 0 when empty. */
  get lastUid(): number {
    return this.#count === 0 ? 0 : this.#uids[this.#count - 1]!;
  }

  /** The UID of message `seq` (1-based), undefined when out of range. */
  uidAt(seq: number): number | undefined {
    return seq >= 1 && seq <= this.#count ? this.#uids[seq - 1] : undefined;
  }

  /** The sequence number of `uid`, undefined when the client does not know it. */
  seqOf(uid: number): number | undefined {
    let lo = 0;
    let hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.#uids[mid]!;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Whether `uid` was expunged by another session and the client was not told yet. */
  isExpungedPending(uid: number): boolean {
    return this.#pendingExpunged.has(uid);
  }

  /**
   * The UIDs a message sequence set names, ascending and unique. Numbers beyond the
   * mailbox are ignored (RFC 9051 §6.4.8 allows either; most servers ignore them).
   * @returns undefined when the set names a number > exists and nothing else (BAD)
   */
  uidsOfSeqSet(ranges: readonly SeqRange[]): number[] {
    const out = new Set<number>();
    const n = this.#count;
    for (const [a, b] of ranges) {
      let lo = a ?? n;
      let hi = b ?? n;
      if (lo > hi) [lo, hi] = [hi, lo];
      for (let s = Math.max(1, lo); s <= Math.min(n, hi); s++) out.add(this.#uids[s - 1]!);
    }
    return [...out].sort((x, y) => x - y);
  }

  /**
   * The known UIDs a UID set names, ascending. `*` is the largest known UID; a range
   * "n:*" with n above it still names that UID (RFC 9051 §6.4.9).
   */
  uidsOfUidSet(ranges: readonly SeqRange[]): number[] {
    if (this.#count === 0) return [];
    const max = this.lastUid;
    const out: number[] = [];
    const intervals = ranges.map(([a, b]) => {
      const lo = a ?? max;
      const hi = b ?? max;
      return lo <= hi ? [lo, hi] as const : [hi, lo] as const;
    });
    for (const [lo, hi] of intervals) {
      // Walk only the part of the array inside [lo, hi].
      let i = this.#lowerBound(lo);
      for (; i < this.#count && this.#uids[i]! <= hi; i++) out.push(this.#uids[i]!);
    }
    return [...new Set(out)].sort((x, y) => x - y);
  }

  /** A store event: a message was added to this mailbox. */
  added(uid: number): void {
    if (uid > this.lastUid && !this.#pendingAdded.includes(uid)) this.#pendingAdded.push(uid);
  }

  /** A store event: messages were expunged from this mailbox. */
  expunged(uids: readonly number[]): void {
    for (const uid of uids) {
      const queued = this.#pendingAdded.indexOf(uid);
      if (queued >= 0) this.#pendingAdded.splice(queued, 1);
      else if (this.seqOf(uid) !== undefined) this.#pendingExpunged.add(uid);
      this.#pendingFlags.delete(uid);
    }
  }

  /** A store event: flags changed (by this session or another). */
  flagsChanged(uid: number, flags: string[], modseq: number): void {
    this.#pendingFlags.set(uid, { flags, modseq });
  }

  /** Forgets a queued flag change (the session reported it itself, e.g. STORE without .SILENT). */
  dropFlagChange(uid: number): void {
    this.#pendingFlags.delete(uid);
  }

  /** Whether anything is waiting to be reported. */
  get pending(): boolean {
    return this.#pendingAdded.length > 0 || this.#pendingExpunged.size > 0 ||
      this.#pendingFlags.size > 0;
  }

  /**
   * Applies queued changes and returns what to tell the client.
   * @param allowExpunge false during FETCH, STORE, SEARCH (RFC 9051 §7.5.1)
   */
  flush(allowExpunge: boolean): Untagged {
    const out: Untagged = { expunged: [], vanished: [], exists: undefined, flags: [] };
    if (allowExpunge && this.#pendingExpunged.size > 0) {
      const gone = [...this.#pendingExpunged].sort((a, b) => a - b);
      this.#pendingExpunged.clear();
      if (this.qresync) out.vanished = gone;
      else {
        // Each EXPUNGE renumbers the messages after it, so ascending UIDs are sent with
        // their number minus the ones already removed before them.
        gone.forEach((uid, i) => out.expunged.push(this.seqOf(uid)! - i));
      }
      const keep = new Set(gone);
      let w = 0;
      for (let r = 0; r < this.#count; r++) {
        const uid = this.#uids[r]!;
        if (!keep.has(uid)) this.#uids[w++] = uid;
      }
      this.#count = w;
      // The client counts these out itself (RFC 9051 §7.5.1, RFC 7162 §3.2.10).
      this.#reported -= gone.length;
    }
    if (this.#pendingAdded.length > 0) {
      this.#pendingAdded.sort((a, b) => a - b);
      for (const uid of this.#pendingAdded) this.#append(uid);
      this.#pendingAdded = [];
    }
    if (this.#count !== this.#reported) {
      out.exists = this.#count;
      this.#reported = this.#count;
    }
    for (const [uid, change] of this.#pendingFlags) {
      const seq = this.seqOf(uid);
      if (seq !== undefined && !this.#pendingExpunged.has(uid)) {
        out.flags.push({ seq, uid, ...change });
      }
    }
    this.#pendingFlags.clear();
    out.flags.sort((a, b) => a.seq - b.seq);
    return out;
  }

  #append(uid: number): void {
    if (this.#count > 0 && uid <= this.lastUid) return;
    if (this.#count === this.#uids.length) {
      const grown = new Uint32Array(this.#uids.length * 2);
      grown.set(this.#uids);
      this.#uids = grown;
    }
    this.#uids[this.#count++] = uid;
  }

  #lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
