/**
 * `postern backup DIR`: a consistent copy of a data directory, taken while the server
 * runs. Each account's index is copied with `VACUUM INTO` from a read-only connection
 * (one snapshot, whatever the store writes meanwhile); the message files it refers to
 * are hard-linked (they never change once written, so a link is a copy at no cost;
 * DIR must be on the same file system). Removal of deleted files is held back in the
 * store for the duration, so no file a snapshot refers to can vanish. The config files
 * and the TLS directory are copied too. `postern verifydata DIR` checks the result.
 */

import { DatabaseSync } from "node:sqlite";
import type { ConfigFiles } from "./config_files.ts";

export interface BackupReport {
  accounts: number;
  messages: number;
  /** Files that could not be linked (reported, the backup goes on). */
  problems: string[];
}

/** Holds and releases file removals in the running store (absent when stopped). */
export interface RemovalHold {
  hold(): Promise<void>;
  release(): Promise<void>;
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: 0o700 });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

async function backupAccount(
  name: string,
  from: string,
  to: string,
  report: BackupReport,
): Promise<void> {
  await Deno.mkdir(`${to}/msg`, { recursive: true, mode: 0o700 });
  const source = new DatabaseSync(`${from}/index.db`, { readOnly: true });
  try {
    source.prepare("VACUUM INTO ?").run(`${to}/index.db`);
  } finally {
    source.close();
  }
  const snapshot = new DatabaseSync(`${to}/index.db`, { readOnly: true });
  try {
    const buckets = new Set<string>();
    for (
      const row of snapshot.prepare("SELECT file FROM messages").iterate() as Iterable<
        { file: string }
      >
    ) {
      const bucket = row.file.slice(0, row.file.lastIndexOf("/"));
      if (!buckets.has(bucket)) {
        await Deno.mkdir(`${to}/${bucket}`, { recursive: true, mode: 0o700 });
        buckets.add(bucket);
      }
      const slash = row.file.lastIndexOf("/");
      const tmp = `${row.file.slice(0, slash)}/.tmp-${row.file.slice(slash + 1)}`;
      try {
        await Deno.link(`${from}/${row.file}`, `${to}/${row.file}`);
      } catch {
        // Committed but not yet renamed: the file still has its temporary name.
        try {
          await Deno.link(`${from}/${tmp}`, `${to}/${row.file}`);
        } catch (err) {
          report.problems.push(`${name}: cannot link ${row.file}: ${(err as Error).message}`);
          continue;
        }
      }
      report.messages++;
    }
  } finally {
    snapshot.close();
  }
  report.accounts++;
}

/**
 * Backs up `dataDir` and the config files into `target`, which must not exist yet.
 * @throws Error when `target` exists or cannot be created
 */
export async function backupDataDir(
  dataDir: string,
  target: string,
  files: ConfigFiles,
  hold: RemovalHold | undefined,
  onAccount: (name: string, report: BackupReport) => void = () => {},
): Promise<BackupReport> {
  try {
    await Deno.lstat(target);
    throw new Error(`Cannot back up to ${target}: it exists`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(`${target}/data/accounts`, { recursive: true, mode: 0o700 });
  const report: BackupReport = { accounts: 0, messages: 0, problems: [] };
  await hold?.hold();
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(`${dataDir}/accounts`)) {
      if (e.isDirectory) names.push(e.name);
    }
    for (const name of names.sort()) {
      await backupAccount(
        name,
        `${dataDir}/accounts/${name}`,
        `${target}/data/accounts/${name}`,
        report,
      );
      onAccount(name, report);
    }
  } finally {
    await hold?.release();
  }
  await Deno.mkdir(`${target}/config`, { mode: 0o700 });
  await Deno.copyFile(files.configFile, `${target}/config/postern.yaml`);
  await Deno.copyFile(files.domainsFile, `${target}/config/domains.yaml`);
  try {
    await copyTree(`${dataDir}/tls`, `${target}/data/tls`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return report;
}
