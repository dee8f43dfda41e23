/**
 * Mailbox commands: SELECT/EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE/UNSUBSCRIBE,
 * LIST (with RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE),
 * LSUB, STATUS, CLOSE, UNSELECT, CHECK, and RFC 9208 QUOTA.
 *
 * Names: the store calls the inbox "Inbox" and uses "/" as separator; clients see
 * "INBOX" (RFC 9051 §5.1). Without UTF-8 (IMAP4rev1 clients that did not ENABLE
 * UTF8=ACCEPT) names travel in modified UTF-7 (RFC 3501 §5.1.3).
 */

import type { StatusItem } from "./command.ts";
import type { MailboxInfo } from "./backend.ts";
import type { ImapSession } from "./session.ts";
import { authed, type CommandEntry, type CommandOf, selectedOnly } from "./_command_table.ts";
import { bad, no } from "./errors.ts";
import { decodeModifiedUtf7, encodeModifiedUtf7, Mutf7Error } from "./mutf7.ts";
import { flagList, str } from "./response.ts";
import { SelectedMailbox } from "./selected.ts";

/** Flags we define (RFC 9051 §2.3.2) and the keywords clients rely on (RFC 5788 registry). */
const mailboxFlags = [
  "\\Answered",
  "\\Flagged",
  "\\Deleted",
  "\\Seen",
  "\\Draft",
  "$Forwarded",
  "$MDNSent",
  "$Junk",
  "$NotJunk",
  "$Phishing",
];

/** A client's mailbox name as the store names it. @throws BAD for bad modified UTF-7 */
export function storeName(s: ImapSession, name: string): string {
  if (s.utf8) return name;
  try {
    return decodeModifiedUtf7(name);
  } catch (err) {
    if (err instanceof Mutf7Error) throw bad("Mailbox name is not modified UTF-7");
    throw err;
  }
}

/** A store mailbox name as the client sees it, quoted. */
export function clientName(s: ImapSession, name: string): string {
  const shown = name === "Inbox" || name.startsWith("Inbox/") ? `INBOX${name.slice(5)}` : name;
  return str(s.utf8 ? shown : encodeModifiedUtf7(shown), s.utf8);
}

async function select(s: ImapSession, cmd: CommandOf<"SELECT" | "EXAMINE">): Promise<string> {
  const hadSelected = s.selected !== undefined;
  // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected.
  s.selected = undefined;
  s.state = "authenticated";
  if (hadSelected) await s.send("* OK [CLOSED] Previous mailbox closed"); // RFC 7162 §3.2.11
  if (cmd.qresync) throw bad("QRESYNC is not enabled");
  if (cmd.condstore) s.enabled.add("CONDSTORE"); // RFC 7162 §3.1.8
  const name = storeName(s, cmd.mailbox);
  const info = await s.backend.mailbox(name);
  const uids = await s.backend.uids(info.name);
  const readOnly = cmd.name === "EXAMINE";
  const sel = new SelectedMailbox(info.name, info.uidValidity, uids, readOnly);
  const lines = [
    `* ${sel.exists} EXISTS`,
    `* FLAGS ${flagList(mailboxFlags)}`,
    `* OK [PERMANENTFLAGS ${flagList(readOnly ? [] : [...mailboxFlags, "\\*"])}] Flags`,
    `* OK [UIDVALIDITY ${info.uidValidity}] UIDs valid`,
    `* OK [UIDNEXT ${info.uidNext}] Predicted next UID`,
  ];
  if (!s.enabled.has("IMAP4REV2")) {
    // RFC 3501 §6.3.1: RECENT (always 0 here: we keep no \Recent) and the first unseen.
    lines.push("* 0 RECENT");
    if (info.unseen > 0) {
      const first = await s.backend.search(info.name, { flag: "\\Seen", set: false }, { limit: 1 });
      const seq = first.uids[0] === undefined ? undefined : sel.seqOf(first.uids[0]);
      if (seq !== undefined) lines.push(`* OK [UNSEEN ${seq}] First unseen`);
    }
  } else {
    // RFC 9051 §6.3.2: the mailbox's name as the server knows it.
    lines.push(`* LIST () "/" ${clientName(s, info.name)}`);
  }
  if (s.enabled.has("CONDSTORE")) lines.push(`* OK [HIGHESTMODSEQ ${info.highestModseq}] Ok`);
  await s.send(lines.join("\r\n"));
  s.selected = sel;
  s.state = "selected";
  return `[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${cmd.name} completed`;
}

