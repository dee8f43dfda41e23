/**
 * What the resolver needs from the outside world: a way to exchange DNS messages with a
 * server, and a clock. The real transport (UDP and TCP sockets) lives in
 * `workers/queue/dns_transport.ts`; tests pass fakes.
 */

/** A name server address: an IP literal (no brackets) and a port. */
export interface DnsServer {
  host: string;
  port: number;
}

/** How one exchange is to be done. */
export interface ExchangeOptions {
  /** Use TCP with the 2-octet length prefix (RFC 1035 §4.2.2, RFC 7766) instead of UDP. */
  tcp: boolean;
  /**
   * Aborted when the resolver gives up on this try. The transport then rejects at once
   * (with `signal.reason`) and releases its socket.
   */
  signal: AbortSignal;
  /**
   * Whether a received message answers this query: id, QR bit and question match (RFC
   * 5452 §9.1). A transport passes here every message that came from the server's
   * address and port, resolves with the first accepted one and drops the rest, so that a
   * forged or stray reply does not end the wait for the real one.
   */
  accept(reply: Uint8Array): boolean;
}

/** Sends one query and returns the server's reply. */
export interface DnsTransport {
  /**
   * @returns the first reply `opts.accept` accepted
   * @throws the signal's reason when aborted; any other error when the exchange fails
   *   (the resolver reports those as "Unreachable")
   */
  exchange(query: Uint8Array, server: DnsServer, opts: ExchangeOptions): Promise<Uint8Array>;
}

/** Time as the resolver sees it; tests pass a fake one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; the returned function cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
};
