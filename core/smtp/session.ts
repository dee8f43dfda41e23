/**
 * The SMTP session: one state machine per connection, for port 25 delivery and for
 * message submission (RFC 6409). Bytes in, replies out, effects through the backend
 * (backend.ts). Verbs with more to them live in their own modules: _envelope.ts (MAIL,
 * RCPT), _auth.ts (AUTH), _message.ts (the end of a message), _ehlo.ts (capabilities).
 *
 * Implementation notes:
 * - Input is read in one of three modes: command lines (LineReader, capped at
 *   limits.ts `commandLineOctetsExtended`; also SASL responses during AUTH), DATA
 *   (DataReader) or one BDAT chunk (BdatReader). Lines are fed to the reader one at a
 *   time, so the bytes after DATA's 354 or a BDAT line go to the data reader, and the
 *   bytes after the data come back as commands (RFC 2920 pipelining): every complete
 *   command in a chunk runs in order, and replies are written in order.
 * - States and the verbs each allows are data (_state.ts), checked once before the
 *   exhaustive dispatch. The transaction is one object, replaced by #reset() on RSET,
 *   EHLO/HELO, STARTTLS and after every message.
 * - Errors are mapped to replies in one place (#guard): ReplyError is an expected
 *   refusal, SmtpSyntaxError goes through codes.ts `syntaxErrorReplies`, anything else
 *   is a bug: logged with its stack, answered 451 4.3.0 without details.
 * - A BDAT command is always followed by its chunk, so even a refused BDAT has its
 *   chunk read and discarded before the refusal: the session stays in step.
 * - Every 5xx reply but a size refusal counts as an error; at limits.ts `errors` the
 *   session replies 421 and closes. An HTTP request line as first command closes at
 *   once; an unknown or unparsable first command gets 500 and the connection closes
 *   (STYLE.md §13).
 * - After STARTTLS, everything the client pipelined behind it is discarded and the
 *   session starts over: no EHLO, no transaction, no login (RFC 3207 §4.2).
 * - `pedantic` turns each leniency of the parser (command.ts `Leniency`) and bare-LF
 *   command lines into 501 5.5.2.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1
 */

import type { Conn, Session } from "../wire/conn.ts";
import { type Line, LineReader, LineTooLongError } from "../wire/lines.ts";
import type { Command } from "./command.ts";
import { reply, type ReplyName, syntaxErrorReplies } from "./codes.ts";
import { concat, DataReader, type DataResult, ReceivedCounter } from "./data.ts";
import { BdatReader, type BdatResult } from "./bdat.ts";
import { smtpLimits } from "./limits.ts";
import { parseCommand, SmtpSyntaxError } from "./parser.ts";
import {
  allowedVerbs,
  assertNever,
  type Greeting,
  newTransaction,
  refusal,
  ReplyError,
  type SessionCore,
  type SmtpSessionOptions,
  type State,
  type Transaction,
} from "./_state.ts";
import { type AuthExchange, type AuthStep, startAuth } from "./_auth.ts";
import { capabilities, startTlsOffered } from "./_ehlo.ts";
import { mail, rcpt } from "./_envelope.ts";
import { dataRefusal, finishMessage } from "./_message.ts";
import { hostText } from "./_headers.ts";

export type { SmtpProtocol, SmtpSessionOptions } from "./_state.ts";

const decoder = new TextDecoder();
const empty = new Uint8Array(0);

type Mode =
  | { kind: "command" }
  | { kind: "auth"; exchange: AuthExchange }
  | { kind: "data"; reader: DataReader }
  | { kind: "bdat"; reader: BdatReader; last: boolean; refused: ReplyError | undefined };

/** One SMTP connection. */
export class SmtpSession implements Session, SessionCore {
  readonly options: SessionCore["options"];
  state: State = "greeted";
  tx: Transaction = newTransaction();
  greeting: Greeting | undefined;
  account: string | undefined;
  delivered = 0;
  #reader = new LineReader(smtpLimits.commandLineOctetsExtended);
  #mode: Mode = { kind: "command" };
  #errors = 0;
  #commands = 0;
  #done = false;