/** STATUS data items for a mailbox (RFC 9051 §6.3.11, RFC 8438 SIZE, RFC 7162). */
async function statusItems(
  s: ImapSession,
  info: MailboxInfo,
  items: readonly StatusItem[],
): Promise<string> {
  const out: string[] = [];
  for (const item of items) {
    switch (item) {
      case "MESSAGES":
        out.push(`MESSAGES ${info.messages}`);
        break;
      case "UIDNEXT":
        out.push(`UIDNEXT ${info.uidNext}`);
        break;
      case "UIDVALIDITY":
        out.push(`UIDVALIDITY ${info.uidValidity}`);
        break;
      case "UNSEEN":
        out.push(`UNSEEN ${info.unseen}`);
        break;
      case "SIZE":
        out.push(`SIZE ${info.size}`);
        break;
      case "RECENT":
        out.push("RECENT 0");
        break;
      case "HIGHESTMODSEQ":
        out.push(`HIGHESTMODSEQ ${info.highestModseq}`);
        break;
      case "APPENDLIMIT":
        out.push(`APPENDLIMIT ${s.appendLimit}`);
        break;
      case "DELETED": {
        const r = await s.backend.search(info.name, { flag: "\\Deleted", set: true }, {
          limit: 100_000,
        });
        out.push(`DELETED ${r.uids.length}`);
        break;
      }
    }
  }
  return `(${out.join(" ")})`;
}

/** RFC 9051 §6.3.9 pattern → RegExp: `*` matches anything, `%` anything but "/". */
function patternRegExp(reference: string, pattern: string): RegExp {
  const full = pattern.startsWith("/") ? pattern : reference + pattern;
  const body = [...full].map((c) =>
    c === "*" ? ".*" : c === "%" ? "[^/]*" : c.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
  ).join("");
  return new RegExp(`^${body}$`);
}

/** The client-visible spelling used for matching: INBOX in upper case. */
const visible = (name: string) =>
  name === "Inbox" || name.startsWith("Inbox/") ? `INBOX${name.slice(5)}` : name;

async function list(s: ImapSession, cmd: CommandOf<"LIST">): Promise<string> {
  // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and root.
  if (cmd.patterns.length === 1 && cmd.patterns[0] === "") {
    await s.send(`* LIST (\\Noselect) "/" ""`);
    return "LIST completed";
  }
  const boxes = await s.backend.mailboxes();
  const reference = storeName(s, cmd.reference);
  const patterns = cmd.patterns.map((p) => {
    const name = storeName(s, p);
    // INBOX matches case-insensitively (RFC 9051 §5.1).
    return patternRegExp(reference, /^inbox(\/|$)/i.test(name) ? `INBOX${name.slice(5)}` : name);
  });
  const subscribedOnly = cmd.select.includes("SUBSCRIBED");
  const specialOnly = cmd.select.includes("SPECIAL-USE");
  const returns = new Set(cmd.returns.map((r) => r.option));
  const statusReturn = cmd.returns.find((r) => r.option === "STATUS");
  const names = new Set(boxes.map((b) => b.name));
  const lines: string[] = [];
  for (const box of boxes) {
    if (!patterns.some((re) => re.test(visible(box.name)))) continue;
    if (subscribedOnly && !box.subscribed) continue;
    if (specialOnly && !box.specialUse) continue;
    const attrs: string[] = [];
    const hasChildren = [...names].some((n) => n.startsWith(`${box.name}/`));
    // RFC 3348 / RFC 5258 §4: CHILDREN attributes always (cheap here).
    attrs.push(hasChildren ? "\\HasChildren" : "\\HasNoChildren");
    if (box.specialUse && (!cmd.extended || specialOnly || returns.has("SPECIAL-USE") || true)) {
      attrs.push(box.specialUse);
    }
    if (box.subscribed && (subscribedOnly || returns.has("SUBSCRIBED"))) attrs.push("\\Subscribed");
    lines.push(`* LIST (${attrs.join(" ")}) "/" ${clientName(s, box.name)}`);
    if (statusReturn && statusReturn.option === "STATUS") {
      // RFC 5819 §2: STATUS right after the mailbox's LIST.
      lines.push(
        `* STATUS ${clientName(s, box.name)} ${await statusItems(s, box, statusReturn.items)}`,
      );
    }
  }
  if (lines.length > 0) await s.send(lines.join("\r\n"));
  return "LIST completed";
}

async function lsub(s: ImapSession, cmd: CommandOf<"LSUB">): Promise<string> {
  const boxes = await s.backend.mailboxes();
  const re = patternRegExp(storeName(s, cmd.reference), storeName(s, cmd.pattern));
  const lines = boxes.filter((b) => b.subscribed && re.test(visible(b.name))).map((b) =>
    `* LSUB () "/" ${clientName(s, b.name)}`
  );
  if (lines.length > 0) await s.send(lines.join("\r\n"));
  return "LSUB completed";
}

const specialUses = new Set([
  "\\All",
  "\\Archive",
  "\\Drafts",
  "\\Flagged",
  "\\Junk",
  "\\Sent",
  "\\Trash",
]);

