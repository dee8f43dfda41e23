/**
 * One client connection in the supervisor: moves bytes between its socket and the
 * protocol worker that owns its session, with bounded buffers both ways, the idle and
 * session timeouts, and the STARTTLS upgrade. It never looks inside the bytes.
 *
 * Implementation notes:
 * - Inbound: bytes posted to the worker and not yet `consumed` are counted; past
 *   {@linkcode inboundWindow} the socket is paused (TCP then pushes back on the client)
 *   and resumed below half the window.
 * - Outbound: a `write` callback returns credit (`written`) to the worker once the
 *   socket flushed the bytes. A worker that writes past its credit finds the socket
 *   buffer over {@linkcode outboundHardCap} and loses the connection.
 * - Timeouts are enforced here, not in the worker: on expiry the worker is asked to
 *   say goodbye, and `expireGraceMs` later the socket is destroyed regardless.
 */

import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Logger } from "../../core/log/mod.ts";
import {
  inboundWindow,
  outboundHardCap,
  type ProtocolName,
  type SupervisorMessage,
  type TlsFacts,
  type TlsMode,
} from "../protocol.ts";
import type { CertStore } from "./tls.ts";

/** How long a session gets to say goodbye after a timeout or a crash notice. */
export const expireGraceMs = 2_000;

/** What a connection needs from the worker that owns it. */
export interface ConnectionOwner {
  post(message: SupervisorMessage, transfer?: Transferable[]): void;
  /** The owner's connections by id; a closed connection removes itself. */
  readonly conns: Map<string, ClientConnection>;
}

export interface ConnectionOptions {
  cid: string;
  listener: string;
  protocol: ProtocolName;
  tlsMode: TlsMode;
  idleTimeoutMs: number;
  sessionTimeoutMs: number;
  certs: CertStore;
  log: Logger;
  /** Called once when the socket is gone. */
  onClose: (conn: ClientConnection) => void;
}

export interface ConnectionStats {
  /** Bytes posted to the worker, not yet consumed. */
  inflight: number;
  /** Bytes in the socket's write buffer. */
  writeBuffered: number;
  /** Bytes read from the socket and held by it (while paused). */
  readBuffered: number;
  paused: boolean;
  bytesIn: number;
  bytesOut: number;
}

export class ClientConnection {
  socket: Socket;
  tls: TlsFacts | undefined;
  owner: ConnectionOwner | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  #inflight = 0;
  #paused = false;
  #closed = false;
  #upgrading = false;
  #bytesIn = 0;
  #bytesOut = 0;
  #lastActivity = Date.now();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #sessionTimer: ReturnType<typeof setTimeout> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Writes handed to the socket whose callback has not run yet. */
  #pendingWrites = 0;
  #onFlushed: (() => void) | undefined;