  constructor(readonly conn: Conn, options: SmtpSessionOptions) {
    this.options = {
      pedantic: false,
      allowInsecureAuth: false,
      requireTls: false,
      maxMessageSize: smtpLimits.messageOctets,
      maxRecipients: smtpLimits.recipients,
      maxHoldSeconds: 30 * 24 * 3600,
      now: () => new Date(),
      ...options,
    };
  }

  start(): Promise<void> {
    // RFC 5321 §4.3.1: greeting.
    return this.#reply("greeting", `${this.conn.hostname} ESMTP Postern`);
  }

  async receive(bytes: Uint8Array): Promise<void> {
    let input = bytes;
    while (input.length > 0 && !this.#done) {
      const mode = this.#mode;
      if (mode.kind === "data" || mode.kind === "bdat") {
        const result = mode.reader.push(input);
        if (result === undefined) return;
        input = result.rest;
        this.#mode = { kind: "command" };
        await this.#guard(() =>
          mode.kind === "data"
            ? this.#endData(result as DataResult)
            : this.#endChunk(mode, result as BdatResult)
        );
        continue;
      }
      const lf = input.indexOf(0x0a);
      const part = lf < 0 ? input : input.subarray(0, lf + 1);
      input = input.subarray(part.length);
      let line: Line | undefined;
      try {
        line = this.#reader.push(part)[0];
      } catch (err) {
        if (!(err instanceof LineTooLongError)) throw err;
        // RFC 5321 §4.5.3.1.4 / §4.2.2: 500 line too long. Then close: the reader dropped
        // the line mid-way, so its tail would otherwise be read as a fresh command.
        await this.#reply("lineTooLong", "Line too long");
        return this.#close();
      }
      if (line === undefined) continue;
      if (await this.#line(line)) return; // STARTTLS: the rest was plaintext; drop it.
    }
  }

  async expire(reason: "idle" | "session"): Promise<void> {
    // RFC 5321 §4.5.3.2: the server may close after a timeout, replying 421.
    const text = reason === "idle" ? "Idle timeout" : "Session too long";
    await this.#reply("timeout", `${this.conn.hostname} ${text}, closing connection`);
    this.#close();
  }

  async drain(): Promise<void> {
    // RFC 5321 §3.8: 421 when the service must shut down.
    await this.#reply("shuttingDown", `${this.conn.hostname} Shutting down, try again later`);
    this.#close();
  }

  closed(): void {
    this.#done = true;
  }

