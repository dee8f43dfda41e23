/**
 * Test helpers for protocol sessions: an in-memory {@linkcode Conn} that records what
 * the session does, and {@linkcode transcript}, which drives a session with a script in
 * the RFCs' own `C:`/`S:` notation.
 *
 * Implementation notes:
 * - The fake follows the Conn contract: `startTls` writes the go-ahead itself (as the
 *   runtime does) and sets `tls` before resolving; a failed handshake closes the
 *   connection. Writes after `close()` are dropped, as the runtime drops them, but are
 *   kept in `writtenAfterClose` so a transcript can fail on a session that keeps talking.
 * - `S:` lines match on tokens, not wording: each space-separated token of the expected
 *   line must equal the actual line's token at the same position, and the actual line may
 *   have more (`S: 250 2.0.0` matches `250 2.0.0 OK`). A line ending in `*` matches any
 *   actual line that starts with the text before the `*` (`S: 250-*`).
 */

import assert from "node:assert/strict";
import { logger } from "../log/mod.ts";
import type { Conn, Endpoint, Session, TlsFacts, TlsMode } from "./conn.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The facts a successful handshake yields unless a test gives others. */
export const testTlsFacts: TlsFacts = {
  version: "TLSv1.3",
  cipher: "TLS_AES_256_GCM_SHA384",
  sni: "mail.example.org",
};

export interface TestConnOptions {
  tlsMode?: TlsMode;
  /** TLS facts present from the start (implicit TLS). */
  tls?: TlsFacts;
  hostname?: string;
  /** What `startTls` yields: facts to resolve with, or an Error to reject with. */
  handshake?: TlsFacts | Error;
}

/** An in-memory {@linkcode Conn} that records writes, close() and startTls(). */
export class TestConn implements Conn {
  readonly cid = "test1";
  readonly listener = "test";
  readonly remote: Endpoint = { address: "192.0.2.1", port: 49152 };
  readonly local: Endpoint = { address: "192.0.2.25", port: 25 };
  readonly log = logger("test.conn", { cid: "test1" });
  readonly #abort = new AbortController();
  /** Aborted on the first close(), as the runtime does when the connection goes. */
  readonly signal = this.#abort.signal;
  readonly tlsMode: TlsMode;
  readonly hostname: string;
  tls: TlsFacts | undefined;
  /** Everything written before close(), decoded as UTF-8, go-aheads included. */
  output = "";
  /** Text written after close(); the runtime drops it. */
  writtenAfterClose = "";
  /** Number of close() calls (close is idempotent; more than one is allowed). */
  closeCalls = 0;
  /** The go-ahead passed to each startTls() call. */
  readonly startTlsCalls: string[] = [];
  readonly #handshake: TlsFacts | Error;
  /** Offset in `output` up to which a transcript has read. */
  #read = 0;

  constructor(options: TestConnOptions = {}) {
    this.tlsMode = options.tlsMode ?? "starttls";
    this.tls = options.tls;
    this.hostname = options.hostname ?? "mail.example.org";
    this.#handshake = options.handshake ?? testTlsFacts;
  }

  get closed(): boolean {
    return this.closeCalls > 0;
  }

  write(bytes: Uint8Array | string): Promise<void> {
    const text = typeof bytes === "string" ? bytes : decoder.decode(bytes);
    if (this.closed) this.writtenAfterClose += text;
    else this.output += text;
    return Promise.resolve();
  }

  startTls(goAhead: string): Promise<TlsFacts> {
    this.startTlsCalls.push(goAhead);
    if (this.closed) return Promise.reject(new Error("Cannot start TLS: closed"));
    if (this.tls !== undefined) return Promise.reject(new Error("Cannot start TLS: already on"));
    this.output += goAhead;
    const handshake = this.#handshake;
    if (handshake instanceof Error) {
      this.close();
      return Promise.reject(handshake);
    }
    this.tls = handshake;
    return Promise.resolve(handshake);
  }

  close(): void {
    this.closeCalls++;
    this.#abort.abort(new Error("Connection closed"));
  }

  /** Next complete CRLF-terminated line of unread output (without CRLF), if any. */
  readLine(): string | undefined {
    const end = this.output.indexOf("\r\n", this.#read);
    if (end < 0) return undefined;
    const line = this.output.slice(this.#read, end);
    this.#read = end + 2;
    return line;
  }

  /** Output not yet read by {@linkcode readLine}. */
  unread(): string {
    return this.output.slice(this.#read);
  }
}

/** Reports whether the actual reply line `actual` matches the `S:` pattern `expected`. */
export function replyMatches(expected: string, actual: string): boolean {
  if (expected.endsWith("*")) return actual.startsWith(expected.slice(0, -1));
  const want = expected.split(" ");
  const got = actual.split(" ");
  return want.every((token, i) => got[i] === token);
}

/**
 * Runs `script` against `session`: each `C: text` line is sent as `text` + CRLF with
 * `session.receive`, each `S: pattern` line must match the next line the session wrote
 * (see {@linkcode replyMatches}). Blank lines are ignored and leading whitespace is
 * trimmed. Fails on output left unread before a `C:` line or at the end, on a `C:` line
 * after the session closed the connection, and on writes after close.
 */
export async function transcript(session: Session, conn: TestConn, script: string): Promise<void> {
  for (const raw of script.split("\n")) {
    const step = raw.trimStart();
    if (step === "") continue;
    if (step.startsWith("C: ") || step === "C:") {
      assert.equal(conn.unread(), "", `unread server output before ${JSON.stringify(step)}`);
      assert.ok(!conn.closed, `connection closed before ${JSON.stringify(step)}`);
      await session.receive(encoder.encode(step.slice(3) + "\r\n"));
    } else if (step.startsWith("S: ")) {
      const expected = step.slice(3);
      const actual = conn.readLine();
      assert.ok(
        actual !== undefined,
        `expected ${JSON.stringify(expected)}, got no complete line (unread ${
          JSON.stringify(conn.unread())
        })`,
      );
      assert.ok(
        replyMatches(expected, actual),
        `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
      );
    } else {
      throw new Error(`Cannot run transcript: line must start with "C: " or "S: ": ${raw}`);
    }
  }
  assert.equal(conn.unread(), "", "unread server output at end of transcript");
  assert.equal(conn.writtenAfterClose, "", "session wrote after closing the connection");
}
