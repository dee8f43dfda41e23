/**
 * Message commands: APPEND (RFC 3502 MULTIAPPEND, RFC 4315 APPENDUID), STORE (RFC 7162
 * UNCHANGEDSINCE), EXPUNGE and UID EXPUNGE, COPY and MOVE (RFC 6851, COPYUID),
 * SEARCH (RFC 4731 ESEARCH, RFC 5182 SEARCHRES). FETCH is in fetch.ts.
 *
 * Message sets are resolved against what the client knows (selected.ts): sequence
 * numbers and `*` never include messages not yet announced with EXISTS.
 */

import type { SequenceSet } from "./command.ts";
import type { ImapSession } from "./session.ts";
import { uidSet } from "./session.ts";
import { authed, type CommandEntry, type CommandOf, selectedOnly } from "./_command_table.ts";
import { bad, no } from "./errors.ts";
import { storeName } from "./commands_mailbox.ts";
import { flagList } from "./response.ts";
import type { SeqRange } from "./selected.ts";
import { toCriteria } from "./search.ts";
import { fetch } from "./fetch.ts";

/** Saved search result (RFC 5182 SEARCHRES `$`), as UIDs. */
const savedResults = new WeakMap<ImapSession, number[]>();

/** The UIDs a command's set names (`uid`: a UID set, else message numbers). */
export function resolveSet(s: ImapSession, set: SequenceSet, uid: boolean): number[] {
  const sel = s.selected!;
  if (set.kind === "saved") {
    // RFC 5182 §2.1: messages expunged since are silently left out.
    return (savedResults.get(s) ?? []).filter((u) => sel.seqOf(u) !== undefined);
  }
  const ranges: SeqRange[] = set.ranges.map((r) => [
    r.first === "*" ? null : r.first,
    r.last === "*" ? null : r.last,
  ]);
  if (uid) return sel.uidsOfUidSet(ranges);
  // RFC 9051 §6.4.8: a number beyond the mailbox is an error.
  for (const [a, b] of ranges) {
    if ((a ?? 0) > sel.exists || (b ?? 0) > sel.exists) throw bad("Invalid message number");
  }
  return sel.uidsOfSeqSet(ranges);
}

function writable(s: ImapSession): void {
  if (s.selected!.readOnly) throw no("CANNOT", "Mailbox is read-only");
}

async function append(s: ImapSession, cmd: CommandOf<"APPEND">): Promise<string> {
  const name = storeName(s, cmd.mailbox);
  // RFC 9051 §6.3.12: [TRYCREATE] when the mailbox does not exist.
  const info = await s.backend.mailbox(name).catch((err) => {
    throw (err as { code?: string }).code === "NoSuchMailbox"
      ? no("TRYCREATE", "No such mailbox")
      : err;
  });
  const uids: number[] = [];
  // RFC 3502 §6.3.11: all or nothing would need a transaction across messages; we add
  // one at a time and report what was added (each is durable when acknowledged).
  let validity = info.uidValidity;
  for (const m of cmd.messages) {
    if (m.data.length === 0) throw bad("Empty message");
    const added = await s.backend.append(info.name, m.data, m.flags, m.date);
    uids.push(added.uid);
    validity = added.uidValidity;
  }
  // RFC 4315 §3: APPENDUID uidvalidity uid-set.
  return `[APPENDUID ${validity} ${uidSet(uids)}] APPEND completed`;
}

