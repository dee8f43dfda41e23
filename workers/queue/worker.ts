/**
 * Queue worker entry (read/write on <data>/queue, outbound network). Outgoing
 * delivery arrives with the queue issue; this stage prepares its directory.
 */
import { logger } from "../../core/log/mod.ts";
import { runServiceWorker } from "../_service_worker.ts";

export type QueueApi = Record<never, never>;

const log = logger("queue");

runServiceWorker<QueueApi>(async ({ dataDir }) => {
  await Deno.mkdir(`${dataDir}/queue`, { recursive: true, mode: 0o700 });
  log.debug("queue ready", { dataDir });
}, {});
