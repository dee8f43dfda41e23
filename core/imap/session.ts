/**
 * IMAP session, runtime stage: greeting, CAPABILITY, NOOP, LOGOUT, STARTTLS, and the
 * BYE farewells the runtime needs (shutdown, timeout). Authentication and mailbox
 * commands arrive with the IMAP issue; until then they get `NO [UNAVAILABLE]`.
 *
 * Implementation notes:
 * - After STARTTLS, everything the client pipelined behind the command is discarded
 *   (RFC 9051 §6.2.1) and capabilities are sent again on request.
 */

import type { Conn, Session } from "../wire/conn.ts";
import { LineReader, LineTooLongError } from "../wire/lines.ts";

// Longest command line we read before literals are supported; RFC 9051 §4 sets no
// limit, RFC 7162 §4 recommends at least 8192 octets.
const maxCommandLine = 8192;
const maxErrors = 10;

const decoder = new TextDecoder();

export class ImapSession implements Session {
  #reader = new LineReader(maxCommandLine);
  #errors = 0;
  #done = false;

  constructor(readonly conn: Conn) {}

  start(): Promise<void> {
    // RFC 9051 §7.1.1: greeting, with capabilities to save a round trip.
    return this.#send(`* OK [CAPABILITY ${this.#capabilities()}] Postern ready`);
  }

  async receive(bytes: Uint8Array): Promise<void> {
    let lines;
    try {
      lines = this.#reader.push(bytes);
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      await this.#send("* BYE [TOOBIG] Command line too long");
      return this.#close();
    }
    for (const line of lines) {
      if (this.#done) return;
      const text = decoder.decode(line.bytes);
      this.conn.log.traceProtocol("C", text);
      if (await this.#command(text)) return;
    }
  }

  async expire(reason: "idle" | "session"): Promise<void> {
    // RFC 9051 §5.4: the autologout timer; say BYE first.
    await this.#send(`* BYE ${reason === "idle" ? "Autologout, idle" : "Session too long"}`);
    this.#close();
  }

  async drain(): Promise<void> {
    // RFC 9051 §7.1.5: BYE when the server is shutting down.
    await this.#send("* BYE [UNAVAILABLE] Server shutting down");
    this.#close();
  }

  closed(): void {
    this.#done = true;
  }

  #capabilities(): string {
    const caps = ["IMAP4rev2"];
    if (this.conn.tlsMode === "starttls" && this.conn.tls === undefined) caps.push("STARTTLS");
    // RFC 9051 §6.2.3: no LOGIN before authentication is possible.
    caps.push("LOGINDISABLED");
    return caps.join(" ");
  }

  /** Runs one command line. Returns true when TLS was started. */
  async #command(line: string): Promise<boolean> {
    const match = /^([\x21-\x7e]+) ([A-Za-z]+)(?: (.*))?$/.exec(line);
    const tag = match?.[1];
    // RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+"> ("+" would read as a
    // continuation request). DEVIATION(RFC 9051 §9): "]" is refused too.
    if (!match || tag === undefined || /[(){%*"\\\]+]/.test(tag)) {
      await this.#send("* BAD Syntax error");
      await this.#error();
      return false;
    }
    const verb = (match[2] ?? "").toUpperCase();
    const args = match[3];
    switch (verb) {
      case "CAPABILITY":
        await this.#send(`* CAPABILITY ${this.#capabilities()}\r\n${tag} OK CAPABILITY completed`);
        return false;
      case "NOOP":
        await this.#send(`${tag} OK NOOP completed`);
        return false;
      case "LOGOUT":
        // RFC 9051 §6.1.3
        await this.#send(`* BYE Logging out\r\n${tag} OK LOGOUT completed`);
        this.#close();
        return false;
      case "STARTTLS":
        return await this.#startTls(tag, args);
      default:
        await this.#send(`${tag} NO [UNAVAILABLE] Command not implemented`);
        await this.#error();
        return false;
    }
  }

  async #startTls(tag: string, args: string | undefined): Promise<boolean> {
    if (args !== undefined) {
      await this.#send(`${tag} BAD No arguments allowed`);
      return false;
    }
    if (!(this.conn.tlsMode === "starttls" && this.conn.tls === undefined)) {
      await this.#send(`${tag} BAD STARTTLS not available`);
      return false;
    }
    // RFC 9051 §6.2.1
    this.#reader.clear();
    this.conn.log.traceProtocol("S", `${tag} OK Begin TLS negotiation now`);
    try {
      await this.conn.startTls(`${tag} OK Begin TLS negotiation now\r\n`);
    } catch {
      this.#done = true;
    }
    return true;
  }

  async #error(): Promise<void> {
    if (++this.#errors < maxErrors) return;
    await this.#send("* BYE Too many errors");
    this.#close();
  }

  #send(text: string): Promise<void> {
    for (const l of text.split("\r\n")) this.conn.log.traceProtocol("S", l);
    return this.conn.write(text + "\r\n");
  }

  #close(): void {
    this.#done = true;
    this.conn.close();
  }
}
