/**
 * A real validating DNS resolver for tests: unbound (Debian package `unbound`, installed
 * by scripts/test-peers) on 127.0.0.1 and ::1, on a free port, serving test zones.
 *
 * One unbound process is both the authority and the validating resolver: each zone is an
 * `auth-zone` with `for-upstream: yes, for-downstream: no`, so unbound's iterator takes
 * answers for it from the zone file as if from an upstream server, and its validator
 * checks them against the `trust-anchor` we give for every signed zone. Answers from a
 * signed zone thus carry AD, unsigned ones do not, and a record whose signature no
 * longer matches (changed after signing) gets SERVFAIL.
 *
 * Signed zones are signed on the fly with ldns-keygen + ldns-signzone (package
 * `ldnsutils`): one ECDSAP256SHA256 key used as KSK and ZSK. The default local zones that
 * would hide test names ("test.", the TEST-NET reverse zones) are switched off with
 * `local-zone: … nodefault`. No chroot, no daemon, no user switch, no remote control;
 * the process and its temporary directory go away on dispose.
 */

import type { DnsServer } from "../core/dns/mod.ts";

/** A zone to serve. */
export interface TestZone {
  /** Zone apex without trailing dot, e.g. "signed.test". */
  origin: string;
  /**
   * Zone file lines after the generated $ORIGIN, $TTL 300, SOA (MINIMUM 60) and NS; names
   * relative to the origin unless they end with a dot.
   */
  records: string[];
  /** Sign the zone and give unbound its key as a trust anchor. */
  signed?: boolean;
  /** Rewrites the signed zone file, e.g. to change a record after signing (bogus). */
  tamper?: (signedZone: string) => string;
}

/** A running unbound; dispose to stop it. */
export interface DnsTestServer extends AsyncDisposable {
  port: number;
  /** The server on 127.0.0.1 and on ::1. */
  v4: DnsServer;
  v6: DnsServer;
  /** What unbound logged so far. */
  log(): string;
}

