/**
 * Test fixture: a worker (spawned with `permissions: "none"`) that configures logging
 * with the default stderr sink from its init message, logs one record, and reports back.
 */
import { configureLogging, type LogConfig, logger } from "../log.ts";

const scope = globalThis as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((ev: MessageEvent<LogConfig>) => void) | null;
};

scope.onmessage = (ev) => {
  configureLogging(ev.data);
  let envDenied = "no";
  try {
    Deno.env.get("HOME");
  } catch (err) {
    envDenied = err instanceof Deno.errors.NotCapable ? "NotCapable" : String(err);
  }
  const log = logger("worker.test", { cid: 7 });
  log.info("hello from worker", { env: envDenied });
  log.debug("hidden at info");
  scope.postMessage("done");
};
