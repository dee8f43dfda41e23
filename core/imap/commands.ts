/**
 * The command table: for every verb, the states that allow it (RFC 9051 §6) and its
 * handler. A handler returns the text of the tagged OK, or undefined when it answered
 * itself (IDLE, AUTHENTICATE, LOGOUT, STARTTLS). Handlers live in one module per group:
 * this one (any state, not authenticated), commands_mailbox.ts, commands_message.ts.
 */

import {
  any,
  authed,
  type CommandEntry,
  type CommandOf,
  notAuthed,
  type SessionState,
} from "./_command_table.ts";
import type { ImapSession } from "./session.ts";
import { bad, no } from "./errors.ts";
import { parsePlain, SaslError } from "../auth/mod.ts";
import { isIdleDone, parseSaslResponse } from "./parser.ts";
import { nstr } from "./response.ts";
import { mailboxCommands } from "./commands_mailbox.ts";
import { messageCommands } from "./commands_message.ts";
import type { CommandName } from "./command.ts";

export type { SessionState };
export type CommandTable = { [N in CommandName]: CommandEntry<N> };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function decodeBase64(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw bad("Response is not base64");
  }
}

const toBase64 = (s: string) => btoa(String.fromCharCode(...encoder.encode(s)));

/**
 * Sends `+ challenge` and hands the client's base64 response to `next` (RFC 9051
 * §6.2.2); "*" cancels with BAD.
 */
function ask(
  s: ImapSession,
  tag: string,
  challenge: string,
  next: (response: string) => Promise<void>,
): Promise<void> {
  s.expectLine(tag, async (line) => {
    const r = parseSaslResponse(line);
    if (!("kind" in r)) throw bad("Response is not base64");
    if (r.kind === "cancel") throw bad("Authentication cancelled");
    await next(r.base64);
  });
  return s.send(`+ ${challenge}`);
}

async function authenticated(s: ImapSession, tag: string, account: string): Promise<void> {
  s.loggedIn(account);
  await s.send(`${tag} OK [CAPABILITY ${s.capabilities()}] Logged in`);
}

async function authenticate(s: ImapSession, cmd: CommandOf<"AUTHENTICATE">): Promise<undefined> {
  if (!s.authAllowed) throw no("PRIVACYREQUIRED", "Use TLS first");
  const { tag, mechanism } = cmd;
  let step: (response: string) => Promise<void>;
  if (mechanism === "PLAIN") {
    step = async (response) => {
      let creds;
      try {
        creds = parsePlain(decodeBase64(response));
      } catch (err) {
        if (err instanceof SaslError) throw bad("Malformed PLAIN message");
        throw err;
      }
      await authenticated(s, tag, await s.backend.login(creds.username, creds.password));
    };
  } else if (/^SCRAM-SHA-(1|256)$/.test(mechanism)) {
    step = async (response) => {
      const text = (b64: string) => decoder.decode(decodeBase64(b64));
      const started = await s.backend.scramStart(mechanism, text(response));
      await ask(s, tag, toBase64(started.serverFirst), async (final) => {
        const done = await s.backend.scramFinish(started.exchange, text(final));
        // RFC 5802 §5 / RFC 9051 §6.2.2: server-final goes as a last challenge, and
        // the client's (empty) answer completes the exchange.
        await ask(s, tag, toBase64(done.serverFinal), () => authenticated(s, tag, done.account));
      });
    };
  } else {
    throw no("CANNOT", "Unsupported mechanism");
  }
  // RFC 4959: an initial response saves a round trip; "=" is an empty one.
  if (cmd.initialResponse !== undefined) await step(cmd.initialResponse);
  else await ask(s, tag, "", step);
  return undefined;
}

function idle(s: ImapSession, cmd: CommandOf<"IDLE">): Promise<undefined> {
  // RFC 2177 / RFC 9051 §6.3.13: "+ idling", updates as they come, until DONE.
  s.idleTag = cmd.tag;
  s.expectLine(cmd.tag, async (line) => {
    s.idleTag = undefined;
    if (!isIdleDone(line)) throw bad("Expected DONE");
    if (s.state === "selected") await s.flushUpdates(true);
    await s.send(`${cmd.tag} OK IDLE terminated`);
  });
  return (async () => {
    await s.send("+ idling");
    if (s.state === "selected") await s.flushUpdates(true);
    return undefined;
  })();
}

export const commandTable: CommandTable = {
  CAPABILITY: {
    states: any,
    run: async (s) => (await s.send(`* CAPABILITY ${s.capabilities()}`), "CAPABILITY completed"),
  },
  NOOP: { states: any, run: () => Promise.resolve("NOOP completed") },
  LOGOUT: {
    states: [...any, "logout"],
    run: async (s, cmd) => {
      // RFC 9051 §6.1.3
      await s.send(`* BYE Logging out\r\n${cmd.tag} OK LOGOUT completed`);
      await s.backend.logout().catch(() => {});
      s.close();
      return undefined;
    },
  },
  STARTTLS: {
    states: notAuthed,
    run: async (s, cmd) => {
      if (!(s.conn.tlsMode === "starttls" && s.conn.tls === undefined)) {
        throw bad("STARTTLS not available");
      }
      // RFC 9051 §6.2.1: nothing the client pipelined after STARTTLS is acted on.
      s.framer.reset();
      const goAhead = `${cmd.tag} OK Begin TLS negotiation now`;
      s.conn.log.traceProtocol("S", goAhead);
      try {
        await s.conn.startTls(`${goAhead}\r\n`);
      } catch {
        s.close();
      }
      return undefined;
    },
  },
  AUTHENTICATE: { states: notAuthed, run: authenticate },
  LOGIN: {
    states: notAuthed,
    run: async (s, cmd) => {
      // RFC 9051 §6.2.3: never in clear.
      if (!s.authAllowed) throw no("PRIVACYREQUIRED", "Use TLS first");
      await authenticated(s, cmd.tag, await s.backend.login(cmd.username, cmd.password));
      return undefined;
    },
  },
  ENABLE: {
    states: authed,
    run: async (s, cmd) => {
      // RFC 5161 §3.1: report only what this command newly enabled.
      const known = new Set(["CONDSTORE", "UTF8=ACCEPT", "IMAP4REV2"]);
      const now = cmd.capabilities.filter((c) => known.has(c) && !s.enabled.has(c));
      for (const c of now) s.enabled.add(c);
      await s.send(
        `* ENABLED${now.map((c) => ` ${c === "IMAP4REV2" ? "IMAP4rev2" : c}`).join("")}`,
      );
      return "ENABLE completed";
    },
  },
  ID: {
    states: any,
    run: async (s, cmd) => {
      // RFC 2971 §3.1: log what the client says about itself; say little about us.
      if (cmd.params) s.conn.log.debug("client id", { id: JSON.stringify(cmd.params) });
      await s.send(`* ID ("name" ${nstr("Postern")})`);
      return "ID completed";
    },
  },
  IDLE: { states: authed, run: idle },
  NAMESPACE: {
    states: authed,
    // RFC 2342 / RFC 9051 §6.3.10: one personal namespace, "/" separator.
    run: async (s) => (await s.send(`* NAMESPACE (("" "/")) NIL NIL`), "NAMESPACE completed"),
  },
  COMPRESS: {
    states: authed,
    run: () => Promise.reject(no("CANNOT", "COMPRESS not available")),
  },
  ...mailboxCommands,
  ...messageCommands,
};
