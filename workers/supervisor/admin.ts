/**
 * Admin commands that change accounts: they go to the running server through its
 * control socket, or, when no server runs, open the data directory themselves (the
 * store code is the same either way). Used by the CLI in main.ts.
 */

import { Store } from "../store/store.ts";
import {
  type ConfigFiles,
  controlSocketPath,
  loadDomains,
  loadStaticConfig,
  resolveDataDir,
} from "./config_files.ts";
import { type DomainsEdit, editDomains, formatProblem } from "../../core/config/mod.ts";
import { backupDataDir, type BackupReport } from "./backup.ts";
import { exportMailbox, type ExportReport } from "./export.ts";
import { controlRequest } from "./control.ts";
import {
  importMaildir,
  importMbox,
  type ImportProgress,
  type ImportReport,
  type ImportTarget,
} from "./import.ts";

/** Where an admin command ran. */
export type AdminRoute = "server" | "data directory";

/**
 * Sends `command` to the running server, or runs `offline` on the data directory.
 * `onProgress` receives the server's progress lines.
 */
async function online<T>(
  files: ConfigFiles,
  command: string,
  args: Record<string, unknown>,
  offline: (store: Store) => Promise<T>,
  onProgress: (update: Record<string, unknown>) => void = () => {},
): Promise<{ route: AdminRoute; reply: Record<string, unknown> }> {
  // Only what an admin command needs: a moved certificate must not block it.
  const { config, problems } = await loadStaticConfig(files);
  const { domains, problems: domainProblems } = await loadDomains(files.domainsFile);
  if (!config || !domains) {
    throw new Error([...problems, ...domainProblems].map(formatProblem).join("\n"));
  }
  const dataDir = resolveDataDir(config.dataDir, files.configDir);
  const socket = controlSocketPath(dataDir, config.controlSocket, files.configDir);
  let reply: Record<string, unknown> | undefined;
  try {
    reply = await controlRequest(socket, command, args, onProgress);
  } catch (err) {
    // No server listening (no socket, or a stale one): work on the files directly.
    const code = (err as { code?: string }).code;
    if (code !== "ENOENT" && code !== "ECONNREFUSED") throw err;
  }
  if (reply) {
    if (reply.ok !== true) throw new Error(String(reply.error ?? "the server refused"));
    return { route: "server", reply };
  }
  const store = new Store(dataDir);
  try {
    await store.setAccounts(
      Object.entries(domains.accounts).map(([name, a]) => ({
        name,
        addresses: a.addresses,
        quotaSize: a.quotaSize,
        quotaMessages: a.quotaMessages,
      })),
    );
    const result = await offline(store);
    return { route: "data directory", reply: { ok: true, result } };
  } finally {
    await store.close();
  }
}

/** Sets an account's password. */
export async function setAccountPassword(
  files: ConfigFiles,
  account: string,
  password: string,
): Promise<AdminRoute> {
  const { route } = await online(
    files,
    "setaccountpassword",
    { account, password },
    (store) => store.setPassword(account, password),
  );
  return route;
}

export type ImportFormat = "mbox" | "maildir";

/** Runs an import in this process, reading `path`, handing batches to `target`. */
export async function runImport(
  format: ImportFormat,
  path: string,
  mailbox: string,
  target: ImportTarget,
  onProgress: (p: ImportProgress) => void,
): Promise<ImportReport> {
  if (format === "maildir") return await importMaildir(path, mailbox, target, { onProgress });
  using file = await Deno.open(path, { read: true });
  return await importMbox(file.readable, mailbox, target, { onProgress });
}

/**
 * Imports an mbox file or maildir into ACCOUNT's MAILBOX: through the running server,
 * which reads `path` itself, or directly into the data directory.
 */
export async function importMessages(
  files: ConfigFiles,
  format: ImportFormat,
  account: string,
  mailbox: string,
  path: string,
  onProgress: (p: ImportProgress) => void,
): Promise<{ route: AdminRoute; report: ImportReport }> {
  const abs = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const { route, reply } = await online(
    files,
    "import",
    { format, account, mailbox, path: abs },
    (store) =>
      runImport(format, abs, mailbox, {
        addBatch: async (items) => void await store.addBatch(account, items),
      }, onProgress),
    (update) => onProgress(update as unknown as ImportProgress),
  );
  const report = (route === "server" ? reply.report : reply.result) as ImportReport;
  return { route, report };
}

