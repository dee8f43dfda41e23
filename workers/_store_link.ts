/**
 * A protocol worker's link to the store's session API (workers/store/session_api.ts):
 * the supervisor sends a MessagePort after the worker starts, and a new one whenever
 * the store worker restarts. Calls made before a port arrives wait for it (bounded);
 * calls in flight on a replaced port fail with "Closed". Sessions hold this object, not
 * the port, so they survive the swap (their tokens do not: the new store instance
 * answers "NoSession" and sessions end).
 */

import { type CallOptions, RpcClient, RpcError } from "../core/rpc/mod.ts";
import type { StoreEvent } from "./store/api.ts";
import type { SessionStoreApi, SessionStoreEvents } from "./store/session_api.ts";

/** How long a call waits for a port before failing with "Unavailable". */
const waitForPortMs = 10_000;
/** Default per-call timeout: an APPEND of a large message is durable within this. */
const callTimeoutMs = 120_000;

type Api = SessionStoreApi;

export class StoreLink {
  #client: RpcClient<Api, SessionStoreEvents> | undefined;
  #waiters = new Set<() => void>();
  #listeners = new Set<(event: StoreEvent) => void>();
  /** Connections that tried to log in, whose tokens the store must drop when they close. */
  #authenticating = new Set<string>();

  /** Starts using `port`, closing the previous one. */
  attach(port: MessagePort): void {
    this.#client?.close();
    const client = new RpcClient<Api, SessionStoreEvents>(port, { timeoutMs: callTimeoutMs });
    client.on("change", (event) => {
      for (const listener of this.#listeners) listener(event);
    });
    this.#client = client;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Calls `method` on the store. Rejects with RpcError (store codes, "Unavailable"). */
  async call<M extends keyof Api & string>(
    method: M,
    params: Api[M]["params"],
    options: CallOptions = {},
  ): Promise<Api[M]["result"]> {
    if (method === "login" || method === "scramStart") {
      this.#authenticating.add((params as { cid: string }).cid);
    }
    const client = this.#client ?? await this.#waitForPort(options.signal);
    return client.call(method, params, options);
  }

  /** The runtime tells the link a connection closed: its sessions end in the store. */
  connectionClosed(cid: string): void {
    if (!this.#authenticating.delete(cid) || !this.#client) return;
    this.#client.call("endConnection", { cid }).catch(() => {}); // a dead store ended them
  }

  /** Receives change events for accounts with a session on this worker. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }

  #waitForPort(signal: AbortSignal | undefined): Promise<RpcClient<Api, SessionStoreEvents>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        signal?.removeEventListener("abort", cancel);
      };
      const wake = () => (done(), resolve(this.#client!));
      const cancel = () => (done(), reject(new RpcError("Cancelled", "Call cancelled")));
      const timer = setTimeout(() => {
        done();
        reject(new RpcError("Unavailable", "Cannot reach the store"));
      }, waitForPortMs);
      this.#waiters.add(wake);
      signal?.addEventListener("abort", cancel, { once: true });
    });
  }
}
