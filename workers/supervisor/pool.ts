/**
 * A pool of protocol workers of one kind (smtp or imap). Spreads connections over its
 * workers (fewest connections first), validates every message they send, and replaces
 * a worker that crashes or stops answering pings, closing only that worker's
 * connections.
 *
 * A worker that sends a malformed message, or one about a connection it does not own,
 * is treated as compromised: it is terminated and replaced like a crashed one.
 */

import type { Logger } from "../../core/log/mod.ts";
import {
  parseWorkerMessage,
  protocolVersion,
  type SupervisorMessage,
  type WorkerInit,
} from "../protocol.ts";
import { spawnWorker, type WorkerPaths } from "../spawn.ts";
import type { ClientConnection, ConnectionOwner } from "./connection.ts";

export interface PoolOptions {
  kind: "smtp" | "imap";
  size: number;
  paths: WorkerPaths;
  init: Omit<WorkerInit, "t" | "version" | "index">;
  /** A worker not answering a ping for this long is replaced. */
  heartbeatMs: number;
  /** Entry module override, for tests; same permissions. */
  entry?: URL;
  /** Farewell written to each connection of a worker that was lost. */
  lostFarewell: string;
  log: Logger;
  /** Runs when a worker (also a replacement) is ready: give it its store port. */
  onReady?: (worker: PoolWorker) => void;
  /** Runs when a worker is lost: release what it held (its store port). */
  onLost?: (worker: PoolWorker) => void;
}

type HandleState = "starting" | "ready" | "lost";

export class PoolWorker implements ConnectionOwner {
  state: HandleState = "starting";
  readonly conns = new Map<string, ClientConnection>();
  lastPong = Date.now();
  pingSeq = 0;
  /** The store's name for this worker's session port, once linked. */
  storeLink: number | undefined;

  constructor(readonly index: number, readonly worker: Worker) {}

  post(message: SupervisorMessage, transfer: Transferable[] = []): void {
    if (this.state === "lost") return;
    this.worker.postMessage(message, transfer);
  }
}

export class WorkerPool {
  readonly workers: PoolWorker[] = [];
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  #recentLosses: number[] = [];
  #respawns = new Set<ReturnType<typeof setTimeout>>();

  constructor(readonly options: PoolOptions) {}

  /** Starts all workers and resolves when each said it is ready. */
  async start(): Promise<void> {
    const ready = [];
    for (let i = 0; i < this.options.size; i++) ready.push(this.#spawn(i));
    await Promise.all(ready);
    const interval = Math.max(50, Math.floor(this.options.heartbeatMs / 3));
    this.#heartbeat = setInterval(() => this.#checkHeartbeats(), interval);
  }

  /** The ready worker with the fewest connections, if any. */
  pick(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.workers) {
      if (w.state !== "ready") continue;
      if (!best || w.conns.size < best.conns.size) best = w;
    }
    return best;
  }

  /** Asks every worker to finish its sessions (shutdown). */
  drain(): void {
    for (const w of this.workers) w.post({ t: "drain" });
  }

  /** Terminates all workers. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    for (const t of this.#respawns) clearTimeout(t);
    for (const w of this.workers) {
      w.state = "lost";
      w.worker.terminate();
    }
  }

  #spawn(index: number): Promise<void> {
    const { kind, paths, entry, log } = this.options;
    const worker = spawnWorker(kind, paths, {
      ...(entry ? { entry } : {}),
      name: `${kind}-${index}`,
    });
    const handle = new PoolWorker(index, worker);
    this.workers[index] = handle;
    return new Promise((resolve) => {
      worker.onmessage = (ev) => {
        const m = parseWorkerMessage(ev.data);
        if (!m) return this.#lost(handle, "sent a malformed message");
        switch (m.t) {
          case "ready":
            if (m.version !== protocolVersion) {
              return this.#lost(handle, `speaks protocol ${m.version}, not ${protocolVersion}`);
            }
            handle.state = "ready";
            handle.lastPong = Date.now();
            log.debug("worker ready", { worker: `${kind}-${index}` });
            this.options.onReady?.(handle);
            return resolve();
          case "pong":
            handle.lastPong = Date.now();
            return;
          default: {
            const conn = handle.conns.get(m.cid);
            // A connection may have closed while the worker's message was in flight.
            if (!conn) return;
            switch (m.t) {
              case "write":
                return conn.write(m.buf);
              case "consumed":
                return conn.consumed(m.n);
              case "starttls":
                return conn.startTls(m.reply);
              case "close":
                return conn.end();
            }
          }
        }
      };
      worker.onerror = (ev) => {
        ev.preventDefault();
        this.#lost(handle, `crashed: ${ev.message}`);
        resolve();
      };
      worker.onmessageerror = () => this.#lost(handle, "sent an undecodable message");
      handle.post({ t: "init", version: protocolVersion, index, ...this.options.init });
    });
  }

  #checkHeartbeats(): void {
    const now = Date.now();
    for (const w of this.workers) {
      if (w.state !== "ready") continue;
      if (now - w.lastPong > this.options.heartbeatMs) {
        this.#lost(w, "stopped answering");
        continue;
      }
      w.post({ t: "ping", seq: ++w.pingSeq });
    }
  }

  #lost(handle: PoolWorker, reason: string): void {
    if (handle.state === "lost") return;
    const { kind, log } = this.options;
    handle.state = "lost";
    handle.worker.terminate();
    log.error("worker lost, replacing it", {
      worker: `${kind}-${handle.index}`,
      reason,
      connections: handle.conns.size,
    });
    for (const conn of handle.conns.values()) {
      conn.owner = undefined;
      conn.farewell(this.options.lostFarewell);
    }
    handle.conns.clear();
    this.options.onLost?.(handle);
    if (this.#stopped) return;
    // Back off when workers keep dying (a poisoned input, a bug at startup).
    const now = Date.now();
    this.#recentLosses = this.#recentLosses.filter((t) => now - t < 60_000);
    this.#recentLosses.push(now);
    const delay = Math.min(30_000, 50 * 2 ** Math.max(0, this.#recentLosses.length - 3));
    const timer = setTimeout(() => {
      this.#respawns.delete(timer);
      if (!this.#stopped) void this.#spawn(handle.index);
    }, delay);
    this.#respawns.add(timer);
  }
}
