/**
 * Test harness: a supervisor started in-process on loopback from YAML config text in a
 * fresh temporary directory, and a line-oriented client over node:net / node:tls.
 * Listen addresses use port 0; {@linkcode TestServer.port} tells the real one.
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { formatProblem, parsePosternConfig } from "../core/config/mod.ts";
import { configureLogging } from "../core/log/mod.ts";
import { Supervisor } from "../workers/supervisor/supervisor.ts";
import { generateSelfSigned } from "../workers/supervisor/tls.ts";

export const repoRoot = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const probeWorker = new URL("./fixtures/probe_session_worker.ts", import.meta.url);

/** Quiet logs unless POSTERN_TEST_LOG=debug (or another level) is set. */
configureLogging({
  level: (Deno.env.get("POSTERN_TEST_LOG") ?? "error") as "error",
  packages: {},
});

/** postern.yaml for a small `postern serve` subprocess: one plain SMTP listener on a free port. */
export const minimalServeYaml = `hostname: mail.example.org
dataDir: data
log:
  level: error
listeners:
  - name: smtp
    protocol: smtp
    addresses:
      - 127.0.0.1:0
    tls: none
workers:
  smtp: 1
  imap: 1
shutdown:
  deadline: 2s
`;

export interface TestCert {
  names: string[];
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** Writes a self-signed certificate for `names` into `dir`. */
export async function makeCert(dir: string, names: string[]): Promise<TestCert> {
  const { cert, key } = await generateSelfSigned(names);
  const base = `${dir}/${names[0]}`;
  await Deno.writeTextFile(`${base}.crt`, cert);
  await Deno.writeTextFile(`${base}.key`, key, { mode: 0o600 });
  return { names, cert, key, certFile: `${base}.crt`, keyFile: `${base}.key` };
}

export class TestServer implements AsyncDisposable {
  constructor(readonly sup: Supervisor, readonly dir: string) {}

  /** Port bound for `listener` (first address, or the one on `host`). */
  port(listener: string, host?: string): number {
    const a = this.sup.addresses().find((b) =>
      b.listener === listener && (host === undefined || b.host === host)
    );
    if (!a) throw new Error(`No listener ${listener}`);
    return a.port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.sup.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Starts a supervisor from `yaml` (postern.yaml text) in a new temporary directory.
 * `setup` may write files (certificates) there first and returns extra YAML.
 */
export async function startServer(
  yaml: string,
  options: { entries?: { smtp?: URL; imap?: URL }; setup?: (dir: string) => Promise<string> } = {},
): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "postern-test-" });
  const extra = options.setup ? await options.setup(dir) : "";
  const result = parsePosternConfig(yaml + extra, `${dir}/postern.yaml`);
  if (!result.value) throw new Error(result.problems.map(formatProblem).join("\n"));
  const sup = await Supervisor.start({
    config: result.value,
    configDir: dir,
    ...(options.entries ? { entries: options.entries } : {}),
  });
  return new TestServer(sup, dir);
}

/** A client reading CRLF lines, with timeouts on every wait. */
export class TestClient implements Disposable {
  #buffer = "";
  #waiter: (() => void) | undefined;
  #ended = false;
  readonly ended: Promise<void>;
  #endedResolve!: () => void;

  private constructor(public socket: net.Socket) {
    this.ended = new Promise((resolve) => this.#endedResolve = resolve);
    this.#attach(socket);
  }

  static connect(port: number, host = "127.0.0.1"): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new TestClient(socket)));
      socket.once("error", reject);
    });
  }

  static connectTls(port: number, servername: string, host = "127.0.0.1"): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect(
        { port, host, servername, rejectUnauthorized: false },
        () => resolve(new TestClient(socket)),
      );
      socket.once("error", reject);
    });
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  /** Upgrades to TLS on the same connection (after the server's go-ahead). */
  upgrade(servername: string, timeoutMs = 5_000): Promise<tls.TLSSocket> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        secure.destroy();
        reject(new Error(`No TLS handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      const secure = tls.connect({ socket: plain, servername, rejectUnauthorized: false }, () => {
        clearTimeout(timer);
        this.socket = secure;
        this.#attach(secure);
        resolve(secure);
      });
      secure.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The next line, without CRLF. */
  async line(timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl).replace(/\r$/, "");
        this.#buffer = this.#buffer.slice(nl + 1);
        return line;
      }
      if (this.#ended) {
        throw new Error(`Connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`No line within ${timeoutMs} ms; have ${JSON.stringify(this.#buffer)}`);
      }
      await this.#wait(left);
    }
  }

  /** Resolves when the server closed the connection; rejects after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`Still open after ${timeoutMs} ms`)), timeoutMs)
    );
    try {
      await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  [Symbol.dispose](): void {
    this.socket.destroy();
  }

  #attach(socket: net.Socket): void {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (socket !== this.socket) return;
      this.#ended = true;
      this.#endedResolve();
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve();
      }, ms);
      this.#waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const timeoutMs = 5_000;

/** Rejects after `ms` unless `promise` settles first. */
export async function within<T>(promise: Promise<T>, what: string, ms = timeoutMs): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `postern serve --config FILE` as a subprocess, its stderr collected. */
export class ServerProcess implements AsyncDisposable {
  stderr = "";
  readonly #child: Deno.ChildProcess;
  readonly #drained: Promise<void>;
  #status: Deno.CommandStatus | undefined;

  constructor(readonly configFile: string) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "serve", "--config", configFile],
      cwd: repoRoot,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#drained = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        this.stderr += chunk;
      }
    })();
  }

  /** Sends a signal to the server. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Resolves with the exit status, or rejects after `timeoutMs`. */
  async exited(): Promise<Deno.CommandStatus> {
    this.#status = await within(this.#child.status, "server exit");
    await this.#drained;
    return this.#status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#status) return;
    this.#child.kill("SIGKILL");
    await this.#child.status;
    await this.#drained;
  }
}

/** Polls `probe` every 20 ms until it returns true; fails after `timeoutMs`. */
export async function eventually(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await probe().catch(() => false)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a `postern` subprocess printed and how it ended. */
export interface PosternRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `main.ts` with `args` from the repository root, `stdin` as its input (none by
 * default); killed after `timeoutMs`.
 */
export async function runPostern(
  args: string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<PosternRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: repoRoot,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill(), options.timeoutMs ?? 60_000);
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

/** Polls `probe` until it returns true, or fails after `timeoutMs`. */
export async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