export const mailboxCommands: {
  [
    N in
      | "SELECT"
      | "EXAMINE"
      | "CREATE"
      | "DELETE"
      | "RENAME"
      | "SUBSCRIBE"
      | "UNSUBSCRIBE"
      | "LIST"
      | "LSUB"
      | "STATUS"
      | "CLOSE"
      | "UNSELECT"
      | "CHECK"
      | "GETQUOTA"
      | "GETQUOTAROOT"
      | "SETQUOTA"
  ]: CommandEntry<N>;
} = {
  SELECT: { states: authed, run: select },
  EXAMINE: { states: authed, run: select },
  CREATE: {
    states: authed,
    run: async (s, cmd) => {
      const use = cmd.specialUse ?? [];
      // RFC 6154 §3: one attribute we know, or NO [USEATTR].
      if (use.length > 1 || (use[0] !== undefined && !specialUses.has(use[0]))) {
        throw no("USEATTR", "Unsupported special-use attribute");
      }
      // RFC 9051 §6.3.4: a trailing separator only says the client wants children.
      const name = storeName(s, cmd.mailbox).replace(/\/$/, "");
      if (/^inbox$/i.test(name)) throw no("ALREADYEXISTS", "Mailbox exists");
      await s.backend.createMailbox(name, use[0]);
      return "CREATE completed";
    },
  },
  DELETE: {
    states: authed,
    run: async (s, cmd) => {
      const name = storeName(s, cmd.mailbox);
      if (/^inbox$/i.test(name)) throw no("CANNOT", "Cannot delete INBOX");
      await s.backend.deleteMailbox(name);
      return "DELETE completed";
    },
  },
  RENAME: {
    states: authed,
    run: async (s, cmd) => {
      await s.backend.renameMailbox(storeName(s, cmd.from), storeName(s, cmd.to));
      return "RENAME completed";
    },
  },
  SUBSCRIBE: {
    states: authed,
    run: async (
      s,
      cmd,
    ) => (await s.backend.subscribe(storeName(s, cmd.mailbox), true), "SUBSCRIBE completed"),
  },
  UNSUBSCRIBE: {
    states: authed,
    run: async (
      s,
      cmd,
    ) => (await s.backend.subscribe(storeName(s, cmd.mailbox), false), "UNSUBSCRIBE completed"),
  },
  LIST: { states: authed, run: list },
  LSUB: { states: authed, run: lsub },
  STATUS: {
    states: authed,
    run: async (s, cmd) => {
      const info = await s.backend.mailbox(storeName(s, cmd.mailbox));
      await s.send(`* STATUS ${clientName(s, info.name)} ${await statusItems(s, info, cmd.items)}`);
      return "STATUS completed";
    },
  },
  CLOSE: {
    states: selectedOnly,
    run: async (s) => {
      const sel = s.selected!;
      // RFC 9051 §6.4.1: expunge \Deleted messages silently unless read-only.
      if (!sel.readOnly) {
        const deleted = await s.backend.search(sel.name, { flag: "\\Deleted", set: true }, {
          limit: 100_000,
        });
        if (deleted.uids.length > 0) await s.backend.expunge(sel.name, deleted.uids);
      }
      s.selected = undefined;
      s.state = "authenticated";
      return "CLOSE completed";
    },
  },
  UNSELECT: {
    states: selectedOnly,
    run: (s) => {
      s.selected = undefined;
      s.state = "authenticated";
      return Promise.resolve("UNSELECT completed");
    },
  },
  CHECK: { states: selectedOnly, run: () => Promise.resolve("CHECK completed") },
  GETQUOTAROOT: {
    states: authed,
    run: async (s, cmd) => {
      await s.backend.mailbox(storeName(s, cmd.mailbox));
      // RFC 9208 §4.1.2: one root, "", for the whole account.
      await s.send(`* QUOTAROOT ${clientName(s, storeName(s, cmd.mailbox))} ""`);
      await s.send(await quotaLine(s));
      return "GETQUOTAROOT completed";
    },
  },
  GETQUOTA: {
    states: authed,
    run: async (s, cmd) => {
      if (cmd.root !== "") throw no("NONEXISTENT", "No such quota root");
      await s.send(await quotaLine(s));
      return "GETQUOTA completed";
    },
  },
  SETQUOTA: {
    states: authed,
    // RFC 9208 §4.1.3: quotas are the administrator's (domains.yaml).
    run: () => Promise.reject(no("NOPERM", "Quotas are set by the administrator")),
  },
};

async function quotaLine(s: ImapSession): Promise<string> {
  const q = await s.backend.quota();
  const parts: string[] = [];
  // RFC 9208 §5.1: STORAGE in units of 1024 octets.
  if (q.limit.size > 0) {
    parts.push(`STORAGE ${Math.ceil(q.usage.size / 1024)} ${Math.floor(q.limit.size / 1024)}`);
  }
  if (q.limit.messages > 0) parts.push(`MESSAGE ${q.usage.messages} ${q.limit.messages}`);
  return `* QUOTA "" (${parts.join(" ")})`;
}
