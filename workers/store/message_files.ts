/**
 * Message files: the message as received (plus the header lines added at delivery),
 * one file per message at `<account>/msg/<bucket>/<name>`, never modified after
 * writing. 256 buckets keep directories small.
 *
 * Durability: a file is written under a temporary name, fsynced, renamed into place
 * and its directory fsynced, before its index row is committed. A crash before the
 * commit leaves an orphan file that nothing refers to (verifydata removes those); it
 * never leaves a row pointing at a missing or partial file.
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
  await Deno.rename(tmp, `${dir}/${name}`);
  // A batch syncs each directory once at the end instead (syncMessageDirs).
  if (options.syncDir !== false) await syncDir(dir);
  return `msg/${bucket}/${name}`;
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
  await Deno.link(`${accountDir}/${relPath}`, `${dir}/${name}`);
  await syncDir(dir);
  return `msg/${bucket}/${name}`;
}

/** Reads a message file, or the byte range [start, end) of it. */
export async function readMessageFile(
  accountDir: string,
  relPath: string,
  range?: { start: number; end: number },
): Promise<Uint8Array> {
  const path = `${accountDir}/${relPath}`;
  if (!range) return await Deno.readFile(path);
  const file = await Deno.open(path, { read: true });
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

/** Removes message files after their rows were deleted; missing files are fine. */
export async function removeMessageFiles(accountDir: string, relPaths: string[]): Promise<void> {
  for (const rel of relPaths) await Deno.remove(`${accountDir}/${rel}`).catch(() => {});
}