  constructor(socket: Socket, readonly options: ConnectionOptions) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? "";
    this.localPort = socket.localPort ?? 0;
    this.#watch(socket);
    this.#idleTimer = setTimeout(() => this.#checkIdle(), options.idleTimeoutMs);
    this.#sessionTimer = setTimeout(() => this.expire("session"), options.sessionTimeoutMs);
  }

  get cid(): string {
    return this.options.cid;
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): ConnectionStats {
    return {
      inflight: this.#inflight,
      writeBuffered: this.socket.writableLength,
      readBuffered: this.socket.readableLength,
      paused: this.#paused,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
    };
  }

  /** Implicit TLS: handshake before the session starts. */
  async handshake(): Promise<void> {
    const { socket, facts } = await this.options.certs.handshake(this.socket);
    this.#replaceSocket(socket);
    this.tls = facts;
  }

  /** Hands the connection to a worker and starts moving bytes. */
  attach(owner: ConnectionOwner): void {
    this.owner = owner;
    const o = this.options;
    owner.post({
      t: "open",
      cid: o.cid,
      listener: o.listener,
      protocol: o.protocol,
      tlsMode: o.tlsMode,
      remote: { address: this.remoteAddress, port: this.remotePort },
      local: { address: this.localAddress, port: this.localPort },
      ...(this.tls ? { tls: this.tls } : {}),
    });
    this.socket.on("data", this.#onData);
  }

  /** Worker: bytes for the client. */
  write(buf: ArrayBuffer): void {
    if (this.#closed) return;
    if (this.#upgrading) {
      // Plaintext in the middle of a handshake: the worker is broken or compromised.
      return this.destroy("worker wrote during the TLS handshake");
    }
    this.#send(buf);
  }

  #send(buf: ArrayBuffer): void {
    if (this.socket.writableLength + buf.byteLength > outboundHardCap) {
      this.options.log.warn("worker wrote past its credit, closing", {
        buffered: this.socket.writableLength,
      });
      this.destroy("worker overran write buffer");
      return;
    }
    const n = buf.byteLength;
    this.#pendingWrites++;
    this.socket.write(new Uint8Array(buf), (err) => {
      if (--this.#pendingWrites === 0 && this.#onFlushed) {
        const flushed = this.#onFlushed;
        this.#onFlushed = undefined;
        flushed();
      }
      if (err || this.#closed) return;
      this.#bytesOut += n;
      this.#lastActivity = Date.now();
      this.owner?.post({ t: "written", cid: this.cid, n });
    });
  }

  /** Worker: it processed `n` bytes we sent it. */
  consumed(n: number): void {
    if (n > this.#inflight) {
      this.destroy("worker acknowledged more than it was sent");
      return;
    }
    this.#inflight -= n;
    if (this.#paused && this.#inflight <= inboundWindow / 2 && !this.#upgrading) {
      this.#paused = false;
      resumeReading(this.socket);
    }
  }

  /**
   * Worker: write its go-ahead `reply`, then upgrade to TLS (RFC 3207 §4.2,
   * RFC 9051 §6.2.1).
   *
   * Forwarding stops and the socket is paused before the reply is written, so nothing
   * the client sends from here on reaches the worker as plaintext. Once the reply is
   * flushed, the TLS layer takes the socket over, including bytes already read and
   * buffered (node's TLSSocket feeds those to the handshake): a fast client's
   * ClientHello is never lost, and plaintext pipelined behind STARTTLS fails the
   * handshake instead of being executed.
   */
  startTls(reply: ArrayBuffer): void {
    if (this.options.tlsMode !== "starttls" || this.tls || this.#upgrading) {
      this.destroy("worker asked for STARTTLS where it is not allowed");
      return;
    }
    this.#upgrading = true;
    const plain = this.socket;
    plain.off("data", this.#onData);
    plain.pause();
    const upgrade = async () => {
      if (this.#closed) return;
      try {
        const { socket, facts } = await this.options.certs.handshake(plain);
        this.#replaceSocket(socket);
        this.tls = facts;
        this.#upgrading = false;
        this.owner?.post({ t: "tls", cid: this.cid, tls: facts });
        this.socket.on("data", this.#onData);
        if (this.#paused) pauseReading(this.socket);
        else this.socket.resume();
      } catch (err) {
        this.options.log.info("tls handshake failed", { err: err as Error });
        this.destroy("tls handshake failed");
      }
    };
    this.#onFlushed = upgrade;
    this.#send(reply);
  }

  /** Worker: close after flushing what it wrote. */
  end(): void {
    if (this.#closed) return;
    this.socket.end();
    // A client that never reads must not keep a half-closed connection forever.
    this.#graceTimer ??= setTimeout(() => this.destroy("close timed out"), expireGraceMs);
  }

  /** Timeout: let the session say goodbye, then close regardless. */
  expire(reason: "idle" | "session"): void {
    if (this.#closed || this.#graceTimer !== undefined) return;
    this.options.log.info("connection timed out", { reason });
    if (!this.owner) return this.destroy(`${reason} timeout`);
    this.owner.post({ t: "expire", cid: this.cid, reason });
    this.#graceTimer = setTimeout(() => this.destroy(`${reason} timeout`), expireGraceMs);
  }

  /** Writes a fixed farewell (no worker involved) and closes. */
  farewell(text: string): void {
    if (this.#closed || this.#upgrading) return this.destroy("farewell");
    this.socket.end(text);
    this.#graceTimer ??= setTimeout(() => this.destroy("farewell"), expireGraceMs);
  }

  destroy(reason: string): void {
    if (this.#closed) return;
    this.options.log.debug("closing connection", { reason });
    this.socket.destroy();
    this.#finish(reason);
  }

  #onData = (chunk: Uint8Array) => {
    if (this.#closed || !this.owner) return;
    this.#lastActivity = Date.now();
    this.#bytesIn += chunk.length;
    // A Buffer may be a view into a shared pool: copy into a buffer of its own to transfer.
    const buf = chunk.slice().buffer as ArrayBuffer;
    this.#inflight += buf.byteLength;
    this.owner.post({ t: "data", cid: this.cid, buf }, [buf]);
    if (this.#inflight >= inboundWindow && !this.#paused) {
      this.#paused = true;
      pauseReading(this.socket);
    }
  };

  #watch(socket: Socket): void {
    socket.on("close", () => this.#finish("closed"));
    // Errors (resets, TLS alerts) end in "close"; keep them from being thrown.
    socket.on("error", (err: Error) => this.options.log.debug("socket error", { err }));
  }

  #replaceSocket(socket: Socket): void {
    this.socket = socket;
    this.#watch(socket);
  }

  #checkIdle(): void {
    if (this.#closed) return;
    const idleFor = Date.now() - this.#lastActivity;
    if (idleFor >= this.options.idleTimeoutMs) return this.expire("idle");
    this.#idleTimer = setTimeout(() => this.#checkIdle(), this.options.idleTimeoutMs - idleFor);
  }

  #finish(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#sessionTimer);
    clearTimeout(this.#graceTimer);
    this.owner?.post({ t: "closed", cid: this.cid, reason });
    this.owner?.conns.delete(this.cid);
    this.options.onClose(this);
  }
}

/** The TCP handle under a Deno TLSSocket, which has its own read loop. */
function tcpHandleOf(socket: Socket): { readStop(): unknown; readStart(): unknown } | undefined {
  const parent = (socket as unknown as { _handle?: { _parent?: unknown } })._handle?._parent;
  const h = parent as { readStop?: unknown; readStart?: unknown } | undefined;
  return typeof h?.readStop === "function" && typeof h.readStart === "function"
    ? h as { readStop(): unknown; readStart(): unknown }
    : undefined;
}

/**
 * Stops reading from the client. DEVIATION (Deno 2.9.6 node:tls): a paused TLSSocket
 * keeps reading into its buffer without bound, so for TLS the TCP handle underneath is
 * stopped as well. tests/supervisor_flow_test.ts checks both plain and TLS.
 */
function pauseReading(socket: Socket): void {
  socket.pause();
  if (socket instanceof TLSSocket) tcpHandleOf(socket)?.readStop();
}

function resumeReading(socket: Socket): void {
  if (socket instanceof TLSSocket) tcpHandleOf(socket)?.readStart();
  socket.resume();
}
