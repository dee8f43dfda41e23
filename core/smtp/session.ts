/**
 * SMTP session, runtime stage: greeting, EHLO/HELO, STARTTLS, NOOP, RSET, QUIT, and
 * the farewells the runtime needs (421 on shutdown and timeout). Mail transactions
 * (MAIL, RCPT, DATA, BDAT, AUTH) arrive with the SMTP issue; until then they get
 * `502 5.5.1`.
 *
 * Implementation notes:
 * - After STARTTLS, everything the client pipelined behind the command is discarded
 *   and the session starts over (RFC 3207 §4.2).
 * - A first command that looks like HTTP closes the connection at once; too many
 *   errors close it with 421; a command line over the cap closes it after 500.
 */

import type { Conn, Session } from "../wire/conn.ts";
import { LineReader, LineTooLongError } from "../wire/lines.ts";

// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.
const maxCommandLine = 512;
// Errors per connection before we give up on the client.
const maxErrors = 10;

const decoder = new TextDecoder();

type State = "greeted" | "ready";

export class SmtpSession implements Session {
  #state: State = "greeted";
  #reader = new LineReader(maxCommandLine);
  #errors = 0;
  #commands = 0;
  #done = false;

  constructor(readonly conn: Conn) {}

  start(): Promise<void> {
    // RFC 5321 §4.3.1: greeting.
    return this.#reply(`220 ${this.conn.hostname} ESMTP Postern`);
  }

  async receive(bytes: Uint8Array): Promise<void> {
    let lines;
    try {
      lines = this.#reader.push(bytes);
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      // RFC 5321 §4.2.2 / §4.5.3.1.4: 500 line too long. Then close: the reader dropped
      // the line mid-way, so its tail would otherwise be read as a fresh command.
      await this.#reply("500 5.5.2 Line too long");
      return this.#close();
    }
    for (const line of lines) {
      if (this.#done) return;
      const text = decoder.decode(line.bytes);
      this.conn.log.traceProtocol("C", text);
      const started = await this.#command(text);
      if (started) return; // STARTTLS: the rest of this chunk was plaintext; drop it.
    }
  }

  async expire(reason: "idle" | "session"): Promise<void> {
    // RFC 5321 §4.5.3.2: the server may close after a timeout, replying 421.
    const text = reason === "idle" ? "Idle timeout" : "Session too long";
    await this.#reply(`421 4.4.2 ${this.conn.hostname} ${text}, closing connection`);
    this.#close();
  }

  async drain(): Promise<void> {
    // RFC 5321 §3.8: 421 when the service must shut down.
    await this.#reply(`421 4.3.2 ${this.conn.hostname} Shutting down, try again later`);
    this.#close();
  }

  closed(): void {
    this.#done = true;
  }

  /** Runs one command line. Returns true when TLS was started. */
  async #command(line: string): Promise<boolean> {
    const space = line.indexOf(" ");
    const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const arg = space < 0 ? "" : line.slice(space + 1).trim();
    this.#commands++;
    if (this.#commands === 1 && /^(GET|POST|PUT|HEAD|OPTIONS|CONNECT) /.test(line)) {
      // Not SMTP (an HTTP client or a cross-protocol attack): close at once.
      this.#close();
      return false;
    }
    switch (verb) {
      case "EHLO":
      case "HELO":
        if (arg === "") {
          await this.#reply("501 5.5.4 Domain required");
          await this.#error();
          return false;
        }
        this.#state = "ready";
        if (verb === "HELO") {
          await this.#reply(`250 ${this.conn.hostname}`);
          return false;
        }
        await this.#reply(
          [this.conn.hostname, "ENHANCEDSTATUSCODES", ...(this.#canStartTls() ? ["STARTTLS"] : [])],
        );
        return false;
      case "STARTTLS":
        return await this.#startTls(arg);
      case "NOOP":
        await this.#reply("250 2.0.0 OK");
        return false;
      case "RSET":
        await this.#reply("250 2.0.0 OK");
        return false;
      case "QUIT":
        // RFC 5321 §4.1.1.10
        await this.#reply(`221 2.0.0 ${this.conn.hostname} Bye`);
        this.#close();
        return false;
      default:
        await this.#reply("502 5.5.1 Command not implemented");
        await this.#error();
        return false;
    }
  }

  #canStartTls(): boolean {
    return this.conn.tlsMode === "starttls" && this.conn.tls === undefined;
  }

  async #startTls(arg: string): Promise<boolean> {
    if (arg !== "") {
      await this.#reply("501 5.5.4 No parameters allowed");
      await this.#error();
      return false;
    }
    if (!this.#canStartTls()) {
      await this.#reply("502 5.5.1 STARTTLS not available");
      await this.#error();
      return false;
    }
    if (this.#state !== "ready") {
      await this.#reply("503 5.5.1 EHLO first");
      await this.#error();
      return false;
    }
    this.#reader.clear();
    this.conn.log.traceProtocol("S", "220 2.0.0 Ready to start TLS");
    try {
      await this.conn.startTls("220 2.0.0 Ready to start TLS\r\n");
    } catch {
      this.#done = true;
      return true;
    }
    // RFC 3207 §4.2: forget everything learned before TLS; the client must EHLO again.
    this.#state = "greeted";
    return true;
  }

  async #error(): Promise<void> {
    if (++this.#errors < maxErrors) return;
    await this.#reply("421 4.7.0 Too many errors, closing connection");
    this.#close();
  }

  #reply(lines: string | string[]): Promise<void> {
    const code = typeof lines === "string" ? "" : "250";
    const text = typeof lines === "string"
      ? lines
      : lines.map((l, i) => `${code}${i === lines.length - 1 ? " " : "-"}${l}`).join("\r\n");
    for (const l of text.split("\r\n")) this.conn.log.traceProtocol("S", l);
    return this.conn.write(text + "\r\n");
  }

  #close(): void {
    this.#done = true;
    this.conn.close();
  }
}
