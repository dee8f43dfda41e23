/**
 * The supervisor: the only thread with sockets and private keys. It binds the
 * configured listeners, admits connections (limits per source and globally), terminates
 * TLS, hands each connection to a protocol worker and moves bytes, runs the service
 * workers (store, queue, http), and drains everything on shutdown. It parses no mail.
 *
 * Shutdown ({@linkcode Supervisor.stop}): stop accepting, ask workers to finish their
 * sessions (SMTP 421, IMAP BYE), wait until the connections are gone or the deadline
 * passes, then close what is left and stop the workers.
 */

import * as net from "node:net";
import { availableParallelism } from "node:os";
import type { DomainsConfig, PosternConfig } from "../../core/config/mod.ts";
import { parseListenAddress } from "../../core/config/mod.ts";
import { logger } from "../../core/log/mod.ts";
import type { ProtocolName } from "../protocol.ts";
import type { WorkerPaths } from "../spawn.ts";
import { resolveDataDir } from "./config_files.ts";
import { ClientConnection, type ConnectionStats } from "./connection.ts";
import { ConnectionLimiter } from "./limits.ts";
import { type PoolWorker, WorkerPool } from "./pool.ts";
import { ServiceWorker } from "./services.ts";
import type { StoreApi, StoreEvents } from "../store/api.ts";
import type { ApiSpec, EventSpec } from "../../core/rpc/mod.ts";
import { CertStore } from "./tls.ts";

const log = logger("supervisor");

/** Fixed lines the supervisor writes itself, when no worker can: refusals and crashes. */
const farewells: Record<ProtocolName, { busy: string; lost: string; unavailable: string }> = {
  // RFC 5321 §3.8, §4.2.3: 421 closes the transmission channel.
  smtp: {
    busy: "421 4.7.0 Too many connections, try again later\r\n",
    lost: "421 4.3.0 Internal error, try again later\r\n",
    unavailable: "421 4.3.2 Service not available, try again later\r\n",
  },
  submission: {
    busy: "421 4.7.0 Too many connections, try again later\r\n",
    lost: "421 4.3.0 Internal error, try again later\r\n",
    unavailable: "421 4.3.2 Service not available, try again later\r\n",
  },
  // RFC 9051 §7.1.5: untagged BYE, then close.
  imap: {
    busy: "* BYE [UNAVAILABLE] Too many connections, try again later\r\n",
    lost: "* BYE [UNAVAILABLE] Internal error, try again later\r\n",
    unavailable: "* BYE [UNAVAILABLE] Service not available, try again later\r\n",
  },
};

/** How long a refused connection may take to read its farewell and go. */
const refusedLingerMs = 2_000;

export interface SupervisorOptions {
  config: PosternConfig;
  /** Directory of postern.yaml; relative paths in the config are relative to it. */
  configDir: string;
  /** Protocol worker entry overrides (tests); the permissions stay the same. */
  entries?: { smtp?: URL; imap?: URL };
}

export interface BoundAddress {
  listener: string;
  protocol: string;
  host: string;
  port: number;
}

export class Supervisor {
  readonly paths: WorkerPaths;
  readonly pools: { smtp: WorkerPool; imap: WorkerPool };
  readonly store: ServiceWorker<StoreApi, StoreEvents>;
  readonly services: ServiceWorker<ApiSpec, EventSpec>[];
  readonly limiter: ConnectionLimiter;
  readonly connections = new Map<string, ClientConnection>();
  #servers: { server: net.Server; bound: BoundAddress }[] = [];
  #certs: CertStore | undefined;
  #stopping: Promise<void> | undefined;
  #sweep: ReturnType<typeof setInterval> | undefined;
  #cidPrefix = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
  #cidCounter = 0;
  #domains: DomainsConfig | undefined;
  #allClosed: (() => void) | undefined;