const startupMs = 5_000;
const stopMs = 2_000;

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(await findTool(cmd), { args, cwd, stdin: "null" }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

// unbound lives in /usr/sbin, which a non-root PATH may lack.
async function findTool(name: string): Promise<string> {
  const path = (Deno.env.get("PATH") ?? "").split(":");
  for (const dir of [...path, "/usr/sbin", "/usr/bin"]) {
    const file = `${dir}/${name}`;
    if (await Deno.stat(file).then((s) => s.isFile, () => false)) return file;
  }
  throw new Error(`Cannot find ${name}: run bash scripts/test-peers to install the DNS peers`);
}

/** A port free for TCP and UDP on both loopback addresses (checked, then released). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const free = await Promise.all([
      probeTcp("::1", port),
      probeUdp("udp4", "127.0.0.1", port),
      probeUdp("udp6", "::1", port),
    ]);
    if (free.every(Boolean)) return port;
  }
  throw new Error("Cannot find a free port for unbound");
}

function probeTcp(hostname: string, port: number): boolean {
  try {
    Deno.listen({ hostname, port }).close();
    return true;
  } catch {
    return false;
  }
}

async function probeUdp(type: "udp4" | "udp6", host: string, port: number): Promise<boolean> {
  const { default: dgram } = await import("node:dgram");
  const sock = dgram.createSocket(type);
  const ok = await new Promise<boolean>((resolve) => {
    sock.once("error", () => resolve(false));
    sock.bind(port, host, () => resolve(true));
  });
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return ok;
}

function zoneFile(z: TestZone): string {
  return [
    `$ORIGIN ${z.origin}.`,
    "$TTL 300",
    `@ IN SOA ns.${z.origin}. hostmaster.${z.origin}. 1 3600 600 86400 60`,
    `@ IN NS ns.${z.origin}.`,
    `ns.${z.origin}. IN A 127.0.0.1`,
    ...z.records,
    "",
  ].join("\n");
}

async function writeZone(dir: string, z: TestZone): Promise<{ file: string; anchor?: string }> {
  const file = `${z.origin}.zone`;
  await Deno.writeTextFile(`${dir}/${file}`, zoneFile(z));
  if (!z.signed) return { file };
  const key = (await run("ldns-keygen", ["-a", "ECDSAP256SHA256", "-k", z.origin], dir)).trim();
  await run("ldns-signzone", ["-f", `${file}.signed`, file, key], dir);
  if (z.tamper) {
    const signed = await Deno.readTextFile(`${dir}/${file}.signed`);
    await Deno.writeTextFile(`${dir}/${file}.signed`, z.tamper(signed));
  }
  // The .key file is the DNSKEY record followed by a ";{id = …}" comment.
  const anchor = (await Deno.readTextFile(`${dir}/${key}.key`)).split(";")[0]!.trim();
  return { file: `${file}.signed`, anchor };
}

function config(
  dir: string,
  port: number,
  zones: TestZone[],
  files: { file: string; anchor?: string }[],
) {
  const reverse = zones.filter((z) => z.origin.endsWith(".arpa"));
  return [
    "server:",
    "  interface: 127.0.0.1",
    "  interface: ::1",
    `  port: ${port}`,
    "  do-ip6: yes",
    "  do-daemonize: no",
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    '  pidfile: ""',
    "  use-syslog: no",
    '  logfile: ""',
    "  verbosity: 1",
    "  val-log-level: 2",
    "  num-threads: 1",
    "  access-control: 127.0.0.0/8 allow",
    "  access-control: ::1/128 allow",
    "  do-not-query-localhost: no",
    "  trust-anchor-signaling: no",
    "  rrset-roundrobin: no",
    "  root-key-sentinel: no",
    '  module-config: "validator iterator"',
    '  local-zone: "test." nodefault',
    ...reverse.map((z) => `  local-zone: "${z.origin}." nodefault`),
    ...files.flatMap((f) => f.anchor ? [`  trust-anchor: "${f.anchor}"`] : []),
    "remote-control:",
    "  control-enable: no",
    ...zones.flatMap((z, i) => [
      "auth-zone:",
      `  name: "${z.origin}."`,
      `  zonefile: "${files[i]!.file}"`,
      "  for-downstream: no",
      "  for-upstream: yes",
      "  fallback-enabled: no",
    ]),
    "",
  ].join("\n");
}

/**
 * Starts unbound serving `zones`; resolves once it reports "start of service".
 * @throws when unbound or ldnsutils are missing, or unbound does not start in 5 s
 */
export async function startUnbound(zones: TestZone[]): Promise<DnsTestServer> {
  const dir = await Deno.makeTempDir({ prefix: "postern-dns-" });
  try {
    const files = [];
    for (const z of zones) files.push(await writeZone(dir, z));
    // The port is only probed free; another process may take it before unbound binds.
    for (let attempt = 1;; attempt++) {
      const port = await freePort();
      await Deno.writeTextFile(`${dir}/unbound.conf`, config(dir, port, zones, files));
      const server = await spawnUnbound(dir, port);
      if (typeof server !== "string") return server;
      if (attempt === 3) throw new Error(`Cannot start unbound:\n${server}`);
    }
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** Runs unbound on `port`; its log when it exits or stalls before serving. */
async function spawnUnbound(dir: string, port: number): Promise<DnsTestServer | string> {
  const child = new Deno.Command(await findTool("unbound"), {
    args: ["-d", "-c", `${dir}/unbound.conf`],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  let ready = () => {};
  const started = new Promise<void>((resolve) => ready = resolve);
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      if (log.includes("start of service")) ready();
    }
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => !exited && child.kill("SIGKILL"), stopMs);
    await status;
    clearTimeout(timer);
    await drained;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    started.then(() => "ok"),
    status.then(() => "exited"),
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("timed out"), startupMs)),
  ]);
  clearTimeout(timer);
  if (outcome !== "ok") {
    await stop();
    return `${outcome}\n${log}`;
  }
  return {
    port,
    v4: { host: "127.0.0.1", port },
    v6: { host: "::1", port },
    log: () => log,
    [Symbol.asyncDispose]: async () => {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
