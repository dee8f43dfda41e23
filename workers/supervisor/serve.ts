/**
 * `postern serve` and `postern localserve` at run time: load and check the config,
 * start the supervisor, open the control socket, watch domains.yaml, and turn SIGTERM,
 * SIGINT and `postern stop` into one graceful shutdown. Resolves with the exit status.
 */

import type { Server } from "node:net";
import { formatProblem } from "../../core/config/mod.ts";
import { configureLogging, logger } from "../../core/log/mod.ts";
import {
  type ConfigFiles,
  controlSocketPath,
  loadConfig,
  resolveDataDir,
  watchDomains,
} from "./config_files.ts";
import { type ControlRequest, serveControl } from "./control.ts";
import { runImport } from "./admin.ts";
import { backupDataDir } from "./backup.ts";
import { exportMailbox } from "./export.ts";
import { Supervisor } from "./supervisor.ts";

const log = logger("serve");

/** `bytes` if it spans its whole buffer (safe to transfer), else a copy that does. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer;
  return whole ? bytes as Uint8Array<ArrayBuffer> : bytes.slice();
}

/** Arguments of the import and export control requests, checked. */
function mailboxFileArgs(
  request: ControlRequest,
): { format: "mbox" | "maildir"; account: string; mailbox: string; path: string } | undefined {
  const { format, account, mailbox, path } = request;
  if (format !== "mbox" && format !== "maildir") return undefined;
  if (typeof account !== "string" || typeof mailbox !== "string") return undefined;
  return typeof path === "string" && path.startsWith("/")
    ? { format, account, mailbox, path }
    : undefined;
}

export interface ServeOptions {
  /** Runs once the server is up (localserve sets its account's first password). */
  onStarted?: (sup: Supervisor) => Promise<void>;
}

export async function serve(
  files: ConfigFiles,
  out: (line: string) => void,
  options: ServeOptions = {},
): Promise<number> {
  const loaded = await loadConfig(files);
  if (!loaded.ok) {
    for (const p of loaded.problems) out(formatProblem(p));
    out(`postern: refusing to start: ${loaded.problems.length} problem(s) in the configuration`);
    return 1;
  }
  const { config, domains } = loaded;
  configureLogging(config.log);
  const dataDir = resolveDataDir(config.dataDir, files.configDir);

  // The control socket first: it tells whether another server runs on this data
  // directory, before anything else touches it.
  let sup: Supervisor | undefined;
  /** Set once startup is complete; the control socket answers only then. */
  const ready: { sup?: Supervisor } = {};
  let finished!: () => void;
  const done = new Promise<void>((resolve) => finished = resolve);
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      stopWatching();
      await sup?.stop();
      finished();
    })();
  let stopWatching = () => {};
  let control: Server;
  try {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    control = await serveControl(
      controlSocketPath(dataDir, config.controlSocket, files.configDir),
      async (request, progress) => {
        // Answer only once startup is complete (watcher running, hooks done).
        const sup = ready.sup;
        if (!sup) return { ok: false, error: "still starting" };
        const { command } = request;
        switch (command) {
          case "stop":
            await shutdown();
            return { ok: true, stopped: true };
          case "status":
            return {
              ok: true,
              connections: sup.connections.size,
              listeners: sup.addresses(),
              domains: Object.keys(sup.domains?.domains ?? {}).length,
            };
          case "setaccountpassword": {
            const { account, password } = request;
            if (typeof account !== "string" || typeof password !== "string") {
              return { ok: false, error: "account and password required" };
            }
            try {
              await sup.store.client.call("setPassword", { account, password });
            } catch (err) {
              return { ok: false, error: (err as Error).message };
            }
            log.info("account password set", { account });
            return { ok: true };
          }
          case "backup": {
            const { target } = request;
            if (typeof target !== "string" || !target.startsWith("/")) {
              return { ok: false, error: "an absolute target directory is required" };
            }
            try {
              const report = await backupDataDir(sup.paths.dataDir, target, files, {
                hold: async () => void await sup.store.client.call("holdRemovals", { hold: true }),
                release: async () =>
                  void await sup.store.client.call("holdRemovals", { hold: false }),
              }, (name, r) => progress({ account: name, ...r }));
              log.info("backup done", {
                target,
                accounts: report.accounts,
                messages: report.messages,
              });
              return { ok: true, report };
            } catch (err) {
              return { ok: false, error: (err as Error).message };
            }
          }
          case "export": {
            const args = mailboxFileArgs(request);
            if (!args) return { ok: false, error: "format, account, mailbox and path required" };
            const { format, account, mailbox, path } = args;
            try {
              // The supervisor writes the file (the store worker may write only its data
              // directory), paging through the mailbox over RPC.
              const store = sup.store.client;
              const report = await exportMailbox(
                {
                  messages: (fromUid, limit) =>
                    store.call("messages", { account, mailbox, fromUid, limit }),
                  read: (uid) => store.call("read", { account, mailbox, uid }),
                },
                format,
                path,
                (r) => progress({ ...r }),
              );
              return { ok: true, report };
            } catch (err) {
              return { ok: false, error: (err as Error).message };
            }
          }
          case "import": {
            const args = mailboxFileArgs(request);
            if (!args) return { ok: false, error: "format, account, mailbox and path required" };
            const { format, account, mailbox, path } = args;
            try {
              // The supervisor reads the file (the store worker may read only its data
              // directory) and hands batches over, transferring the bytes.
              const report = await runImport(format, path, mailbox, {
                addBatch: async (items) => {
                  // Transfer, not copy: a message that is a view into a larger buffer
                  // gets one of its own first (the mbox reader's already are).
                  const own = items.map((i) => ({ ...i, message: ownBuffer(i.message) }));
                  await sup.store.client.call("addBatch", { account, items: own }, {
                    transfer: own.map((i) => i.message.buffer),
                    timeoutMs: 120_000,
                  });
                },
              }, (p) => progress({ ...p }));
              log.info("import done", {
                account,
                mailbox,
                messages: report.messages,
                problems: report.problems,
              });
              return { ok: true, report };
            } catch (err) {
              return { ok: false, error: (err as Error).message };
            }
          }
          default:
            return { ok: false, error: `unknown command ${JSON.stringify(command.slice(0, 40))}` };
        }
      },
    );
  } catch (err) {
    out(`postern: cannot start: ${(err as Error).message}`);
    return 1;
  }
  try {
    sup = await Supervisor.start({ config, configDir: files.configDir });
  } catch (err) {
    // Expected failures (a port in use, an unreadable key): a message, not a stack.
    out(`postern: cannot start: ${(err as Error).message}`);
    await new Promise((resolve) => control.close(resolve));
    return 1;
  }
  const running = sup;
  await running.setDomains(domains);
  await options.onStarted?.(running);
  stopWatching = watchDomains(
    files.domainsFile,
    (d) =>
      running.setDomains(d).catch((err: Error) =>
        log.error("cannot apply domains config", { err: err.message })
      ),
  );
  ready.sup = running;

  let signals = 0;
  const onSignal = (name: Deno.Signal) => () => {
    if (++signals > 1) {
      log.warn("second signal, exiting at once", { signal: name });
      Deno.exit(1);
    }
    log.info("signal received, shutting down", { signal: name });
    void shutdown();
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);

  await done;
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  // Let `postern stop` read its reply before the socket goes away.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => control.close(resolve));
  return 0;
}
