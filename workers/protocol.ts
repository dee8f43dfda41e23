/**
 * The message protocol between the supervisor and protocol workers (smtp, imap).
 *
 * One typed, versioned file imported by both sides. The supervisor holds sockets and
 * TLS; a protocol worker holds session state machines, one per connection id (cid).
 * Bytes travel as transferred ArrayBuffers.
 *
 * Implementation notes:
 * - Flow control is credit based in both directions, so neither side buffers without
 *   bound. Inbound: the supervisor counts bytes posted in `data` and not yet returned
 *   by `consumed`; past {@linkcode inboundWindow} it pauses the socket. Outbound: the
 *   worker counts bytes posted in `write` and not yet returned by `written` (sent when
 *   the socket flushed them); past {@linkcode outboundWindow} its session waits. A
 *   worker that ignores its credits meets {@linkcode outboundHardCap} and loses the
 *   connection.
 * - STARTTLS: the worker sends `starttls` carrying its go-ahead reply. The supervisor
 *   stops forwarding and pauses reading, writes the reply, and once it is flushed
 *   starts the handshake on the socket; bytes it read meanwhile go to the handshake
 *   (plaintext there fails it). The worker discards every inbound byte from its
 *   request until `tls` arrives (RFC 3207 §4.2, RFC 9051 §6.2.1: bytes pipelined
 *   before the handshake must not be acted on). Sending the reply inside the request
 *   keeps a fast client's ClientHello from being forwarded as plaintext.
 * - The supervisor validates every message a worker sends with
 *   {@linkcode parseWorkerMessage}: a compromised worker must not steer it.
 */

import type { DomainsConfig } from "../core/config/domains.ts";
import type { Endpoint, TlsFacts, TlsMode } from "../core/wire/conn.ts";
export type { DomainsConfig, Endpoint, TlsFacts, TlsMode };

/** Bumped on any incompatible change; a worker reporting another version is refused. */
export const protocolVersion = 1;

/** Bytes posted to a worker and not yet consumed before the supervisor pauses reading. */
export const inboundWindow = 256 * 1024;
/** Bytes a worker may have in flight towards one socket before its session waits. */
export const outboundWindow = 256 * 1024;
/** Socket write buffer above which the supervisor drops the connection (misbehaving worker). */
export const outboundHardCap = 4 * outboundWindow;
/** Largest single `write` a worker may send. */
export const maxWriteChunk = 1024 * 1024;

export type ProtocolName = "smtp" | "submission" | "imap";

/** Configuration a protocol worker needs; sent once in `init`. */
export interface WorkerInit {
  t: "init";
  version: number;
  /** Worker index within its pool, for logs. */
  index: number;
  hostname: string;
  log: { level: string; packages: Record<string, string> };
  /** Per-listener session settings, by listener name. */
  listeners: Record<string, ListenerSettings>;
}

/** What a session needs to know about its listener besides the protocol. */
export interface ListenerSettings {
  requireTls: boolean;
  pedantic: boolean;
  maxMessageSize: number;
}

/** Supervisor → protocol worker. */
export type SupervisorMessage =
  | WorkerInit
  | {
    t: "open";
    cid: string;
    listener: string;
    protocol: ProtocolName;
    tlsMode: TlsMode;
    remote: Endpoint;
    local: Endpoint;
    /** Present when the connection is implicit TLS (handshake already done). */
    tls?: TlsFacts;
  }
  | { t: "data"; cid: string; buf: ArrayBuffer }
  | { t: "written"; cid: string; n: number }
  | { t: "tls"; cid: string; tls: TlsFacts }
  /** The connection is gone (peer closed, error, or closed by the supervisor). */
  | { t: "closed"; cid: string; reason: string }
  /**
   * The supervisor will close this connection shortly (idle or session timeout):
   * the session may write a farewell and close.
   */
  | { t: "expire"; cid: string; reason: "idle" | "session" }
  /** Shutdown: finish sessions (SMTP 421, IMAP BYE) and close them. */
  | { t: "drain" }
  | { t: "ping"; seq: number }
  /**
   * The domains configuration in force (recipient resolution, submission senders): sent
   * when the worker is ready and again whenever it changes.
   */
  | { t: "domains"; domains: DomainsConfig }
  /** The worker's port to the store's session API (again after a store restart). */
  | { t: "store"; port: MessagePort };

/** Protocol worker → supervisor. */
export type WorkerMessage =
  | { t: "ready"; version: number }
  | { t: "write"; cid: string; buf: ArrayBuffer }
  | { t: "consumed"; cid: string; n: number }
  /** `reply`: the go-ahead ("220 2.0.0 Ready to start TLS\r\n"), written before the handshake. */
  | { t: "starttls"; cid: string; reply: ArrayBuffer }
  | { t: "close"; cid: string }
  | { t: "pong"; seq: number };

const cidPattern = /^[0-9a-z]{1,32}$/;

function isCount(n: unknown, max: number): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 && n <= max;
}

/**
 * Validates a message received from a protocol worker.
 * @returns the message, or undefined when it is not a well-formed WorkerMessage.
 */
export function parseWorkerMessage(data: unknown): WorkerMessage | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const m = data as Record<string, unknown>;
  const cidOk = typeof m.cid === "string" && cidPattern.test(m.cid);
  switch (m.t) {
    case "ready":
      return isCount(m.version, 1e6) ? { t: "ready", version: m.version } : undefined;
    case "pong":
      return isCount(m.seq, Number.MAX_SAFE_INTEGER) ? { t: "pong", seq: m.seq } : undefined;
    case "write":
      return cidOk && m.buf instanceof ArrayBuffer && m.buf.byteLength <= maxWriteChunk
        ? { t: "write", cid: m.cid as string, buf: m.buf }
        : undefined;
    case "consumed":
      return cidOk && isCount(m.n, Number.MAX_SAFE_INTEGER)
        ? { t: "consumed", cid: m.cid as string, n: m.n }
        : undefined;
    case "starttls":
      return cidOk && m.reply instanceof ArrayBuffer && m.reply.byteLength <= 1024
        ? { t: "starttls", cid: m.cid as string, reply: m.reply }
        : undefined;
    case "close":
      return cidOk ? { t: "close", cid: m.cid as string } : undefined;
    default:
      return undefined;
  }
}
