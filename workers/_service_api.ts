/**
 * RPC methods every service worker (store, queue, http) answers, so the supervisor can
 * start, configure and watch them the same way. Each worker's own API extends this.
 */
import type { Level } from "../core/log/mod.ts";

export interface ServiceInit {
  /** Absolute data directory. */
  dataDir: string;
  hostname: string;
  log: { level: Level; packages: Record<string, Level> };
}

export type ServiceApi = {
  /** First call after spawn: configure logging and open resources. */
  init: { params: ServiceInit; result: { ok: true } };
  /** Heartbeat: answers at once unless the worker is stuck. */
  ping: { params: Record<never, never>; result: { ok: true } };
};