  private constructor(readonly options: SupervisorOptions) {
    const { config, configDir } = options;
    const dataDir = resolveDataDir(config.dataDir, configDir);
    this.paths = { dataDir };
    this.limiter = new ConnectionLimiter(config.limits);
    const cores = availableParallelism();
    const init = {
      hostname: config.hostname,
      log: config.log,
      listeners: Object.fromEntries(
        config.listeners.map((l) => [l.name, {
          requireTls: l.requireTls,
          pedantic: l.pedantic,
          maxMessageSize: l.maxMessageSize,
        }]),
      ),
    };
    const pool = (kind: "smtp" | "imap", size: number, lost: string) => {
      const entry = options.entries?.[kind];
      return new WorkerPool({
        kind,
        size: size === 0 ? cores : size,
        paths: this.paths,
        init,
        heartbeatMs: config.workers.heartbeat,
        lostFarewell: lost,
        log,
        onReady: (w) => {
          void this.#linkStore(kind, w);
          if (this.#domains) w.post({ t: "domains", domains: this.#domains });
        },
        onLost: (w) => this.#unlinkStore(w),
        ...(entry ? { entry } : {}),
      });
    };
    this.pools = {
      smtp: pool("smtp", config.workers.smtp, farewells.smtp.lost),
      imap: pool("imap", config.workers.imap, farewells.imap.lost),
    };
    const service = (kind: "store" | "queue" | "http") => ({
      kind,
      paths: this.paths,
      init: { dataDir, hostname: config.hostname, log: config.log },
      heartbeatMs: config.workers.heartbeat,
      log,
    });
    this.store = new ServiceWorker<StoreApi, StoreEvents>({
      ...service("store"),
      // After a restart too: the new instance must know the accounts, and protocol
      // workers need ports to it (their old ones died with the old instance).
      onStarted: async () => {
        await this.#pushAccounts();
        for (const kind of ["smtp", "imap"] as const) {
          for (const w of this.pools[kind].workers) {
            w.storeLink = undefined; // named a port of the previous instance
            if (w.state === "ready") void this.#linkStore(kind, w);
          }
        }
      },
    });
    this.services = [
      this.store,
      new ServiceWorker(service("queue")),
      new ServiceWorker(service("http")),
    ];
  }

  /**
   * Loads certificates, starts all workers and binds all listeners.
   * @throws Error when a certificate cannot be loaded or an address cannot be bound
   */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    const sup = new Supervisor(options);
    try {
      await sup.#start();
    } catch (err) {
      await sup.#shutdown(0, { quiet: true });
      throw err;
    }
    return sup;
  }

  /** The addresses actually bound (port 0 in config becomes the real port). */
  addresses(): BoundAddress[] {
    return this.#servers.map((s) => s.bound);
  }

  /** The domains configuration in force. */
  get domains(): DomainsConfig | undefined {
    return this.#domains;
  }

  /** Puts a validated domains configuration in force (initially and on reload). */
  async setDomains(domains: DomainsConfig): Promise<void> {
    this.#domains = domains;
    try {
      await this.#pushAccounts(); // first: the store must know accounts workers deliver to
    } finally {
      // Protocol workers resolve recipients and check senders against it.
      for (const pool of [this.pools.smtp, this.pools.imap]) {
        for (const w of pool.workers) if (w.state === "ready") w.post({ t: "domains", domains });
      }
    }
  }

