/**
 * Message files: the message as received (plus the header lines added at delivery),
 * one file per message at `<account>/msg/<bucket>/<name>`, never modified after
 * writing. 256 buckets keep directories small.
 *
 * Durability and recovery: a file is written as `.tmp-<name>`, fsynced, and its
 * directory fsynced, before the index row naming `<name>` is committed; after the
 * commit it is renamed to `<name>` ({@linkcode publishMessageFiles}). On open,
 * {@linkcode recoverMessageFiles} finishes the rename for a `.tmp-` file whose row
 * exists and deletes one whose row does not: a crash anywhere leaves neither a row
 * without its complete file nor a file without its row.
 */

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

async function syncDir(path: string): Promise<void> {
  const dir = await Deno.open(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

async function ensureDir(parent: string, name: string): Promise<string> {
  const path = `${parent}/${name}`;
  try {
    await Deno.mkdir(path, { mode: 0o700 });
    await syncDir(parent); // the new directory entry must survive a crash too
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  return path;
}

/**
 * Writes `parts` (concatenated) durably as a new message file.
 * @returns the file's path relative to `accountDir`, for the index row
 */
export async function writeMessageFile(
  accountDir: string,
  parts: Uint8Array[],
  options: { syncDir?: boolean } = {},
): Promise<string> {
  const name = hex(crypto.getRandomValues(new Uint8Array(12)));
  const bucket = name.slice(0, 2);
  const msgDir = await ensureDir(accountDir, "msg");
  const dir = await ensureDir(msgDir, bucket);
  const tmp = `${dir}/.tmp-${name}`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    for (const part of parts) {
      for (let at = 0; at < part.length;) at += await file.write(part.subarray(at));
    }
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  file.close();
  // A batch syncs each directory once at the end instead (syncMessageDirs).
  if (options.syncDir !== false) await syncDir(dir);
  return `msg/${bucket}/${name}`;
}

const tmpOf = (relPath: string) => {
  const slash = relPath.lastIndexOf("/");
  return `${relPath.slice(0, slash)}/.tmp-${relPath.slice(slash + 1)}`;
};

/** After the commit: gives written files their final names, durably. */
export async function publishMessageFiles(accountDir: string, relPaths: string[]): Promise<void> {
  for (const rel of relPaths) {
    await Deno.rename(`${accountDir}/${tmpOf(rel)}`, `${accountDir}/${rel}`);
  }
  await syncMessageDirs(accountDir, relPaths);
}

/**
 * On open, after a crash: finishes publishing `.tmp-` files whose row exists and
 * deletes the others. Returns how many of each.
 */
export async function recoverMessageFiles(
  accountDir: string,
  referenced: (relPath: string) => boolean,
): Promise<{ published: number; removed: number }> {
  const result = { published: 0, removed: 0 };
  const touched: string[] = [];
  try {
    for await (const bucket of Deno.readDir(`${accountDir}/msg`)) {
      if (!bucket.isDirectory) continue;
      for await (const f of Deno.readDir(`${accountDir}/msg/${bucket.name}`)) {
        if (!f.name.startsWith(".tmp-")) continue;
        const rel = `msg/${bucket.name}/${f.name.slice(5)}`;
        if (referenced(rel)) {
          await Deno.rename(`${accountDir}/msg/${bucket.name}/${f.name}`, `${accountDir}/${rel}`);
          result.published++;
        } else {
          await Deno.remove(`${accountDir}/msg/${bucket.name}/${f.name}`);
          result.removed++;
        }
        touched.push(rel);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (touched.length > 0) await syncMessageDirs(accountDir, touched);
  return result;
}

/** Fsyncs the bucket directories of `relPaths` once each (after a batch of writes). */
export async function syncMessageDirs(accountDir: string, relPaths: string[]): Promise<void> {
  const dirs = new Set(relPaths.map((p) => p.slice(0, p.lastIndexOf("/"))));
  await Promise.all([...dirs].map((d) => syncDir(`${accountDir}/${d}`)));
}

/**
 * A second name for an existing message file (COPY), as a hard link: no bytes are
 * copied, and expunging one copy leaves the other intact. Durable like a write.
 * @returns the new file's path relative to `accountDir`
 */
export async function linkMessageFile(accountDir: string, relPath: string): Promise<string> {
  const name = hex(crypto.getRandomValues(new Uint8Array(12)));
  const bucket = name.slice(0, 2);
  const msgDir = await ensureDir(accountDir, "msg");
  const dir = await ensureDir(msgDir, bucket);
  // Under the temporary name too: published after the commit like a written file.
  await Deno.link(`${accountDir}/${relPath}`, `${dir}/.tmp-${name}`);
  await syncDir(dir);
  return `msg/${bucket}/${name}`;
}

/**
 * Opens a message file. Between its row's commit and its rename, the file still has
 * its temporary name: a reader in that window gets it there.
 */
async function openPublished(accountDir: string, relPath: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(`${accountDir}/${relPath}`, { read: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return await Deno.open(`${accountDir}/${tmpOf(relPath)}`, { read: true });
  }
}

/** Reads a message file, or the byte range [start, end) of it. */
export async function readMessageFile(
  accountDir: string,
  relPath: string,
  range?: { start: number; end: number },
): Promise<Uint8Array> {
  const file = await openPublished(accountDir, relPath);
  if (!range) {
    try {
      return new Uint8Array(await new Response(file.readable).arrayBuffer());
    } catch (err) {
      file.close();
      throw err;
    }
  }
  try {
    const out = new Uint8Array(Math.max(0, range.end - range.start));
    await file.seek(range.start, Deno.SeekMode.Start);
    let at = 0;
    while (at < out.length) {
      const n = await file.read(out.subarray(at));
      if (n === null) break;
      at += n;
    }
    return out.subarray(0, at);
  } finally {
    file.close();
  }
}

/**
 * Removes message files (after their rows were deleted, or unpublished ones after a
 * failed commit); missing files are fine.
 */
export async function removeMessageFiles(accountDir: string, relPaths: string[]): Promise<void> {
  for (const rel of relPaths) {
    await Deno.remove(`${accountDir}/${rel}`).catch(() => {});
    await Deno.remove(`${accountDir}/${tmpOf(rel)}`).catch(() => {});
  }
}

/**
 * Holds back removal of deleted messages' files while a backup links them, so a
 * snapshot never refers to a file that vanished; what was held is removed on release.
 */
export class RemovalGate {
  #holds = 0;
  #pending: [string, string[]][] = [];

  async remove(accountDir: string, relPaths: string[]): Promise<void> {
    if (this.#holds > 0) this.#pending.push([accountDir, relPaths]);
    else await removeMessageFiles(accountDir, relPaths);
  }

  hold(): void {
    this.#holds++;
  }

  async release(): Promise<void> {
    if (this.#holds === 0 || --this.#holds > 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const [dir, paths] of pending) await removeMessageFiles(dir, paths);
  }
}
