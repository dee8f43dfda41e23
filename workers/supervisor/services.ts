/**
 * The supervisor's single-instance service workers (store, queue, http): started with
 * their narrow permissions, initialised over RPC, pinged, and restarted when they crash
 * or stop answering. Callers use {@linkcode ServiceWorker.client}, which always points at
 * the live instance.
 */

import type { Logger } from "../../core/log/mod.ts";
import { type ApiSpec, type EventSpec, RpcClient } from "../../core/rpc/mod.ts";
import type { ServiceApi, ServiceInit } from "../_service_api.ts";
import { spawnWorker, type WorkerKind, type WorkerPaths } from "../spawn.ts";

export interface ServiceOptions {
  kind: Exclude<WorkerKind, "smtp" | "imap">;
  paths: WorkerPaths;
  init: ServiceInit;
  heartbeatMs: number;
  log: Logger;
  /** Runs after every (re)start, before the worker counts as ready: push state to it. */
  onStarted?: () => Promise<void>;
}

export class ServiceWorker<
  A extends ApiSpec = Record<never, never>,
  E extends EventSpec = Record<never, never>,
> {
  #worker: Worker | undefined;
  #client: RpcClient<ServiceApi & A, E> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #restart: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #pinging = false;

  constructor(readonly options: ServiceOptions) {}

  get client(): RpcClient<ServiceApi & A, E> {
    if (!this.#client) throw new Error(`Cannot reach ${this.options.kind} worker: not running`);
    return this.#client;
  }

  /** Starts the worker and resolves once it is initialised. */
  async start(): Promise<void> {
    const { kind, paths, init, heartbeatMs, log } = this.options;
    const worker = spawnWorker(kind, paths);
    const client = new RpcClient<ServiceApi & A, E>(worker, { timeoutMs: 30_000 });
    this.#worker = worker;
    this.#client = client;
    worker.onerror = (ev) => {
      ev.preventDefault();
      this.#lost(worker, `crashed: ${ev.message}`);
    };
    await client.call("init", init);
    await this.options.onStarted?.();
    log.debug("service worker ready", { worker: kind });
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => void this.#ping(worker), Math.max(50, heartbeatMs / 3));
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#restart);
    this.#client?.close();
    this.#worker?.terminate();
  }

  /** Replaces the running instance with a fresh one (tests; an operator's restart). */
  restart(reason: string): void {
    if (this.#worker) this.#lost(this.#worker, reason, 0);
  }

  async #ping(worker: Worker): Promise<void> {
    if (this.#pinging || worker !== this.#worker) return;
    this.#pinging = true;
    try {
      await this.client.call("ping", {}, { timeoutMs: this.options.heartbeatMs });
    } catch {
      this.#lost(worker, "stopped answering");
    } finally {
      this.#pinging = false;
    }
  }

  #lost(worker: Worker, reason: string, delayMs = 1_000): void {
    if (this.#stopped || worker !== this.#worker) return;
    const { kind, log } = this.options;
    log.error("service worker lost, restarting it", { worker: kind, reason });
    clearInterval(this.#heartbeat);
    this.#client?.close();
    worker.terminate();
    this.#worker = undefined;
    this.#client = undefined;
    this.#restart = setTimeout(() => {
      this.start().catch((err: Error) =>
        log.error("service worker failed to restart", { worker: kind, err })
      );
    }, delayMs);
  }
}