  async #pushAccounts(): Promise<void> {
    if (!this.#domains) return;
    const accounts = Object.entries(this.#domains.accounts).map(([name, a]) => ({
      name,
      addresses: a.addresses,
      quotaSize: a.quotaSize,
      quotaMessages: a.quotaMessages,
    }));
    await this.store.client.call("setAccounts", { accounts });
  }

  /** Gives protocol worker `w` a port to the store's session API. */
  async #linkStore(kind: "smtp" | "imap", w: PoolWorker): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    try {
      const { link } = await this.store.client.call("attachSession", { kind, port: port1 }, {
        transfer: [port1],
      });
      if (w.state !== "ready") {
        // Lost while we waited: nobody will use this port.
        return void this.store.client.call("detachSession", { link }).catch(() => {});
      }
      if (w.storeLink !== undefined) this.#unlinkStore(w); // linked twice at startup
      w.storeLink = link;
      w.post({ t: "store", port: port2 }, [port2]);
    } catch (err) {
      // The store is down; its restart links every ready worker again.
      log.debug("cannot link worker to store", { worker: `${kind}-${w.index}`, err: err as Error });
      port2.close();
    }
  }

  #unlinkStore(w: PoolWorker): void {
    const link = w.storeLink;
    w.storeLink = undefined;
    if (link === undefined) return;
    try {
      this.store.client.call("detachSession", { link }).catch(() => {});
    } catch {
      // The store is not running: its sessions died with it.
    }
  }

  stats(): (ConnectionStats & { cid: string })[] {
    return [...this.connections.values()].map((c) => ({ cid: c.cid, ...c.stats() }));
  }

  /** Graceful shutdown; resolves when everything is closed. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown(this.options.config.shutdown.deadline);
    return this.#stopping;
  }

  async #start(): Promise<void> {
    const { config, configDir } = this.options;
    await Deno.mkdir(this.paths.dataDir, { recursive: true, mode: 0o700 });
    this.#certs = await CertStore.load(config.tls, configDir, this.paths.dataDir, config.hostname);
    for (const l of config.listeners) {
      if (l.protocol === "http") {
        throw new Error(
          `Cannot start listener ${l.name}: the http protocol is not available in this version`,
        );
      }
      if (l.tls !== "none" && this.#certs.empty) {
        throw new Error(`Cannot start listener ${l.name}: TLS needs a certificate`);
      }
    }
    const wanted = new Set(config.listeners.map((l) => l.protocol === "imap" ? "imap" : "smtp"));
    await Promise.all([
      ...this.services.map((s) => s.start()),
      ...(wanted.has("smtp") ? [this.pools.smtp.start()] : []),
      ...(wanted.has("imap") ? [this.pools.imap.start()] : []),
    ]);
    for (const l of config.listeners) {
      for (const address of l.addresses) {
        await this.#listen(l, address);
      }
    }
    this.#sweep = setInterval(() => this.limiter.sweep(), 60_000);
    log.info("started", {
      listeners: this.#servers.map((s) => `${s.bound.listener}@${s.bound.host}:${s.bound.port}`)
        .join(","),
    });
  }

  async #listen(l: PosternConfig["listeners"][number], address: string): Promise<void> {
    const parsed = parseListenAddress(address);
    if (!parsed) throw new Error(`Cannot listen on ${address}: not host:port`);
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.#accept(l, socket));
    await new Promise<void>((resolve, reject) => {
      server.once(
        "error",
        (err: Error) =>
          reject(new Error(`Cannot listen on ${address} for ${l.name}: ${err.message}`)),
      );
      // "::" alone: IPv6 only, so "0.0.0.0:port" can be bound beside it.
      server.listen(
        { host: parsed.host, port: parsed.port, ipv6Only: parsed.host.includes(":") },
        resolve,
      );
    });
    server.on("error", (err: Error) => log.error("listener error", { listener: l.name, err }));
    const info = server.address() as net.AddressInfo;
    this.#servers.push({
      server,
      bound: { listener: l.name, protocol: l.protocol, host: info.address, port: info.port },
    });
  }

  #accept(l: PosternConfig["listeners"][number], socket: net.Socket): void {
    const protocol = l.protocol as ProtocolName;
    const remote = socket.remoteAddress ?? "";
    socket.on("error", () => {}); // resets before we take over
    if (this.#stopping) return void socket.destroy();
    const admission = this.limiter.admit(remote);
    if (admission !== "ok") {
      log.info("connection refused", { listener: l.name, remote, limit: admission });
      if (l.tls === "implicit") return void socket.destroy();
      // Read (and drop) so the client's FIN is seen and the socket closes; bound it.
      socket.on("data", () => {});
      socket.resume();
      socket.setTimeout(refusedLingerMs, () => socket.destroy());
      socket.end(farewells[protocol].busy);
      return;
    }
    const { config } = this.options;
    const cid = `${this.#cidPrefix}${(++this.#cidCounter).toString(36)}`;
    const conn = new ClientConnection(socket, {
      cid,
      listener: l.name,
      protocol,
      tlsMode: l.tls,
      idleTimeoutMs: l.idleTimeout || config.limits.idleTimeout,
      sessionTimeoutMs: config.limits.sessionTimeout,
      certs: this.#certs!,
      log: log.with({ cid }),
      onClose: (c) => this.#closed(c, remote),
    });
    this.connections.set(cid, conn);
    log.debug("connection", { cid, listener: l.name, remote, port: socket.remotePort });
    const hand = () => {
      if (conn.closed) return;
      const pool = protocol === "imap" ? this.pools.imap : this.pools.smtp;
      const worker = pool.pick();
      if (!worker) return conn.farewell(farewells[protocol].unavailable);
      worker.conns.set(cid, conn);
      conn.attach(worker);
      conn.socket.resume();
    };
    if (l.tls !== "implicit") return hand();
    socket.resume();
    conn.handshake().then(hand, (err: Error) => {
      log.debug("tls handshake failed", { cid, err });
      conn.destroy("tls handshake failed");
    });
  }

  #closed(conn: ClientConnection, remote: string): void {
    this.connections.delete(conn.cid);
    this.limiter.release(remote);
    if (this.connections.size === 0) this.#allClosed?.();
  }

  async #shutdown(deadlineMs: number, { quiet = false } = {}): Promise<void> {
    if (!quiet) log.info("shutting down", { connections: this.connections.size, deadlineMs });
    clearInterval(this.#sweep);
    // Stop accepting now; node calls back only once the server's connections are gone,
    // so that wait comes after the drain.
    const listenersClosed = Promise.all(
      this.#servers.map(({ server }) =>
        new Promise<void>((resolve) => server.close(() => resolve()))
      ),
    );
    if (this.connections.size > 0) {
      const allClosed = new Promise<void>((resolve) => this.#allClosed = resolve);
      this.pools.smtp.drain();
      this.pools.imap.drain();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, deadlineMs));
      await Promise.race([allClosed, deadline]);
      clearTimeout(timer);
      for (const conn of [...this.connections.values()]) conn.destroy("shutdown deadline");
    }
    // Bounded: a socket we never took over must not hold the shutdown.
    let linger: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      listenersClosed,
      new Promise((resolve) => linger = setTimeout(resolve, refusedLingerMs)),
    ]);
    clearTimeout(linger);
    this.pools.smtp.stop();
    this.pools.imap.stop();
    for (const s of this.services) s.stop();
    if (!quiet) log.info("stopped");
  }
}
