/**
 * `postern verifydata DIR [--fix]`: checks a data directory (a stopped server's, or a
 * backup) account by account, and reports every problem:
 *
 * - the SQLite index passes `PRAGMA integrity_check` and is not newer than this code;
 * - every indexed message has its file, of the recorded size;
 * - no file under msg/ is unreferenced (left by a crash before commit, or an
 *   interrupted write: `.tmp-*`);
 * - every UID is below its mailbox's UIDNEXT, every MODSEQ at most the account's;
 * - the usage totals (quota) match the messages.
 *
 * With `fix`, orphan files are removed and totals corrected; indexed messages are
 * never touched. Without it the database is opened read-only, so a backup stays as it
 * was.
 */

import { DatabaseSync } from "node:sqlite";
import { schemaVersion } from "./schema.ts";

export interface VerifyReport {
  accounts: number;
  messages: number;
  problems: string[];
  fixed: string[];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const bucket of Deno.readDir(dir)) {
      if (!bucket.isDirectory) {
        out.push(bucket.name);
        continue;
      }
      for await (const f of Deno.readDir(`${dir}/${bucket.name}`)) {
        out.push(`${bucket.name}/${f.name}`);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

async function verifyAccount(
  name: string,
  dir: string,
  fix: boolean,
  report: VerifyReport,
): Promise<void> {
  const problem = (text: string): void => void report.problems.push(`${name}: ${text}`);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(`${dir}/index.db`, { readOnly: !fix });
  } catch (err) {
    return problem(`cannot open index.db: ${(err as Error).message}`);
  }
  try {
    const version =
      (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > schemaVersion) {
      return problem(`schema version ${version} is newer than this Postern`);
    }
    const integrity = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    for (const row of integrity) {
      if (row.integrity_check !== "ok") problem(`index.db: ${row.integrity_check}`);
    }
    const referenced = new Set<string>();
    let messages = 0;
    let size = 0;
    const rows = db.prepare(
      `SELECT m.uid, m.modseq, m.size, m.file, b.name AS mailbox, b.uidnext
       FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id`,
    ).iterate() as Iterable<
      { uid: number; modseq: number; size: number; file: string; mailbox: string; uidnext: number }
    >;
    const counter = (key: string) =>
      (db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: number } | undefined)
        ?.value;
    const maxModseq = counter("modseq") ?? 0;
    for (const r of rows) {
      messages++;
      size += r.size;
      referenced.add(r.file);
      const where = `${r.mailbox} UID ${r.uid}`;
      if (r.uid >= r.uidnext) problem(`${where}: UID not below UIDNEXT ${r.uidnext}`);
      if (r.modseq > maxModseq) {
        problem(`${where}: MODSEQ ${r.modseq} above the account's ${maxModseq}`);
      }
      try {
        const st = await Deno.stat(`${dir}/${r.file}`);
        if (st.size !== r.size) {
          problem(`${where}: file ${r.file} has ${st.size} octets, index says ${r.size}`);
        }
      } catch {
        problem(`${where}: message file ${r.file} is missing`);
      }
    }
    report.messages += messages;
    for (const rel of await listFiles(`${dir}/msg`)) {
      const path = `msg/${rel}`;
      if (referenced.has(path)) continue;
      if (fix) {
        await Deno.remove(`${dir}/${path}`);
        report.fixed.push(`${name}: removed unreferenced file ${path}`);
      } else {
        problem(`unreferenced file ${path}${rel.includes("/.tmp-") ? " (interrupted write)" : ""}`);
      }
    }
    const totals = { total_messages: messages, total_size: size };
    for (const [key, actual] of Object.entries(totals)) {
      const stored = counter(key);
      if (stored === undefined || stored === actual) continue;
      if (fix) {
        db.prepare("UPDATE meta SET value = ? WHERE key = ?").run(actual, key);
        report.fixed.push(`${name}: ${key} corrected from ${stored} to ${actual}`);
      } else {
        problem(`${key} is ${stored}, the messages add up to ${actual}`);
      }
    }
  } finally {
    db.close();
  }
}

/**
 * Verifies every account under `dataDir`/accounts.
 * @param onAccount progress: called after each account
 */
export async function verifyData(
  dataDir: string,
  fix: boolean,
  onAccount: (name: string, report: VerifyReport) => void = () => {},
): Promise<VerifyReport> {
  const report: VerifyReport = { accounts: 0, messages: 0, problems: [], fixed: [] };
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${dataDir}/accounts`)) {
      if (e.isDirectory) names.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      report.problems.push(`${dataDir}: no accounts directory; is this a Postern data directory?`);
      return report;
    }
    throw err;
  }
  for (const name of names.sort()) {
    await verifyAccount(name, `${dataDir}/accounts/${name}`, fix, report);
    report.accounts++;
    onAccount(name, report);
  }
  return report;
}
