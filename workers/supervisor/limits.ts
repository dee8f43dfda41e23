/**
 * Connection admission: a global cap, concurrent connections per source, and new
 * connections per minute per source. A source is an IPv4 address or an IPv6 /64 (one
 * customer's allocation; per-address limits are useless against a /64).
 *
 * Memory stays bounded by the number of sources seen in the last minute: entries with
 * no open connection and a full bucket are swept.
 */

import { sourceKey } from "../../core/wire/source.ts";

export { sourceKey };

export interface AdmissionLimits {
  maxConnections: number;
  perIpConnections: number;
  perIpRatePerMinute: number;
}

export type Admission = "ok" | "global" | "concurrency" | "rate";

interface SourceState {
  open: number;
  /** Token bucket for new connections; refills perIpRatePerMinute per minute. */
  tokens: number;
  refilledAt: number;
}

export class ConnectionLimiter {
  #sources = new Map<string, SourceState>();
  #open = 0;

  constructor(
    readonly limits: AdmissionLimits,
    readonly now: () => number = Date.now,
  ) {}

  /** Open connections across all sources. */
  get open(): number {
    return this.#open;
  }

  /** Number of sources tracked (for tests and metrics). */
  get tracked(): number {
    return this.#sources.size;
  }

  /** Decides on a new connection from `address`; on "ok" it counts as open. */
  admit(address: string): Admission {
    if (this.#open >= this.limits.maxConnections) return "global";
    const key = sourceKey(address);
    const state = this.#refill(key);
    if (state.open >= this.limits.perIpConnections) return "concurrency";
    if (state.tokens < 1) return "rate";
    state.tokens -= 1;
    state.open++;
    this.#open++;
    return "ok";
  }

  /** A connection admitted for `address` closed. */
  release(address: string): void {
    const state = this.#sources.get(sourceKey(address));
    if (!state || state.open === 0) return;
    state.open--;
    this.#open--;
  }

  /** Forgets sources with no connection and a full bucket. Call about once a minute. */
  sweep(): void {
    for (const [key, state] of this.#sources) {
      this.#refill(key);
      if (state.open === 0 && state.tokens >= this.limits.perIpRatePerMinute) {
        this.#sources.delete(key);
      }
    }
  }

  #refill(key: string): SourceState {
    const now = this.now();
    let state = this.#sources.get(key);
    if (!state) {
      state = { open: 0, tokens: this.limits.perIpRatePerMinute, refilledAt: now };
      this.#sources.set(key, state);
      return state;
    }
    const rate = this.limits.perIpRatePerMinute / 60_000;
    state.tokens = Math.min(
      this.limits.perIpRatePerMinute,
      state.tokens + (now - state.refilledAt) * rate,
    );
    state.refilledAt = now;
    return state;
  }
}
