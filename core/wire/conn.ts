/**
 * What a protocol session sees of its connection: a byte sink with flow control, a
 * STARTTLS hook and a close. Sessions in core/ are written against this interface only,
 * so they run in a worker with no permissions and in tests over an in-memory duplex.
 */

import type { Logger } from "../log/mod.ts";

/** What the supervisor learned from a completed TLS handshake. */
export interface TlsFacts {
  /** e.g. "TLSv1.3" */
  version: string;
  /** OpenSSL cipher name, e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  /** Server name the client asked for with SNI; "" when it sent none. */
  sni: string;
}

export interface Endpoint {
  address: string;
  port: number;
}

export type TlsMode = "none" | "starttls" | "implicit";

/** One client connection, as seen from a session. */
export interface Conn {
  readonly cid: string;
  readonly listener: string;
  readonly tlsMode: TlsMode;
  readonly remote: Endpoint;
  readonly local: Endpoint;
  /** This server's host name, for greetings. */
  readonly hostname: string;
  /** Facts of the TLS layer, once there is one. */
  readonly tls: TlsFacts | undefined;
  readonly log: Logger;
  /**
   * Aborted when the connection is gone. Pass it to RPC calls made for this
   * connection (they are then cancelled) and check it in long-running loops.
   */
  readonly signal: AbortSignal;
  /**
   * Queues bytes for the client. Resolves when the connection can take more (flow
   * control); callers that produce a lot must await it. Never rejects: writes to a
   * closed connection are dropped.
   */
  write(bytes: Uint8Array | string): Promise<void>;
  /**
   * Writes the go-ahead reply (`goAhead`, with its CRLF) and upgrades to TLS, as one
   * step so no client byte can slip between them. Bytes received after the request
   * and before the handshake completes are discarded by the runtime.
   * @throws Error when the handshake fails (the connection is then closed)
   */
  startTls(goAhead: string): Promise<TlsFacts>;
  /** Closes after queued writes are flushed. Idempotent. */
  close(): void;
}

/** A protocol session: one state machine per connection. */
export interface Session {
  /** Connection opened: send the greeting. */
  start(): void | Promise<void>;
  /** Bytes from the client, in order; the next call waits until this one settles. */
  receive(bytes: Uint8Array): void | Promise<void>;
  /** The supervisor is about to close the connection for a timeout: say goodbye. */
  expire(reason: "idle" | "session"): void | Promise<void>;
  /** Server shutdown: finish up (SMTP 421, IMAP BYE) and close. */
  drain(): void | Promise<void>;
  /** The connection is gone; release state. */
  closed(reason: string): void;
}

export type SessionFactory = (conn: Conn) => Session;
