/**
 * Worker permissions are real: a probe spawned through `spawnWorker(kind, …)` runs with
 * exactly the permission set the supervisor gives that kind, tries files, network, env,
 * subprocesses, FFI, sys info and imports, and must get `NotCapable` wherever the table
 * in workers/spawn.ts says the kind has no grant. The real service entries must still
 * start and answer under those permissions.
 */

import assert from "node:assert/strict";
import { RpcClient } from "../core/rpc/mod.ts";
import type { ServiceApi } from "../workers/_service_api.ts";
import { queueDir, spawnWorker, type WorkerKind, type WorkerPaths } from "../workers/spawn.ts";
import type { ProbeReport, ProbeTargets } from "./fixtures/perm_probe_worker.ts";
import "./_harness.ts"; // quiet logs

const probeUrl = new URL("./fixtures/perm_probe_worker.ts", import.meta.url);
const timeoutMs = 5_000;

/** A temporary directory with a data directory and files outside it. */
class Sandbox implements AsyncDisposable {
  constructor(readonly dir: string) {}

  get paths(): WorkerPaths {
    return { dataDir: `${this.dir}/data` };
  }

  static async create(): Promise<Sandbox> {
    const box = new Sandbox(await Deno.makeTempDir({ prefix: "postern-perm-" }));
    const { dataDir } = box.paths;
    await Deno.mkdir(queueDir(box.paths), { recursive: true });
    await Deno.mkdir(`${dataDir}/accounts/alice`, { recursive: true });
    await Deno.writeTextFile(`${dataDir}/accounts/alice/index.db`, "not for the queue");
    await Deno.writeTextFile(`${box.dir}/outside.txt`, "outside every grant");
    await Deno.writeTextFile(`${box.dir}/outside.js`, "export const reached = true;\n");
    return box;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Resolves with the worker's first message; rejects on a worker error or timeout. */
function firstMessage<T>(worker: Worker, what: string): Promise<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  const timer = setTimeout(() => reject(new Error(`No ${what} within ${timeoutMs} ms`)), timeoutMs);
  worker.onmessage = (ev: MessageEvent<T>) => resolve(ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    reject(new Error(`${what} worker failed: ${ev.message}`));
  };
  return promise.finally(() => clearTimeout(timer));
}

/**
 * Runs the probe as a worker of `kind` against a TCP listener of the test, and returns
 * its report. `expectConnect` says whether the probe's connection must be accepted.
 */
async function runProbe(
  kind: WorkerKind,
  box: Sandbox,
  expectConnect: boolean,
): Promise<ProbeReport> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { dataDir } = box.paths;
  const targets: ProbeTargets = {
    outsideFile: `${box.dir}/outside.txt`,
    outsideWrite: `${box.dir}/written-by-${kind}.txt`,
    systemFile: "/etc/hostname",
    port: listener.addr.port,
    outsideModule: new URL(`file://${box.dir}/outside.js`).href,
    ...(kind === "store" ? { insideFile: `${dataDir}/x` } : {}),
    ...(kind === "queue"
      ? {
        insideFile: `${queueDir(box.paths)}/x`,
        siblingFile: `${dataDir}/accounts/alice/index.db`,
      }
      : {}),
  };
  const worker = spawnWorker(kind, box.paths, { entry: probeUrl, name: `probe-${kind}` });
  try {
    const accepted = expectConnect ? listener.accept() : undefined;
    const report = firstMessage<ProbeReport>(worker, `${kind} probe`);
    worker.postMessage(targets);
    const result = await report;
    (await accepted)?.close();
    return result;
  } finally {
    worker.terminate();
  }
}

/** Everything a worker without any grant must be refused. */
const deniedAll: ProbeReport = {
  readOutside: "NotCapable",
  readSystem: "NotCapable",
  writeOutside: "NotCapable",
  statOutside: "NotCapable",
  connect: "NotCapable",
  listen: "NotCapable",
  env: "NotCapable",
  run: "NotCapable",
  ffi: "NotCapable",
  sysOsRelease: "NotCapable",
  sysHostname: "NotCapable",
  // Module loading reports the missing read permission as a TypeError, not NotCapable;
  // checked separately below.
  importOutside: "TypeError",
};

const expected: Record<WorkerKind, ProbeReport> = {
  smtp: deniedAll,
  imap: deniedAll,
  http: deniedAll,
  store: { ...deniedAll, writeInside: "ok", readInside: "ok" },
  queue: {
    ...deniedAll,
    connect: "ok",
    // DEVIATION (workers/spawn.ts): `net` cannot tell connecting from listening.
    listen: "ok",
    writeInside: "ok",
    readInside: "ok",
    readSibling: "NotCapable",
    writeSibling: "NotCapable",
  },
};

async function assertProbe(kind: WorkerKind): Promise<void> {
  await using box = await Sandbox.create();
  const { importOutsideMessage, ...report } = await runProbe(
    kind,
    box,
    expected[kind].connect === "ok",
  );
  assert.deepEqual(report, expected[kind]);
  assert.match(importOutsideMessage ?? "", /Requires read access/);
  // Nothing was written outside the grant.
  await assert.rejects(Deno.stat(`${box.dir}/written-by-${kind}.txt`), Deno.errors.NotFound);
  if (kind === "queue") {
    assert.equal(
      await Deno.readTextFile(`${box.paths.dataDir}/accounts/alice/index.db`),
      "not for the queue",
    );
  }
}

for (const kind of ["smtp", "imap", "http"] as const) {
  Deno.test(`${kind} worker gets NotCapable for files, network, env, run, ffi and sys`, () =>
    assertProbe(kind));
}

Deno.test(
  "store worker reads and writes the data directory, and gets NotCapable for files outside it, network, env, run, ffi and sys",
  () => assertProbe("store"),
);

Deno.test(
  "queue worker reads and writes <data>/queue and connects out, and gets NotCapable for other files, env, run, ffi and sys",
  () => assertProbe("queue"),
);

Deno.test("spawnWorker() starts the real store, queue and http entries, which answer init and ping", async () => {
  await using box = await Sandbox.create();
  await Deno.remove(queueDir(box.paths)); // the queue worker creates its own directory
  await Deno.remove(`${box.paths.dataDir}/accounts`, { recursive: true }); // and the store
  for (const kind of ["store", "queue", "http"] as const) {
    const worker = spawnWorker(kind, box.paths);
    const client = new RpcClient<ServiceApi>(worker, { timeoutMs });
    const { promise: crashed, reject } = Promise.withResolvers<never>();
    worker.onerror = (ev) => {
      ev.preventDefault();
      reject(new Error(`${kind} worker crashed: ${ev.message}`));
    };
    try {
      const init = {
        dataDir: box.paths.dataDir,
        hostname: "localhost",
        log: { level: "error" as const, packages: {} },
      };
      assert.deepEqual(
        await Promise.race([client.call("init", init), crashed]),
        { ok: true },
        kind,
      );
      assert.deepEqual(await Promise.race([client.call("ping", {}), crashed]), { ok: true }, kind);
    } finally {
      client.close();
      worker.terminate();
    }
  }
  assert.ok((await Deno.stat(`${box.paths.dataDir}/accounts`)).isDirectory);
  assert.ok((await Deno.stat(queueDir(box.paths))).isDirectory);
});
