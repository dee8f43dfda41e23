/**
 * The IMAP session (RFC 9051 IMAP4rev2, serving RFC 3501 IMAP4rev1 clients): bytes in
 * through the framer, commands through the parser, dispatched by the command table in
 * commands.ts, responses out. One instance per connection.
 *
 * Contract:
 * - States are string literals; which commands each state allows is data in the
 *   command table, checked once before dispatch (STYLE rule 8). A command not allowed
 *   in the current state gets `BAD`.
 * - Errors become responses in one place ({@linkcode ImapSession.run}): ImapError and
 *   known BackendError codes as `NO`/`BAD` with response codes, anything else is a bug,
 *   logged with its stack and answered `NO [SERVERBUG]`. A lost store session
 *   ("NoSession": store restarted, password changed) ends the connection with BYE.
 * - Changes by other sessions reach the client as untagged EXISTS/EXPUNGE/FETCH after
 *   each command in the selected state, and at once during IDLE; EXPUNGE is held back
 *   during FETCH, STORE and SEARCH (RFC 9051 §7.5.1).
 * - After STARTTLS (and on COMPRESS) everything the client pipelined behind the
 *   command is discarded (RFC 9051 §6.2.1); the runtime drops bytes still in flight.
 * - Limits: the framer enforces line, literal and command sizes (limits.ts); errors
 *   are counted and the connection closed past {@linkcode maxErrors}.
 */

import type { Conn, Session } from "../wire/conn.ts";
import type { ImapBackend, StoreEvent } from "./backend.ts";
import { type FramedCommand, type FramerError, type FramerEvent, ImapFramer } from "./framer.ts";
import { parseCommand, ParseError } from "./parser.ts";
import type { Command } from "./command.ts";
import { commandTable, type SessionState } from "./commands.ts";
import { bad, type ImapError, isSessionLost, toImapError } from "./errors.ts";
import type { SelectedMailbox } from "./selected.ts";
import { flagList } from "./response.ts";

/** Errors (BAD responses) tolerated per connection before it is closed. */
export const maxErrors = 20;
/** Default APPENDLIMIT (RFC 7889) when the backend states none. */
export const defaultAppendLimit = 64 * 1024 * 1024;

export interface ImapSessionOptions {
  appendLimit?: number;
  /** Allow LOGIN and AUTHENTICATE without TLS from any address (default: loopback only). */
  allowPlaintextAuth?: boolean;
}