async function store(s: ImapSession, cmd: CommandOf<"STORE">): Promise<string> {
  writable(s);
  const sel = s.selected!;
  const uids = resolveSet(s, cmd.set, cmd.uid);
  const result = await s.backend.setFlags(sel.name, uids, {
    op: cmd.action,
    flags: cmd.flags,
    ...(cmd.unchangedSince !== undefined ? { unchangedSince: Number(cmd.unchangedSince) } : {}),
  });
  const condstore = s.enabled.has("CONDSTORE") || cmd.unchangedSince !== undefined;
  // Our own changes are answered here (or, with .SILENT, not at all: RFC 9051 §6.4.6),
  // not again from the store's events.
  for (const c of result.changed) sel.dropFlagChange(c.uid);
  if (!cmd.silent) {
    const lines: string[] = [];
    const changed = new Map(result.changed.map((c) => [c.uid, c]));
    // RFC 9051 §6.4.6: the new flags of every message named, changed or not.
    const failed = new Set(result.failed);
    const unchanged = uids.filter((u) => !changed.has(u) && !failed.has(u));
    const metas = unchanged.length > 0
      ? await s.backend.messages(sel.name, unchanged[0]!, unchanged.at(-1)!, unchanged.length)
      : [];
    const want = new Set(unchanged);
    const all = [
      ...result.changed,
      ...metas.filter((m) => want.has(m.uid)).map((m) => ({
        uid: m.uid,
        modseq: m.modseq,
        flags: m.flags,
      })),
    ].sort((a, b) => a.uid - b.uid);
    for (const m of all) {
      const seq = sel.seqOf(m.uid);
      if (seq === undefined) continue;
      const uid = cmd.uid ? `UID ${m.uid} ` : "";
      const modseq = condstore ? ` MODSEQ (${m.modseq})` : "";
      lines.push(`* ${seq} FETCH (${uid}FLAGS ${flagList(m.flags)}${modseq})`);
    }
    if (lines.length > 0) await s.send(lines.join("\r\n"));
  } else if (condstore) {
    // RFC 7162 §3.1.3: with .SILENT, MODSEQ is still reported for changed messages.
    const lines = result.changed.map((c) => {
      const uid = cmd.uid ? `UID ${c.uid} ` : "";
      return `* ${sel.seqOf(c.uid)} FETCH (${uid}MODSEQ (${c.modseq}))`;
    });
    if (lines.length > 0) await s.send(lines.join("\r\n"));
  }
  if (result.failed.length > 0) {
    // RFC 7162 §3.1.3: MODIFIED lists what UNCHANGEDSINCE stopped.
    const set = cmd.uid
      ? result.failed
      : result.failed.map((u) => sel.seqOf(u)!).sort((a, b) => a - b);
    return `[MODIFIED ${uidSet(set)}] Conditional STORE failed`;
  }
  return "STORE completed";
}

async function expunge(s: ImapSession, cmd: CommandOf<"EXPUNGE">): Promise<string> {
  writable(s);
  const sel = s.selected!;
  const uids = cmd.uid ? resolveSet(s, cmd.set, true) : undefined;
  if (uids && uids.length === 0) return "EXPUNGE completed";
  await s.backend.expunge(sel.name, uids);
  // The store's events (posted before its answer) are queued; the session flushes them.
  return "EXPUNGE completed";
}

async function copyOrMove(s: ImapSession, cmd: CommandOf<"COPY" | "MOVE">): Promise<string> {
  const sel = s.selected!;
  if (cmd.name === "MOVE") writable(s);
  const uids = resolveSet(s, cmd.set, cmd.uid);
  const target = storeName(s, cmd.mailbox);
  await s.backend.mailbox(target).catch((err) => {
    throw (err as { code?: string }).code === "NoSuchMailbox"
      ? no("TRYCREATE", "No such mailbox")
      : err;
  });
  if (uids.length === 0) return `${cmd.name} completed`;
  const result = cmd.name === "MOVE"
    ? await s.backend.move(sel.name, uids, target)
    : await s.backend.copy(sel.name, uids, target);
  if (result.mapping.length === 0) return `${cmd.name} completed`;
  // RFC 4315 §3 COPYUID; for MOVE it goes in an untagged OK before the expunges
  // (RFC 6851 §4.3).
  const copyUid = `[COPYUID ${result.uidValidity} ${uidSet(result.mapping.map(([a]) => a))} ${
    uidSet(result.mapping.map(([, b]) => b))
  }]`;
  if (cmd.name === "MOVE") {
    await s.send(`* OK ${copyUid} Moved`);
    return "MOVE completed";
  }
  return `${copyUid} COPY completed`;
}

