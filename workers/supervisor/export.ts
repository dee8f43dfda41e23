/**
 * Exporting a mailbox as an mbox file (mboxrd, RFC 4155) or a maildir, paging through
 * the mailbox so memory stays flat whatever its size, with flags and keywords kept
 * (Status/X-Status/X-Keywords headers, or maildir file names and dovecot-keywords).
 * The source is the store directly, or the store worker over RPC.
 */

import {
  formatDovecotKeywords,
  lfLineEndings,
  maildirFilename,
  writeMboxMessage,
} from "../../core/mailfile/mod.ts";
import type { MessageMeta } from "../store/api.ts";

/** Where exported messages come from. */
export interface ExportSource {
  messages(fromUid: number, limit: number): Promise<MessageMeta[]>;
  read(uid: number): Promise<Uint8Array>;
}

export interface ExportReport {
  messages: number;
  octets: number;
  /** Keywords a maildir could not carry (more than 26), per message. */
  problems: string[];
}

const pageSize = 500;

async function* everyMessage(source: ExportSource): AsyncGenerator<[MessageMeta, Uint8Array]> {
  for (let from = 1;;) {
    const page = await source.messages(from, pageSize);
    if (page.length === 0) return;
    for (const meta of page) yield [meta, await source.read(meta.uid)];
    from = page.at(-1)!.uid + 1;
  }
}

/**
 * Writes the mailbox to `path`: an mbox file, or a maildir (cur/, new/, tmp/ and
 * dovecot-keywords). The target must not exist.
 * @throws Error when `path` exists
 */
export async function exportMailbox(
  source: ExportSource,
  format: "mbox" | "maildir",
  path: string,
  onProgress: (r: ExportReport) => void = () => {},
): Promise<ExportReport> {
  const report: ExportReport = { messages: 0, octets: 0, problems: [] };
  const progress = () => {
    if (report.messages % pageSize === 0) onProgress(report);
  };
  if (format === "mbox") {
    using file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    for await (const [meta, bytes] of everyMessage(source)) {
      const entry = writeMboxMessage(bytes, {
        date: new Date(meta.internalDate),
        flags: meta.flags,
      });
      for (let at = 0; at < entry.length;) at += await file.write(entry.subarray(at));
      report.messages++;
      report.octets += bytes.length;
      progress();
    }
    await file.sync();
  } else {
    await Deno.mkdir(path, { mode: 0o700 });
    for (const sub of ["cur", "new", "tmp"]) await Deno.mkdir(`${path}/${sub}`, { mode: 0o700 });
    let keywords: string[] = [];
    for await (const [meta, bytes] of everyMessage(source)) {
      const uniq = `${Math.floor(meta.internalDate / 1000)}.P${Deno.pid}Q${meta.uid}.postern`;
      const name = maildirFilename({ uniq, flags: meta.flags, keywords });
      keywords = name.keywords;
      for (const k of name.unstored) {
        report.problems.push(`UID ${meta.uid}: keyword ${k} not stored`);
      }
      const file = `${path}/cur/${name.name}`;
      // Maildir files conventionally use the system's LF line endings.
      await Deno.writeFile(file, lfLineEndings(bytes), { mode: 0o600 });
      const when = new Date(meta.internalDate);
      await Deno.utime(file, when, when);
      report.messages++;
      report.octets += bytes.length;
      progress();
    }
    if (keywords.length > 0) {
      await Deno.writeTextFile(`${path}/dovecot-keywords`, formatDovecotKeywords(keywords));
    }
  }
  return report;
}