export class ImapSession implements Session {
  readonly framer: ImapFramer;
  readonly appendLimit: number;
  state: SessionState = "notAuthenticated";
  account: string | undefined;
  selected: SelectedMailbox | undefined;
  /** ENABLEd extensions, upper-cased (RFC 5161): CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4REV2. */
  readonly enabled = new Set<string>();
  /** Handles the next raw line (AUTHENTICATE responses, IDLE's DONE), for a tag. */
  #lineHandler: { tag: string; fn: (line: Uint8Array) => Promise<void> } | undefined;
  /** Tag of the IDLE in progress. */
  idleTag: string | undefined;
  #errors = 0;
  #done = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    readonly conn: Conn,
    readonly backend: ImapBackend,
    readonly options: ImapSessionOptions = {},
  ) {
    this.appendLimit = options.appendLimit ?? defaultAppendLimit;
    this.framer = new ImapFramer({ appendLimit: this.appendLimit });
  }

  /** True when UTF-8 may be sent in strings and mailbox names (RFC 6855, RFC 9051). */
  get utf8(): boolean {
    return this.enabled.has("UTF8=ACCEPT") || this.enabled.has("IMAP4REV2");
  }

  /** Whether credentials may be sent on this connection now. */
  get authAllowed(): boolean {
    if (this.conn.tls !== undefined || this.options.allowPlaintextAuth) return true;
    const ip = this.conn.remote.address;
    return ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
  }

  start(): Promise<void> {
    // RFC 9051 §7.1.1: greeting, with capabilities to save a round trip.
    return this.send(`* OK [CAPABILITY ${this.capabilities()}] Postern ready`);
  }

  capabilities(): string {
    const caps = ["IMAP4rev1", "IMAP4rev2"];
    if (this.state === "notAuthenticated") {
      if (this.conn.tlsMode === "starttls" && this.conn.tls === undefined) caps.push("STARTTLS");
      if (this.authAllowed) caps.push("AUTH=PLAIN", "AUTH=SCRAM-SHA-256", "AUTH=SCRAM-SHA-1");
      // RFC 9051 §6.2.3: LOGINDISABLED while credentials would travel in clear.
      else caps.push("LOGINDISABLED");
    }
    caps.push(
      "LITERAL+",
      "SASL-IR",
      "ENABLE",
      "ID",
      "IDLE",
      "NAMESPACE",
      "UIDPLUS",
      "MOVE",
      "UNSELECT",
      "CHILDREN",
      "SPECIAL-USE",
      "ESEARCH",
      "SEARCHRES",
      "LIST-EXTENDED",
      "LIST-STATUS",
      "STATUS=SIZE",
      `APPENDLIMIT=${this.appendLimit}`,
      "SAVEDATE",
      "UTF8=ACCEPT",
      "QUOTA",
      "QUOTA=RES-STORAGE",
      "QUOTA=RES-MESSAGE",
      "MULTIAPPEND",
      "CONDSTORE",
      "BINARY",
    );
    return caps.join(" ");
  }

  async receive(bytes: Uint8Array): Promise<void> {
    let events = this.framer.push(bytes);
    while (events.length > 0 && !this.#done) {
      for (const event of events) {
        if (this.#done) return;
        await this.#event(event);
      }
      events = this.framer.push();
    }
  }

  #event(event: FramerEvent): Promise<void> {
    switch (event.kind) {
      case "continue":
        // RFC 9051 §7.5: the client waits for this before sending a literal.
        return this.send(`+ ${event.text}`);
      case "line": {
        const handler = this.#lineHandler;
        this.#lineHandler = undefined;
        if (!handler) return Promise.resolve();
        return this.#guard(handler.tag, () => handler.fn(event.line));
      }
      case "error":
        return this.#framerError(event.error);
      case "command":
        return this.#command(event.command);
    }
  }

  async #framerError(error: FramerError): Promise<void> {
    const tag = error.tag ?? "*";
    if (error.fatal) {
      await this.send(`* BYE [TOOBIG] Command too long`);
      return this.close();
    }
    // RFC 7889 §4, RFC 7888 §5, RFC 4469 §4: TOOBIG for message data over the limit.
    const status = error.append && error.sync ? "NO" : "BAD";
    await this.send(`${tag} ${status} [TOOBIG] ${error.message}`);
    await this.#countError();
  }

  async #command(framed: FramedCommand): Promise<void> {
    const parsed = parseCommand(framed);
    if (parsed instanceof ParseError) {
      this.conn.log.traceProtocol("C", `(unparsable: ${parsed.message})`);
      if (parsed.tag === undefined) await this.send(`* BAD Syntax error`);
      else {
        const what = parsed.code === "UnknownCommand" ? "Unknown command" : "Syntax error";
        await this.send(`${parsed.tag} BAD ${what}`);
      }
      return this.#countError();
    }
    this.conn.log.traceProtocol("C", `${parsed.tag} ${parsed.name}`);
    await this.#guard(parsed.tag, () => this.#dispatch(parsed));
  }

  async #dispatch(cmd: Command): Promise<void> {
    const entry = commandTable[cmd.name];
    if (!entry.states.includes(this.state)) {
      throw bad(`${cmd.name} not allowed now`);
    }
    const text = await entry.run(this, cmd as never);
    if (text === undefined) return; // the handler answered itself (IDLE, AUTHENTICATE, ...)
    if (this.state === "selected") await this.flushUpdates(!entry.holdsExpunge?.(cmd as never));
    await this.send(`${cmd.tag} OK ${text}`);
  }

  /** Runs `fn`, answering failures for `tag` (or closing when the store session is lost). */
  async #guard(tag: string | undefined, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (this.#done) return;
      if (isSessionLost(err)) {
        await this.send("* BYE [UNAVAILABLE] Session ended, log in again");
        return this.close();
      }
      const expected: ImapError | undefined = toImapError(err);
      if (!expected) {
        this.conn.log.error("command failed", { err: err as Error });
        await this.send(`${tag ?? "*"} NO [SERVERBUG] Internal error`);
        return;
      }
      const code = expected.code ? `[${expected.code}] ` : "";
      await this.send(`${tag ?? "*"} ${expected.status} ${code}${expected.message}`);
      if (expected.status === "BAD") await this.#countError();
    }
  }

  /**
   * Has the next line read raw and given to `fn`; failures are answered for `tag`.
   * Commands that wait for client lines (AUTHENTICATE, IDLE) return at once and go on
   * from here, since the next bytes arrive in a later receive().
   */
  expectLine(tag: string, fn: (line: Uint8Array) => Promise<void>): void {
    this.#lineHandler = { tag, fn };
    this.framer.expectLine();
  }

  /** Logged in: start receiving the account's changes. */
  loggedIn(account: string): void {
    this.account = account;
    this.state = "authenticated";
    this.#unsubscribe = this.backend.subscribeEvents((e) => this.#storeEvent(e));
  }

  #storeEvent(event: StoreEvent): void {
    const sel = this.selected;
    if (!sel || event.kind === "mailboxes" || event.mailbox !== sel.name) return;
    switch (event.kind) {
      case "added":
        sel.added(event.uid);
        break;
      case "expunged":
        sel.expunged(event.uids);
        break;
      case "flags":
        for (const c of event.changed) sel.flagsChanged(c.uid, c.flags, c.modseq);
        break;
    }
    if (this.idleTag !== undefined) void this.flushUpdates(true);
  }

  /** Sends what changed in the selected mailbox since the client was last told. */
  async flushUpdates(allowExpunge: boolean): Promise<void> {
    const sel = this.selected;
    if (!sel || !sel.pending) return;
    const out = sel.flush(allowExpunge);
    const lines: string[] = [];
    for (const seq of out.expunged) lines.push(`* ${seq} EXPUNGE`);
    if (out.vanished.length > 0) lines.push(`* VANISHED ${uidSet(out.vanished)}`);
    if (out.exists !== undefined) lines.push(`* ${out.exists} EXISTS`);
    const condstore = this.enabled.has("CONDSTORE") || this.enabled.has("QRESYNC");
    for (const f of out.flags) {
      const modseq = condstore ? ` MODSEQ (${f.modseq})` : "";
      lines.push(`* ${f.seq} FETCH (UID ${f.uid} FLAGS ${flagList(f.flags)}${modseq})`);
    }
    if (lines.length > 0) await this.send(lines.join("\r\n"));
  }

  async expire(reason: "idle" | "session"): Promise<void> {
    // RFC 9051 §5.4: the autologout timer; say BYE first.
    await this.send(`* BYE ${reason === "idle" ? "Autologout, idle" : "Session too long"}`);
    this.close();
  }

  async drain(): Promise<void> {
    // RFC 9051 §7.1.5: BYE when the server is shutting down.
    await this.send("* BYE [UNAVAILABLE] Server shutting down");
    this.close();
  }

  closed(): void {
    this.#done = true;
    this.#unsubscribe?.();
  }

  async #countError(): Promise<void> {
    if (++this.#errors < maxErrors) return;
    await this.send("* BYE Too many errors");
    this.close();
  }

  /** Writes response lines (CRLF added). */
  send(text: string): Promise<void> {
    for (const l of text.split("\r\n")) this.conn.log.traceProtocol("S", l);
    return this.conn.write(text + "\r\n");
  }

  /** Writes raw bytes (literal data). */
  write(bytes: Uint8Array | string): Promise<void> {
    return this.conn.write(bytes);
  }

  get done(): boolean {
    return this.#done;
  }

  close(): void {
    this.#done = true;
    this.state = "logout";
    this.conn.close();
  }
}

/** A UID set in compact form: "1:3,7,9:10" (RFC 9051 §9 sequence-set). */
export function uidSet(uids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < uids.length;) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    out.push(i === j ? `${uids[i]}` : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return out.join(",");
}
