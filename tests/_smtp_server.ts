/**
 * A real Postern for SMTP interop tests: port 25 with STARTTLS, submission with
 * STARTTLS and submissions with implicit TLS (self-signed certificate), domains with
 * alice and bob, and a password for alice. Plus helpers to read what arrived through
 * the store and to run client programs with a time limit.
 */

import { parseDomainsConfig } from "../core/config/mod.ts";
import { startServer, type TestServer } from "./_harness.ts";

const yaml = `hostname: mail.example.org
dataDir: data
listeners:
  - name: smtp
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: starttls
  - name: submission
    protocol: submission
    addresses: ["127.0.0.1:0"]
    tls: starttls
  - name: submissions
    protocol: submission
    addresses: ["127.0.0.1:0"]
    tls: implicit
tls:
  selfSigned: true
workers:
  smtp: 1
  imap: 1
`;

export const domainsYaml = `domains:
  example.org: {}
  xn--bcher-kva.example: {}
accounts:
  alice:
    addresses: [alice@example.org]
  bob:
    addresses: [bob@example.org, bob@xn--bcher-kva.example]
aliases:
  team@example.org:
    members: [alice@example.org, bob@example.org]
`;

export const alicePassword = "alice's secret";

/** Starts the server and configures domains and alice's password. */
export async function mailServer(): Promise<TestServer> {
  const server = await startServer(yaml);
  try {
    await server.sup.setDomains(parseDomainsConfig(domainsYaml, "domains.yaml").value!);
    await server.sup.store.client.call("setPassword", {
      account: "alice",
      password: alicePassword,
    });
  } catch (err) {
    await server[Symbol.asyncDispose]();
    throw err;
  }
  return server;
}

/** The messages in `account`'s Inbox, as text, oldest first. */
export async function inbox(server: TestServer, account: string): Promise<string[]> {
  const store = server.sup.store.client;
  const metas = await store.call("messages", { account, mailbox: "Inbox" });
  const out: string[] = [];
  for (const m of metas) {
    const bytes = await store.call("read", { account, mailbox: "Inbox", uid: m.uid });
    out.push(new TextDecoder().decode(bytes));
  }
  return out;
}

/** Runs `cmd` with `args` (and `stdin`), killed after `timeoutMs`. */
export async function run(
  cmd: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  try {
    if (options.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(options.stdin));
      await w.close();
    }
    const r = await child.output();
    const dec = new TextDecoder();
    return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  } finally {
    clearTimeout(timer);
  }
}
