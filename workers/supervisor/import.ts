/**
 * Importing mbox files and maildirs into a mailbox: streaming, in batches of at most
 * {@linkcode batchMessages} messages or {@linkcode batchOctets} octets (memory stays flat
 * whatever the file's size), keeping flags and keywords, with progress reports.
 *
 * Odd input never stops an import: a corrupt mbox stretch or an unreadable maildir
 * file is reported with its position, and the rest is imported. Parsing is in
 * core/mailfile; this module reads the files and hands batches to a target (the store
 * directly, or the store worker over RPC).
 */

import {
  maildirFlags,
  normalizeLineEndings,
  parseDovecotKeywords,
  readMbox,
} from "../../core/mailfile/mod.ts";
import type { AddMessage } from "../store/api.ts";

export const batchMessages = 200;
export const batchOctets = 16 * 1024 * 1024;

/** Where imported messages go. */
export interface ImportTarget {
  addBatch(items: AddMessage[]): Promise<void>;
}

export interface ImportProgress {
  messages: number;
  octets: number;
  problems: number;
}

export interface ImportReport extends ImportProgress {
  /** Positions and reasons of what could not be imported, at most the first 1000. */
  problemList: string[];
}

export interface ImportOptions {
  /** Called after each batch. */
  onProgress?: (p: ImportProgress) => void;
}

class Batcher {
  #items: AddMessage[] = [];
  #octets = 0;
  readonly report: ImportReport = { messages: 0, octets: 0, problems: 0, problemList: [] };

  constructor(readonly target: ImportTarget, readonly options: ImportOptions) {}

  async add(item: AddMessage): Promise<void> {
    this.#items.push(item);
    this.#octets += item.message.length;
    if (this.#items.length >= batchMessages || this.#octets >= batchOctets) await this.flush();
  }

  problem(text: string): void {
    this.report.problems++;
    if (this.report.problemList.length < 1000) this.report.problemList.push(text);
  }

  async flush(): Promise<void> {
    if (this.#items.length === 0) return;
    const items = this.#items;
    const octets = this.#octets; // counted now: the target may transfer (detach) the bytes
    this.#items = [];
    this.#octets = 0;
    await this.target.addBatch(items);
    this.report.messages += items.length;
    this.report.octets += octets;
    this.options.onProgress?.(this.report);
  }
}

/** Imports an mbox file (RFC 4155) read from `chunks` into `mailbox`. */
export async function importMbox(
  chunks: AsyncIterable<Uint8Array>,
  mailbox: string,
  target: ImportTarget,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const batch = new Batcher(target, options);
  for await (const item of readMbox(chunks)) {
    if (item.kind === "problem") {
      batch.problem(`line ${item.line} (offset ${item.offset}): ${item.message}`);
      continue;
    }
    for (const problem of item.problems) batch.problem(`line ${item.line}: ${problem}`);
    await batch.add({
      mailbox,
      message: item.message,
      flags: item.flags,
      ...(item.internalDate !== undefined ? { internalDate: item.internalDate } : {}),
    });
  }
  await batch.flush();
  return batch.report;
}

/**
 * Imports a maildir (its cur/ and new/ messages) into `mailbox`, flags from the file
 * names and keywords from dovecot-keywords when present; the file's modification time
 * becomes the internal date.
 */
export async function importMaildir(
  dir: string,
  mailbox: string,
  target: ImportTarget,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const batch = new Batcher(target, options);
  let keywords: string[] = [];
  try {
    const parsed = parseDovecotKeywords(await Deno.readTextFile(`${dir}/dovecot-keywords`));
    keywords = parsed.keywords;
    for (const p of parsed.problems) batch.problem(`dovecot-keywords: ${p}`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      batch.problem(`dovecot-keywords: ${(err as Error).message}`);
    }
  }
  let found = false;
  for (const sub of ["cur", "new"]) {
    let entries: Deno.DirEntry[];
    try {
      entries = [];
      for await (const e of Deno.readDir(`${dir}/${sub}`)) entries.push(e);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        batch.problem(`${sub}/: ${(err as Error).message}`);
      }
      continue;
    }
    found = true;
    // Maildir names start with the delivery time: sorting keeps the original order.
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      // Anything but directories and dot files is a message; what cannot be read
      // (a dangling link, no permission) is reported, not skipped silently.
      if (entry.isDirectory || entry.name.startsWith(".")) continue;
      const path = `${dir}/${sub}/${entry.name}`;
      let message: Uint8Array;
      let mtime: number | undefined;
      try {
        // Maildir files usually have LF endings; stored messages have CRLF (RFC 5322 §2.1).
        message = normalizeLineEndings(await Deno.readFile(path));
        mtime = (await Deno.stat(path)).mtime?.getTime();
      } catch (err) {
        batch.problem(`${sub}/${entry.name}: ${(err as Error).message}`);
        continue;
      }
      const { flags, problems } = maildirFlags(entry.name, keywords);
      for (const p of problems) batch.problem(`${sub}/${entry.name}: ${p}`);
      await batch.add({
        mailbox,
        message,
        flags,
        ...(mtime !== undefined ? { internalDate: mtime } : {}),
      });
    }
  }
  if (!found) throw new Error(`Cannot import ${dir}: not a maildir (no cur/ or new/)`);
  await batch.flush();
  return batch.report;
}
