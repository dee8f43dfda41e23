/**
 * Logins: failed-attempt limits per source and per account, and the session tokens a
 * successful login hands out.
 *
 * A token is bound to one account and one connection id. Every call a protocol worker
 * makes after login carries the token, and the store acts on that token's account
 * only: a compromised parser can reach only accounts whose password it already has.
 *
 * Failures are counted over a sliding window: past `perSource` failures from one IPv4
 * address or IPv6 /64, or `perAccount` failures for one account, further attempts are
 * refused without checking the password until the window moves on. Memory is bounded
 * by the number of sources and accounts that failed within the window.
 */

import { sourceKey } from "../../core/wire/source.ts";

export interface LoginLimits {
  windowMs: number;
  perSource: number;
  perAccount: number;
}

export const defaultLoginLimits: LoginLimits = {
  windowMs: 5 * 60_000,
  perSource: 10,
  perAccount: 30,
};

/** Failure timestamps per key, pruned to the window. */
class FailureWindow {
  #failures = new Map<string, number[]>();

  constructor(readonly windowMs: number, readonly max: number, readonly now: () => number) {}

  blocked(key: string): boolean {
    return this.#recent(key).length >= this.max;
  }

  record(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.now());
    this.#failures.set(key, recent.slice(-this.max));
  }

  clear(key: string): void {
    this.#failures.delete(key);
  }

  /** Drops keys with no failure in the window. */
  sweep(): void {
    for (const key of [...this.#failures.keys()]) {
      if (this.#recent(key).length === 0) this.#failures.delete(key);
    }
  }

  get size(): number {
    return this.#failures.size;
  }

  #recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    return recent;
  }
}

export class LoginGuard {
  readonly #bySource: FailureWindow;
  readonly #byAccount: FailureWindow;
  #sinceSweep = 0;

  constructor(limits: LoginLimits = defaultLoginLimits, now: () => number = Date.now) {
    this.#bySource = new FailureWindow(limits.windowMs, limits.perSource, now);
    this.#byAccount = new FailureWindow(limits.windowMs, limits.perAccount, now);
  }

  /** Whether an attempt from `remoteIp` for `account` may be checked at all. */
  allowed(remoteIp: string, account: string): boolean {
    return !this.#bySource.blocked(sourceKey(remoteIp)) && !this.#byAccount.blocked(account);
  }

  failed(remoteIp: string, account: string): void {
    this.#bySource.record(sourceKey(remoteIp));
    this.#byAccount.record(account);
    // Amortised cleanup: sources rotating addresses must not grow the maps forever.
    if (++this.#sinceSweep >= 1000) {
      this.#sinceSweep = 0;
      this.sweep();
    }
  }

  /** A success forgives the source's failures, not the account's (others may be guessing). */
  succeeded(remoteIp: string): void {
    this.#bySource.clear(sourceKey(remoteIp));
  }

  sweep(): void {
    this.#bySource.sweep();
    this.#byAccount.sweep();
  }

  get tracked(): number {
    return this.#bySource.size + this.#byAccount.size;
  }
}

export interface Session {
  account: string;
  /** The port (protocol worker link) the login came through; 0 for in-process callers. */
  port: number;
  /** Connection the login happened on. */
  cid: string;
  createdAt: number;
}

/** Session tokens: 192 random bits, base64url, each bound to an account, port and connection. */
export class Sessions {
  #byToken = new Map<string, Session>();
  /** account → its tokens, so per-account questions do not scan every session. */
  #byAccount = new Map<string, Set<string>>();
  /** "port/cid" → its tokens, for connection close. */
  #byConn = new Map<string, Set<string>>();

  create(account: string, cid: string, port = 0): string {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    const token = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
    this.#byToken.set(token, { account, port, cid, createdAt: Date.now() });
    addTo(this.#byAccount, account, token);
    addTo(this.#byConn, `${port}/${cid}`, token);
    return token;
  }

  /** The session of `token`, if it is valid and was issued for `cid` on `port`. */
  get(token: string, cid: string, port = 0): Session | undefined {
    const session = this.#byToken.get(token);
    return session && session.cid === cid && session.port === port ? session : undefined;
  }

  /** Whether `account` has a live session on `port`. */
  hasAccountOn(account: string, port: number): boolean {
    for (const token of this.#byAccount.get(account) ?? []) {
      if (this.#byToken.get(token)?.port === port) return true;
    }
    return false;
  }

  end(token: string): void {
    const session = this.#byToken.get(token);
    if (!session) return;
    this.#byToken.delete(token);
    removeFrom(this.#byAccount, session.account, token);
    removeFrom(this.#byConn, `${session.port}/${session.cid}`, token);
  }

  /** Ends every session of a connection (it closed). */
  endConnection(cid: string, port = 0): void {
    for (const token of [...this.#byConn.get(`${port}/${cid}`) ?? []]) this.end(token);
  }

  /** Ends every session of a port (its worker is gone). */
  endPort(port: number): void {
    for (const [token, s] of this.#byToken) if (s.port === port) this.end(token);
  }

  /** Ends every session of an account (password changed, account removed). */
  endAccount(account: string): void {
    for (const token of [...this.#byAccount.get(account) ?? []]) this.end(token);
  }

  get size(): number {
    return this.#byToken.size;
  }
}

function addTo(index: Map<string, Set<string>>, key: string, token: string): void {
  let tokens = index.get(key);
  if (!tokens) index.set(key, tokens = new Set());
  tokens.add(token);
}

function removeFrom(index: Map<string, Set<string>>, key: string, token: string): void {
  const tokens = index.get(key);
  tokens?.delete(token);
  if (tokens?.size === 0) index.delete(key);
}
