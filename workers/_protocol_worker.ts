/**
 * Runtime of a protocol worker (smtp, imap): speaks workers/protocol.ts with the
 * supervisor and runs one {@linkcode Session} per connection id.
 *
 * Per connection, every session callback (start, receive, expire, drain) runs in
 * order on one promise chain, so a session never sees two events at once. Inbound bytes
 * are acknowledged (`consumed`) only after `receive` settles: a slow session slows its
 * client down instead of growing a queue. Outbound writes wait when more than
 * {@linkcode outboundWindow} bytes are unflushed.
 */

import type { DomainsConfig } from "../core/config/domains.ts";
import { configureLogging, type Level, logger } from "../core/log/mod.ts";
import type { Conn, Session, TlsFacts } from "../core/wire/conn.ts";
import { StoreLink } from "./_store_link.ts";
import {
  type ListenerSettings,
  maxWriteChunk,
  outboundWindow,
  type ProtocolName,
  protocolVersion,
  type SupervisorMessage,
  type WorkerMessage,
} from "./protocol.ts";

const encoder = new TextEncoder();

interface Scope {
  postMessage(message: WorkerMessage, transfer: Transferable[]): void;
  onmessage: ((ev: MessageEvent<SupervisorMessage>) => void) | null;
}

class WorkerConn implements Conn {
  session: Session | undefined;
  tls: TlsFacts | undefined;
  #chain: Promise<void> = Promise.resolve();
  #unflushed = 0;
  #writeWaiters: (() => void)[] = [];
  #tlsWaiter: { resolve: (f: TlsFacts) => void; reject: (e: Error) => void } | undefined;
  #closed = false;
  #closing = false;
  readonly #abort = new AbortController();
  readonly signal = this.#abort.signal;
  /** Incremented when TLS starts: bytes that arrived in an earlier epoch are plaintext. */
  #tlsEpoch = 0;

  constructor(
    readonly cid: string,
    readonly listener: string,
    readonly tlsMode: Conn["tlsMode"],
    readonly remote: Conn["remote"],
    readonly local: Conn["local"],
    readonly hostname: string,
    readonly log: Conn["log"],
    readonly post: (m: WorkerMessage, transfer?: Transferable[]) => void,
  ) {}

  /** Runs `step` after every earlier event of this connection settled. */
  enqueue(what: string, step: () => void | Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((err: unknown) => {
      // A session that throws has a bug: log it and end the connection.
      this.log.error("session failed", { during: what, err: asError(err) });
      this.close();
    });
  }

  /** Bytes from the client. */
  receive(buf: ArrayBuffer): void {
    const n = buf.byteLength;
    if (this.#tlsWaiter || this.#closing) {
      // RFC 3207 §4.2 / RFC 9051 §6.2.1: plaintext sent before the TLS handshake is
      // discarded, never acted on.
      this.post({ t: "consumed", cid: this.cid, n });
      return;
    }
    const epoch = this.#tlsEpoch;
    this.enqueue("receive", async () => {
      // A chunk queued before the session asked for STARTTLS runs after the handshake:
      // its epoch tells it was plaintext, so it is dropped too.
      const current = epoch === this.#tlsEpoch && !this.#tlsWaiter && !this.#closing;
      if (current) await this.session?.receive(new Uint8Array(buf));
      this.post({ t: "consumed", cid: this.cid, n });
    });
  }