  /** Runs one line; returns true when TLS was started. */
  async #line(line: Line): Promise<boolean> {
    const mode = this.#mode;
    if (mode.kind === "auth") {
      this.conn.log.traceProtocol("C", decoder.decode(line.bytes), "auth");
      await this.#guard(async () => {
        this.#mode = { kind: "command" };
        await this.#authStep(
          mode.exchange,
          await mode.exchange.respond(decoder.decode(line.bytes)),
        );
      });
      return false;
    }
    const first = ++this.#commands === 1;
    const cmd = await this.#parse(line, first);
    if (cmd === undefined) return false;
    const auth = cmd.verb === "AUTH" && cmd.initialResponse !== undefined;
    this.conn.log.traceProtocol("C", decoder.decode(line.bytes), auth ? "auth" : "line");
    if (cmd.verb === "http" && first) {
      // Not SMTP (a browser or a cross-protocol attack): close at once, say nothing.
      this.#close();
      return false;
    }
    if (cmd.verb === "http" || cmd.verb === "unknown") {
      await this.#unknown(first);
      return false;
    }
    let refused: ReplyError | undefined;
    if (this.options.pedantic && (line.bareLf || cmd.sloppy.length > 0)) {
      const what = line.bareLf ? "bare LF" : cmd.sloppy.join(", ");
      refused = new ReplyError("syntax", `Syntax error (pedantic): ${what}`);
    } else if (!allowedVerbs[this.state].has(cmd.verb)) {
      refused = new ReplyError(refusal(this.state, cmd.verb), "Bad sequence of commands");
    }
    if (cmd.verb === "BDAT") {
      await this.#guard(() => this.#bdat(cmd, refused));
      return false;
    }
    if (refused !== undefined) {
      await this.#fail(refused);
      return false;
    }
    let started = false;
    await this.#guard(async () => {
      started = await this.#dispatch(cmd);
    });
    return started;
  }

  /** Parses a command line; answers and returns undefined when it does not parse. */
  async #parse(line: Line, first: boolean): Promise<Command | undefined> {
    try {
      return parseCommand(line.bytes);
    } catch (err) {
      if (!(err instanceof SmtpSyntaxError)) throw err;
      this.conn.log.traceProtocol("C", decoder.decode(line.bytes));
      if (err.verb === undefined) await this.#unknown(first);
      else await this.#fail(new ReplyError(syntaxErrorReplies[err.code], err.message));
      return undefined;
    }
  }

  /** Runs an allowed command; returns true when TLS was started. */
  async #dispatch(cmd: Exclude<Command, { verb: "BDAT" | "http" | "unknown" }>): Promise<boolean> {
    switch (cmd.verb) {
      case "EHLO":
      case "HELO": {
        // RFC 5321 §4.1.4: EHLO/HELO in a transaction resets it.
        const esmtp = cmd.verb === "EHLO";
        this.greeting = { name: hostText(cmd.host, "unicode"), host: cmd.host, esmtp };
        this.#reset();
        const host = this.conn.hostname;
        await this.#reply("hello", esmtp ? [host, ...capabilities(this)] : host);
        return false;
      }
      case "MAIL":
        await this.#reply("senderOk", mail(this, cmd));
        return false;
      case "RCPT":
        await this.#reply("recipientOk", rcpt(this, cmd));
        return false;
      case "DATA":
        // RFC 3030 §3: a BINARYMIME message can only be sent with BDAT.
        if (this.tx.mailParams?.body === "BINARYMIME") {
          throw new ReplyError("badSequence", "BODY=BINARYMIME needs BDAT");
        }
        this.#mode = {
          kind: "data",
          reader: new DataReader({ maxSize: this.options.maxMessageSize }),
        };
        await this.#reply("startData", "Start mail input; end with <CRLF>.<CRLF>");
        return false;
      case "RSET":
        this.#reset();
        await this.#reply("ok", "OK");
        return false;
      case "NOOP":
        await this.#reply("ok", "OK");
        return false;
      case "VRFY":
      case "EXPN":
        // RFC 5321 §3.5.3, §7.3: 252 rather than revealing which addresses exist.
        await this.#reply("cannotVerify", "Cannot VRFY user, but will accept message");
        return false;
      case "HELP":
        await this.#reply("help", "See https://www.rfc-editor.org/rfc/rfc5321");
        return false;
      case "QUIT":
        // RFC 5321 §4.1.1.10
        await this.#reply("closing", `${this.conn.hostname} Bye`);
        this.#close();
        return false;
      case "STARTTLS":
        return await this.#startTls();
      case "AUTH":
        await this.#auth(cmd);
        return false;
      default:
        return assertNever(cmd);
    }
  }

  /** An unknown verb or a line without one: 500; the first command closes. */
  async #unknown(first: boolean): Promise<void> {
    if (!first) return await this.#fail(new ReplyError("unknownCommand", "Command unrecognized"));
    await this.#reply("unknownCommand", "Command unrecognized, please speak SMTP");
    this.#close();
  }

  #reset(): void {
    this.tx = newTransaction();
    this.#mode = { kind: "command" };
    this.state = this.greeting === undefined ? "greeted" : "ready";
  }

  async #startTls(): Promise<boolean> {
    if (!startTlsOffered(this)) throw new ReplyError("notImplemented", "STARTTLS not available");
    this.#reader.clear();
    const goAhead = reply("startTls", "Ready to start TLS");
    this.conn.log.traceProtocol("S", goAhead.trimEnd());
    try {
      await this.conn.startTls(goAhead);
    } catch {
      this.#done = true;
      return true;
    }
    // RFC 3207 §4.2: forget everything learned before TLS; the client must EHLO again.
    this.greeting = undefined;
    if (this.account !== undefined) {
      this.account = undefined;
      await this.options.backend.logout();
    }
    this.#reset();
    return true;
  }

  async #auth(cmd: Extract<Command, { verb: "AUTH" }>): Promise<void> {
    const exchange = startAuth(this, cmd.mechanism);
    await this.#authStep(exchange, await exchange.start(cmd.initialResponse));
  }

  async #authStep(exchange: AuthExchange, step: AuthStep): Promise<void> {
    if (step.kind === "challenge") {
      this.#mode = { kind: "auth", exchange };
      // RFC 4954 §4: "334" SP base64 (the SP even when the challenge is empty).
      this.conn.log.traceProtocol("S", `334 ${step.challenge}`, "auth");
      await this.conn.write(`334 ${step.challenge}\r\n`);
      return;
    }
    this.account = step.account;
    this.conn.log.info("authenticated", { account: step.account, mechanism: exchange.mechanism });
    await this.#reply("authOk", "Authentication successful");
  }

  /** RFC 3030 §2 BDAT: reads the chunk (also a refused one), then answers. */
  async #bdat(cmd: Extract<Command, { verb: "BDAT" }>, refused: ReplyError | undefined) {
    // RFC 3030 §3: with BODY=BINARYMIME the chunks may hold any octet; otherwise too.
    const allowance = refused ? 0 : this.options.maxMessageSize - this.tx.chunkBytes;
    const mode: Mode = {
      kind: "bdat",
      reader: new BdatReader(cmd.size, allowance),
      last: cmd.last,
      refused,
    };
    if (cmd.size > 0) {
      this.#mode = mode;
      return;
    }
    await this.#endChunk(mode, mode.reader.push(empty)!);
  }

  async #endChunk(mode: Extract<Mode, { kind: "bdat" }>, result: BdatResult): Promise<void> {
    if (mode.refused !== undefined) throw mode.refused;
    if (!result.ok) {
      this.#reset();
      throw new ReplyError("messageTooBig", "Message size exceeds fixed maximum message size");
    }
    this.tx.chunks.push(result.data);
    this.tx.chunkBytes += result.data.length;
    if (!mode.last) {
      this.state = "chunking";
      await this.#reply("ok", `${result.data.length} octets received`);
      return;
    }
    const message = concat(this.tx.chunks, this.tx.chunkBytes);
    const counter = new ReceivedCounter();
    counter.push(message);
    await this.#deliver(message, counter.count);
  }

  async #endData(result: DataResult): Promise<void> {
    this.conn.log.traceProtocol("C", `(${result.size} octets of message data)`);
    if (!result.ok) {
      this.#reset();
      throw dataRefusal(result.problem);
    }
    await this.#deliver(result.message, result.received);
  }

  async #deliver(message: Uint8Array, received: number): Promise<void> {
    try {
      await this.#reply("accepted", await finishMessage(this, message, received));
    } finally {
      // RFC 5321 §4.1.1.4: the end of data ends the transaction, whatever the outcome.
      this.#reset();
    }
  }

  /** Maps every failure to its reply (STYLE.md §10). */
  async #guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (err instanceof ReplyError) return await this.#fail(err);
      if (err instanceof SmtpSyntaxError) {
        return await this.#fail(new ReplyError(syntaxErrorReplies[err.code], err.message));
      }
      this.conn.log.error("smtp session failed", { err: err as Error });
      this.#reset();
      await this.#reply("tempFail", "Internal error, try again later");
    }
  }

  async #fail(err: ReplyError): Promise<void> {
    await this.#reply(err.reply, err.text);
    if (!err.counts || ++this.#errors < smtpLimits.errors) return;
    await this.#reply("tooManyErrors", "Too many errors, closing connection");
    this.#close();
  }

  #reply(name: ReplyName, text: string | readonly string[]): Promise<void> {
    if (this.#done) return Promise.resolve();
    const out = reply(name, text);
    for (const l of out.split("\r\n").slice(0, -1)) this.conn.log.traceProtocol("S", l);
    return this.conn.write(out);
  }

  #close(): void {
    this.#done = true;
    this.conn.close();
  }
}
