/**
 * Store worker entry (read/write on the data directory only). Owns the accounts:
 * SQLite indexes and message files. This stage opens the data directory; the account
 * API arrives with the store issue.
 */
import { logger } from "../../core/log/mod.ts";
import { runServiceWorker } from "../_service_worker.ts";

export type StoreApi = Record<never, never>;

const log = logger("store");

runServiceWorker<StoreApi>(async ({ dataDir }) => {
  await Deno.mkdir(`${dataDir}/accounts`, { recursive: true, mode: 0o700 });
  log.debug("store ready", { dataDir });
}, {});