const encoder = new TextEncoder();

/**
 * Reads a password: from a terminal without echo (asked twice), or the first line of
 * standard input otherwise (for scripts).
 * @throws Error when the two entries differ or the input is empty
 */
export async function readPassword(prompt: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    const text = await new Response(Deno.stdin.readable).text();
    const line = text.split(/\r?\n/)[0] ?? "";
    if (line === "") throw new Error("Cannot read password: standard input is empty");
    return line;
  }
  const ask = async (text: string) => {
    Deno.stderr.writeSync(encoder.encode(text));
    Deno.stdin.setRaw(true);
    try {
      const bytes: number[] = [];
      const buf = new Uint8Array(1);
      for (;;) {
        const n = await Deno.stdin.read(buf);
        if (n === null || buf[0] === 0x0d || buf[0] === 0x0a) break;
        if (buf[0] === 0x03) throw new Error("Cannot read password: interrupted");
        if (buf[0] === 0x7f || buf[0] === 0x08) bytes.pop();
        else bytes.push(buf[0]!);
      }
      return new TextDecoder().decode(new Uint8Array(bytes));
    } finally {
      Deno.stdin.setRaw(false);
      Deno.stderr.writeSync(encoder.encode("\n"));
    }
  };
  const first = await ask(prompt);
  if (first === "") throw new Error("Cannot read password: empty");
  if (await ask("again: ") !== first) throw new Error("Cannot read password: the entries differ");
  return first;
}

/** Backs up the data directory and config into `target` (must not exist yet). */
export async function backup(
  files: ConfigFiles,
  target: string,
  onProgress: (account: string, r: BackupReport) => void,
): Promise<{ route: AdminRoute; report: BackupReport }> {
  const abs = target.startsWith("/") ? target : `${Deno.cwd()}/${target}`;
  const { route, reply } = await online(
    files,
    "backup",
    { target: abs },
    (store) => backupDataDir(store.dataDir, abs, files, undefined, onProgress),
    (u) => onProgress(String(u.account), u as unknown as BackupReport),
  );
  return { route, report: (route === "server" ? reply.report : reply.result) as BackupReport };
}

/**
 * Applies one edit to domains.yaml: validated first, comments kept, written
 * atomically (a running server reloads it). Returns nothing; throws EditError.
 */
export async function editDomainsFile(files: ConfigFiles, edit: DomainsEdit): Promise<void> {
  const text = await Deno.readTextFile(files.domainsFile);
  const updated = editDomains(text, files.domainsFile, edit);
  const tmp = `${files.domainsFile}.tmp-${crypto.randomUUID()}`;
  const info = await Deno.stat(files.domainsFile);
  await Deno.writeTextFile(tmp, updated, { mode: info.mode ?? 0o600 });
  const f = await Deno.open(tmp, { read: true });
  await f.sync();
  f.close();
  await Deno.rename(tmp, files.domainsFile);
}

/**
 * Exports ACCOUNT's MAILBOX to `path` (must not exist): through the running server,
 * which writes `path` itself, or from the data directory.
 */
export async function exportMessages(
  files: ConfigFiles,
  format: ImportFormat,
  account: string,
  mailbox: string,
  path: string,
  onProgress: (r: ExportReport) => void,
): Promise<{ route: AdminRoute; report: ExportReport }> {
  const abs = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const { route, reply } = await online(
    files,
    "export",
    { format, account, mailbox, path: abs },
    (store) =>
      exportMailbox(
        {
          messages: (from, limit) =>
            store.messages(account, mailbox, from, Number.MAX_SAFE_INTEGER, limit),
          read: (uid) => store.read(account, mailbox, uid),
        },
        format,
        abs,
        onProgress,
      ),
    (u) => onProgress(u as unknown as ExportReport),
  );
  return { route, report: (route === "server" ? reply.report : reply.result) as ExportReport };
}
