/**
 * Reading the configuration files: `postern.yaml` (static, read once) and
 * `domains.yaml` beside it (dynamic, watched). core/config validates text; this module
 * does the file I/O, checks what needs the file system (certificate files), and watches
 * domains.yaml so edits take effect without a restart while a bad edit leaves the last
 * good configuration in force.
 */

import {
  type ConfigProblem,
  type DomainsConfig,
  parseDomainsConfig,
  parsePosternConfig,
  type PosternConfig,
} from "../../core/config/mod.ts";
import { logger } from "../../core/log/mod.ts";
import { CertStore } from "./tls.ts";

const log = logger("config");

export interface ConfigFiles {
  configFile: string;
  configDir: string;
  domainsFile: string;
}

export type Loaded =
  | { ok: true; files: ConfigFiles; config: PosternConfig; domains: DomainsConfig }
  | { ok: false; files: ConfigFiles; problems: ConfigProblem[] };

/** Absolute paths of the config files; `configFile` relative to the working directory. */
export function configFiles(configFile = "config/postern.yaml"): ConfigFiles {
  const abs = configFile.startsWith("/") ? configFile : `${Deno.cwd()}/${configFile}`;
  const configDir = abs.slice(0, abs.lastIndexOf("/")) || "/";
  return { configFile: abs, configDir, domainsFile: `${configDir}/domains.yaml` };
}

/** The absolute data directory: `dataDir` as configured, relative to the config file. */
export function resolveDataDir(dataDir: string, configDir: string): string {
  return dataDir.startsWith("/") ? dataDir : `${configDir}/${dataDir}`;
}

/** Control socket path for a config: explicit, or <dataDir>/control.sock. */
export function controlSocketPath(dataDir: string, configured: string, configDir: string): string {
  if (configured === "") return `${dataDir}/control.sock`;
  return configured.startsWith("/") ? configured : `${configDir}/${configured}`;
}

async function readConfigText(
  file: string,
  problems: ConfigProblem[],
): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(file);
  } catch (err) {
    problems.push({
      file,
      line: 0,
      field: "",
      message: `Cannot read file: ${(err as Error).message}`,
    });
    return undefined;
  }
}

/** Reads and validates domains.yaml. */
export async function loadDomains(
  file: string,
): Promise<
  { domains: DomainsConfig; problems: [] } | { domains: undefined; problems: ConfigProblem[] }
> {
  const problems: ConfigProblem[] = [];
  const text = await readConfigText(file, problems);
  if (text === undefined) return { domains: undefined, problems };
  const result = parseDomainsConfig(text, file);
  return result.value
    ? { domains: result.value, problems: [] }
    : { domains: undefined, problems: result.problems };
}

/**
 * Reads and validates postern.yaml alone: what commands that talk to a running server
 * (`postern stop`) need, whatever state domains.yaml or the certificates are in now.
 */
export async function loadStaticConfig(
  files: ConfigFiles,
): Promise<
  { config: PosternConfig; problems: [] } | { config: undefined; problems: ConfigProblem[] }
> {
  const problems: ConfigProblem[] = [];
  const text = await readConfigText(files.configFile, problems);
  if (text === undefined) return { config: undefined, problems };
  const result = parsePosternConfig(text, files.configFile);
  return result.value
    ? { config: result.value, problems: [] }
    : { config: undefined, problems: result.problems };
}

/**
 * Reads and validates both files, and checks that certificate files can be loaded.
 * Every problem is reported, not just the first.
 */
export async function loadConfig(files: ConfigFiles): Promise<Loaded> {
  const problems: ConfigProblem[] = [];
  const text = await readConfigText(files.configFile, problems);
  let config: PosternConfig | undefined;
  if (text !== undefined) {
    const result = parsePosternConfig(text, files.configFile);
    problems.push(...result.problems);
    config = result.value;
    if (config) {
      // The HTTP front arrives with its own issue: refuse here, with the line, rather
      // than pass `config test` and fail at start.
      for (const [i, l] of config.listeners.entries()) {
        if (l.protocol !== "http") continue;
        const field = `listeners[${i}].protocol`;
        problems.push({
          file: files.configFile,
          line: result.lineOf(field),
          field,
          message: "The http protocol is not available in this version",
        });
      }
      for (const [i, c] of config.tls.certificates.entries()) {
        try {
          // A throwaway store: loads and pairs one certificate with its key.
          await CertStore.load(
            { certificates: [c], selfSigned: false, minVersion: config.tls.minVersion },
            files.configDir,
            "",
            config.hostname,
          );
        } catch (err) {
          const field = `tls.certificates[${i}]`;
          problems.push({
            file: files.configFile,
            line: result.lineOf(field),
            field,
            message: (err as Error).message,
          });
        }
      }
    }
  }
  const domains = await loadDomains(files.domainsFile);
  problems.push(...domains.problems);
  if (problems.length > 0 || !config || !domains.domains) return { ok: false, files, problems };
  return { ok: true, files, config, domains: domains.domains };
}

/**
 * Watches domains.yaml and calls `apply` with each new valid version. Invalid edits are
 * logged, problem by problem, and ignored. Returns a function that stops watching.
 */
export function watchDomains(
  file: string,
  apply: (domains: DomainsConfig) => void,
  onProblems: (problems: ConfigProblem[]) => void = () => {},
): () => void {
  const dir = file.slice(0, file.lastIndexOf("/")) || "/";
  const watcher = Deno.watchFs(dir, { recursive: false });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastText: string | undefined;
  let stopped = false;
  const reload = async () => {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      return; // Editors replace files by rename; the next event brings the new one.
    }
    // Stopped meanwhile, or unchanged. An empty file is a save in progress (truncate,
    // then write), not a wish to delete every domain: wait for the next event.
    if (stopped || text === lastText || text.length === 0) return;
    lastText = text;
    const result = parseDomainsConfig(text, file);
    if (!result.value) {
      for (const p of result.problems) {
        log.error("domains config rejected, keeping the last good one", {
          file: p.file,
          line: p.line,
          field: p.field,
          problem: p.message,
        });
      }
      return onProblems(result.problems);
    }
    log.info("domains config reloaded", { file });
    apply(result.value);
  };
  (async () => {
    for await (const event of watcher) {
      if (!event.paths.some((p) => p === file)) continue;
      // Editors write in several steps: wait until the file settles.
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), 100);
    }
  })().catch((err: Error) => log.error("watching domains config failed", { err }));
  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher.close();
  };
}
