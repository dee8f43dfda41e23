/**
 * A small raw IMAP client for tests: sends tagged commands (with LITERAL+ literals)
 * and collects the server's response lines up to the tagged one, reading literals in
 * responses by their octet count. Every wait is bounded.
 */

import * as net from "node:net";

const decoder = new TextDecoder();

export interface Response {
  /** The tagged status line, e.g. "a1 OK [APPENDUID 1 5] APPEND completed". */
  tagged: string;
  /** Untagged and continuation lines; a literal's data is kept inline in its line. */
  untagged: string[];
}

export class ImapTestClient implements Disposable {
  #buf = new Uint8Array(0);
  #waiter: (() => void) | undefined;
  #closed = false;
  #tag = 0;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Uint8Array) => {
      const next = new Uint8Array(this.#buf.length + chunk.length);
      next.set(this.#buf);
      next.set(chunk, this.#buf.length);
      this.#buf = next;
      this.#waiter?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#waiter?.();
    });
    socket.on("error", () => {});
  }

  /** Connects and reads the greeting. */
  static async connect(port: number, host = "127.0.0.1"): Promise<ImapTestClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(s));
      s.once("error", reject);
    });
    const client = new ImapTestClient(socket);
    await client.#line();
    return client;
  }

  /** Sends `text` as a command; `literals` follow as `{n+}` after the text's parts. */
  async command(text: string, literal?: Uint8Array, timeoutMs = 10_000): Promise<Response> {
    const tag = `t${++this.#tag}`;
    if (literal) {
      this.socket.write(`${tag} ${text} {${literal.length}+}\r\n`);
      this.socket.write(literal);
      this.socket.write("\r\n");
    } else {
      this.socket.write(`${tag} ${text}\r\n`);
    }
    const untagged: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.#line(deadline);
      if (line.startsWith(`${tag} `)) return { tagged: line, untagged };
      untagged.push(line);
    }
  }

  async #line(deadline = Date.now() + 10_000): Promise<string> {
    let out = "";
    for (;;) {
      const lf = this.#buf.indexOf(0x0a);
      if (lf >= 0) {
        const line = decoder.decode(this.#buf.subarray(0, lf)).replace(/\r$/, "");
        this.#buf = this.#buf.slice(lf + 1);
        const literal = /\{(\d+)\}$/.exec(line);
        out += line;
        if (!literal) return out;
        const n = Number(literal[1]);
        await this.#wait(() => this.#buf.length >= n, deadline);
        out += decoder.decode(this.#buf.subarray(0, n));
        this.#buf = this.#buf.slice(n);
        continue;
      }
      await this.#wait(() => this.#buf.indexOf(0x0a) >= 0, deadline);
    }
  }

  async #wait(ready: () => boolean, deadline: number): Promise<void> {
    while (!ready()) {
      if (this.#closed) throw new Error("Connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("Timed out waiting for the server");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#waiter = undefined;
    }
  }

  [Symbol.dispose](): void {
    this.socket.destroy();
  }
}
