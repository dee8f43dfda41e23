/**
 * The one place that starts workers and decides their permissions.
 *
 * Every worker is spawned with an explicit, narrow permission set; the tests in
 * tests/worker_permissions_test.ts spawn probes through {@linkcode spawnWorker} with the
 * same sets and assert `Deno.errors.NotCapable` for everything outside them.
 *
 * | kind       | permissions                                         |
 * |------------|-----------------------------------------------------|
 * | smtp, imap | none                                                |
 * | http       | none                                                |
 * | store      | read + write on the data directory                  |
 * | queue      | read + write on <data>/queue; outbound network      |
 *
 * DEVIATION: Deno's `net` permission cannot tell connecting from listening, so the
 * queue worker could also listen; its code never does.
 */

export type WorkerKind = "smtp" | "imap" | "http" | "store" | "queue";

/** Entry module of each worker kind. */
export const workerEntries: Record<WorkerKind, URL> = {
  smtp: new URL("./smtp/worker.ts", import.meta.url),
  imap: new URL("./imap/worker.ts", import.meta.url),
  http: new URL("./http/worker.ts", import.meta.url),
  store: new URL("./store/worker.ts", import.meta.url),
  queue: new URL("./queue/worker.ts", import.meta.url),
};

export interface WorkerPaths {
  /** Absolute path of the data directory. */
  dataDir: string;
}

/** Directory the queue worker owns. */
export function queueDir(paths: WorkerPaths): string {
  return `${paths.dataDir}/queue`;
}

/** The permission set a worker of this kind runs with. */
export function permissionsFor(kind: WorkerKind, paths: WorkerPaths): Deno.PermissionOptionsObject {
  const none: Deno.PermissionOptionsObject = {
    read: false,
    write: false,
    net: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
  switch (kind) {
    case "smtp":
    case "imap":
    case "http":
      return none;
    case "store":
      return { ...none, read: [paths.dataDir], write: [paths.dataDir] };
    case "queue":
      return { ...none, read: [queueDir(paths)], write: [queueDir(paths)], net: true };
  }
}

export interface SpawnOptions {
  /** Run this module instead of the kind's entry (tests use probes). */
  entry?: URL;
  /** Name shown in stack traces and logs. */
  name?: string;
}

/** Starts a worker of `kind` with exactly the permissions of {@linkcode permissionsFor}. */
export function spawnWorker(
  kind: WorkerKind,
  paths: WorkerPaths,
  options: SpawnOptions = {},
): Worker {
  return new Worker(options.entry ?? workerEntries[kind], {
    type: "module",
    name: options.name ?? kind,
    deno: { permissions: permissionsFor(kind, paths) },
  });
}