  written(n: number): void {
    this.#unflushed = Math.max(0, this.#unflushed - n);
    if (this.#unflushed <= outboundWindow) this.#releaseWriters();
  }

  write(data: Uint8Array | string): Promise<void> {
    if (this.#closed || this.#closing) return Promise.resolve();
    const encoded = typeof data === "string";
    const bytes = encoded ? encoder.encode(data) : data;
    for (let at = 0; at < bytes.length; at += maxWriteChunk) {
      // An encoded string is ours to transfer whole; the caller's bytes are copied so
      // transferring does not detach them.
      const buf = encoded && bytes.length <= maxWriteChunk &&
          bytes.byteLength === bytes.buffer.byteLength
        ? bytes.buffer as ArrayBuffer
        : bytes.slice(at, at + maxWriteChunk).buffer;
      this.#unflushed += buf.byteLength;
      this.post({ t: "write", cid: this.cid, buf }, [buf]);
    }
    if (this.#unflushed <= outboundWindow) return Promise.resolve();
    return new Promise((resolve) => this.#writeWaiters.push(resolve));
  }

  startTls(goAhead: string): Promise<TlsFacts> {
    if (this.#closed || this.#closing) return Promise.reject(new Error("Cannot start TLS: closed"));
    if (this.#tlsWaiter || this.tls) {
      return Promise.reject(new Error("Cannot start TLS: already started"));
    }
    return new Promise((resolve, reject) => {
      this.#tlsWaiter = { resolve, reject };
      const reply = encoder.encode(goAhead).buffer;
      this.#unflushed += reply.byteLength; // the supervisor returns credit for it
      this.post({ t: "starttls", cid: this.cid, reply }, [reply]);
    });
  }

  tlsReady(facts: TlsFacts): void {
    this.tls = facts;
    this.#tlsEpoch++;
    const waiter = this.#tlsWaiter;
    this.#tlsWaiter = undefined;
    waiter?.resolve(facts);
  }

  close(): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.post({ t: "close", cid: this.cid });
  }

  /** The supervisor closed the connection. */
  gone(reason: string): void {
    this.#closed = true;
    this.#abort.abort(new Error(`Connection closed: ${reason}`));
    this.#tlsWaiter?.reject(new Error(`Cannot start TLS: connection closed (${reason})`));
    this.#tlsWaiter = undefined;
    this.#releaseWriters();
    this.enqueue("closed", () => this.session?.closed(reason));
  }

  #releaseWriters(): void {
    const waiters = this.#writeWaiters;
    this.#writeWaiters = [];
    for (const w of waiters) w();
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

const defaultSettings: ListenerSettings = {
  requireTls: false,
  pedantic: false,
  maxMessageSize: 50 * 1024 * 1024,
};

/** What a session factory learns besides the connection and the store link. */
export interface SessionContext {
  /** The listener's protocol, from the supervisor's `open`. */
  readonly protocol: ProtocolName;
  /** The listener's settings from postern.yaml (defaults when unknown). */
  readonly settings: ListenerSettings;
  /** The latest domains configuration the supervisor sent; undefined before the first. */
  domains(): DomainsConfig | undefined;
}

/** Makes the session of a new connection; `store` is the worker's link to the store. */
export type WorkerSessionFactory = (
  conn: Conn,
  store: StoreLink,
  context: SessionContext,
) => Session;

/**
 * Starts the worker side of workers/protocol.ts on `scope` (the worker's global).
 * @param pkg log package name, e.g. "smtp"
 */
export function runProtocolWorker(
  pkg: string,
  factory: WorkerSessionFactory,
  scope: Scope = globalThis as unknown as Scope,
): void {
  const conns = new Map<string, WorkerConn>();
  const store = new StoreLink();
  let hostname = "localhost";
  let listeners: Record<string, ListenerSettings> = {};
  let domains: DomainsConfig | undefined;
  const log = logger(pkg);
  const post = (m: WorkerMessage, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

  scope.onmessage = (ev) => {
    const m = ev.data;
    switch (m.t) {
      case "init":
        hostname = m.hostname;
        listeners = m.listeners ?? {};
        configureLogging({
          level: m.log.level as Level,
          packages: m.log.packages as Record<string, Level>,
        });
        post({ t: "ready", version: protocolVersion });
        return;
      case "ping":
        post({ t: "pong", seq: m.seq });
        return;
      case "open": {
        const conn = new WorkerConn(
          m.cid,
          m.listener,
          m.tlsMode,
          m.remote,
          m.local,
          hostname,
          logger(pkg, { cid: m.cid }),
          post,
        );
        conn.tls = m.tls;
        conns.set(m.cid, conn);
        const context: SessionContext = {
          protocol: m.protocol,
          settings: listeners[m.listener] ?? defaultSettings,
          domains: () => domains,
        };
        conn.enqueue("start", () => {
          conn.session = factory(conn, store, context);
          return conn.session.start();
        });
        return;
      }
      case "data":
        conns.get(m.cid)?.receive(m.buf);
        return;
      case "written":
        conns.get(m.cid)?.written(m.n);
        return;
      case "tls":
        conns.get(m.cid)?.tlsReady(m.tls);
        return;
      case "expire": {
        const conn = conns.get(m.cid);
        conn?.enqueue("expire", () => conn.session?.expire(m.reason));
        return;
      }
      case "drain":
        for (const conn of conns.values()) conn.enqueue("drain", () => conn.session?.drain());
        return;
      case "closed": {
        const conn = conns.get(m.cid);
        conns.delete(m.cid);
        conn?.gone(m.reason);
        store.connectionClosed(m.cid);
        return;
      }
      case "store":
        store.attach(m.port);
        return;
      case "domains":
        domains = m.domains;
        return;
      default:
        log.error("unknown supervisor message", { t: (m as { t: string }).t });
    }
  };
}