async function search(s: ImapSession, cmd: CommandOf<"SEARCH">): Promise<string> {
  const sel = s.selected!;
  if (cmd.charset !== undefined && !/^(US-ASCII|UTF-8)$/i.test(cmd.charset)) {
    throw no("BADCHARSET", "Only UTF-8 and US-ASCII are supported");
  }
  const criteria = toCriteria(s, cmd.criteria, (set, uid) => resolveSet(s, set, uid));
  const found: number[] = [];
  let highestModseq = 0;
  for (let afterUid = 0;;) {
    const page = await s.backend.search(sel.name, criteria, { afterUid, limit: 10_000 });
    for (const uid of page.uids) if (sel.seqOf(uid) !== undefined) found.push(uid);
    highestModseq = Math.max(highestModseq, page.highestModseq ?? 0);
    if (!page.more || page.uids.length === 0) break;
    afterUid = page.uids.at(-1)!;
  }
  const numbers = cmd.uid ? found : found.map((u) => sel.seqOf(u)!);
  const returns = cmd.returns ?? (s.enabled.has("IMAP4REV2") ? ["ALL" as const] : undefined);
  if (returns === undefined) {
    // RFC 3501 §7.2.5 SEARCH response; RFC 7162 §3.1.5 MODSEQ when asked.
    const modseq = highestModseq > 0 && found.length > 0 ? ` (MODSEQ ${highestModseq})` : "";
    await s.send(`* SEARCH${numbers.map((n) => ` ${n}`).join("")}${modseq}`);
    return "SEARCH completed";
  }
  const want = new Set(returns.length === 0 ? ["ALL"] : returns);
  if (want.has("SAVE")) {
    savedResults.set(s, found);
    // RFC 5182 §2.1: SAVE alone returns no ESEARCH data.
    if (want.size === 1) return "SEARCH completed";
  }
  const parts = [`* ESEARCH (TAG "${cmd.tag}")`];
  if (cmd.uid) parts.push("UID");
  if (numbers.length > 0) {
    if (want.has("MIN")) parts.push(`MIN ${numbers[0]}`);
    if (want.has("MAX")) parts.push(`MAX ${numbers.at(-1)}`);
    if (want.has("ALL")) parts.push(`ALL ${uidSet(numbers)}`);
  }
  if (want.has("COUNT")) parts.push(`COUNT ${numbers.length}`);
  if (highestModseq > 0 && numbers.length > 0) parts.push(`MODSEQ ${highestModseq}`);
  await s.send(parts.join(" "));
  return "SEARCH completed";
}

const plain = (cmd: { uid: boolean }) => !cmd.uid;

export const messageCommands: {
  [N in "APPEND" | "STORE" | "EXPUNGE" | "COPY" | "MOVE" | "SEARCH" | "FETCH" | "SORT" | "THREAD"]:
    CommandEntry<N>;
} = {
  APPEND: { states: authed, run: append },
  // RFC 9051 §7.5.1: no EXPUNGE during FETCH, STORE, SEARCH (their UID forms may).
  STORE: { states: selectedOnly, run: store, holdsExpunge: plain },
  FETCH: { states: selectedOnly, run: fetch, holdsExpunge: plain },
  SEARCH: { states: selectedOnly, run: search, holdsExpunge: plain },
  EXPUNGE: { states: selectedOnly, run: expunge },
  COPY: { states: selectedOnly, run: copyOrMove },
  MOVE: { states: selectedOnly, run: copyOrMove },
  SORT: { states: selectedOnly, run: () => Promise.reject(no("CANNOT", "SORT not available")) },
  THREAD: { states: selectedOnly, run: () => Promise.reject(no("CANNOT", "THREAD not available")) },
};
