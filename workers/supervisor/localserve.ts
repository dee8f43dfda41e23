/**
 * `postern localserve`: a server for developers on this machine, on the standard ports
 * plus 1000, loopback only, with a self-signed certificate. Its configuration is
 * embedded here and written to the localserve directory on first run (so it can be
 * read and edited); the directory, with its data, is kept between runs.
 */

import { logger } from "../../core/log/mod.ts";
import type { ConfigFiles } from "./config_files.ts";
import type { Supervisor } from "./supervisor.ts";

/** The localserve account and its first password; change it with setaccountpassword. */
export const localserveAccount = {
  name: "postern",
  address: "postern@localhost",
  password: "postern",
};

/** After start: give the localserve account its password unless it has one. */
export async function localserveStarted(sup: Supervisor): Promise<void> {
  const { name, address, password } = localserveAccount;
  const log = logger("localserve");
  try {
    const { set } = await sup.store.client.call("ensurePassword", { account: name, password });
    if (set) log.info("account ready", { account: address, password });
  } catch (err) {
    // The account was edited out of domains.yaml: nothing to set up.
    log.warn("no localserve account", { account: name, err: (err as Error).message });
  }
}

export const localservePosternYaml =
  `# postern localserve: written on first run; edit freely, delete to get the default back.
hostname: localhost
dataDir: data
log:
  level: info
tls:
  selfSigned: true
listeners:
  # pedantic: localserve is for testing mail software, so sloppy clients hear about it.
  - name: smtp
    protocol: smtp
    addresses: ["127.0.0.1:1025", "[::1]:1025"]
    tls: starttls
    pedantic: true
  - name: submission
    protocol: submission
    addresses: ["127.0.0.1:1587", "[::1]:1587"]
    tls: starttls
    pedantic: true
  - name: submissions
    protocol: submission
    addresses: ["127.0.0.1:1465", "[::1]:1465"]
    tls: implicit
    pedantic: true
  - name: imap
    protocol: imap
    addresses: ["127.0.0.1:1143", "[::1]:1143"]
    tls: starttls
  - name: imaps
    protocol: imap
    addresses: ["127.0.0.1:1993", "[::1]:1993"]
    tls: implicit
workers:
  smtp: 1
  imap: 1
shutdown:
  deadline: 3s
`;

export const localserveDomainsYaml =
  `# postern localserve: domains and accounts, reloaded when this file changes.
domains:
  localhost: {}
accounts:
  postern:
    fullName: Postern localserve
    addresses: [postern@localhost]
`;

/** Creates `dir` with the embedded config unless present, and returns its files. */
export async function prepareLocalserve(dir: string): Promise<ConfigFiles> {
  const abs = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  await Deno.mkdir(abs, { recursive: true, mode: 0o700 });
  const files = {
    configFile: `${abs}/postern.yaml`,
    configDir: abs,
    domainsFile: `${abs}/domains.yaml`,
  };
  for (
    const [path, text] of [
      [files.configFile, localservePosternYaml],
      [files.domainsFile, localserveDomainsYaml],
    ] as const
  ) {
    try {
      await Deno.writeTextFile(path, text, { createNew: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
  }
  return files;
}
