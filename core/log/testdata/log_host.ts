/**
 * Test fixture: spawns `log_worker.ts` with `permissions: "none"`, sends it a logging
 * config, and exits once it reports back. Run as a subprocess so its stderr can be read.
 */
const worker = new Worker(new URL("./log_worker.ts", import.meta.url), {
  type: "module",
  deno: { permissions: "none" },
});
const done = Promise.withResolvers<void>();
worker.onmessage = () => done.resolve();
worker.onerror = (ev) => {
  ev.preventDefault();
  done.reject(new Error(`Worker failed: ${ev.message}`));
};
worker.postMessage({ level: "info", packages: {} });
await done.promise;
worker.terminate();
