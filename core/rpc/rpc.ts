/**
 * Typed request/response calls and server → client events over one MessagePort-like
 * channel (a `MessagePort`, a `Worker`, or a worker's own global scope).
 *
 * Contract:
 * - Method names, params, results and event payloads are checked at compile time from
 *   an {@linkcode ApiSpec} / {@linkcode EventSpec} type shared by both sides.
 * - Every call ends exactly once: with the handler's result, or with an
 *   {@linkcode RpcError} whose `code` is stable — "Timeout", "Cancelled", "Closed",
 *   "Internal", "UnknownMethod", "BadMessage", or an application code thrown by the
 *   handler as `new RpcError("NotFound", …)`. Any other thrown value becomes
 *   RpcError("Internal", "Internal error") on the caller, leaking nothing; the real error
 *   goes to `onInternalError` (default: logged at error level with its stack).
 * - A caller that gives up (AbortSignal, timeout, `close()`) rejects at once and sends a
 *   cancel, which aborts the handler's `ctx.signal`; the handler's late answer is
 *   dropped, and so is any answer for an id that is no longer pending.
 * - Buffers named in `transfer` (call options, `ctx.transfer`, `emit`) are transferred,
 *   not copied: the sender's copy is detached.
 * - Both sides validate every incoming envelope (see `_wire.ts`). Messages without
 *   `rpc: 1` are ignored, so other traffic may share the port; a client and a server may
 *   share one port in both directions, a client ignoring requests and a server ignoring
 *   answers. Malformed envelopes are dropped; the server answers a malformed request
 *   that has a valid id with "BadMessage".
 *
 * Implementation notes: each side adds one "message" listener (and calls `start()` when
 * the port has one, as a `MessagePort` needs with `addEventListener`); `close()` removes
 * it. All timers are cleared when their call ends, so Deno's leak checks stay quiet.
 *
 * @module
 */
import { logger } from "../log/mod.ts";
import {
  type CancelEnvelope,
  type ErrEnvelope,
  type EvtEnvelope,
  parseEnvelope,
  type ReqEnvelope,
  type ResEnvelope,
} from "./_wire.ts";

/** One method: the type of its params and of its result. */
export interface MethodSpec {
  params: unknown;
  result: unknown;
}
/**
 * Methods of an API, keyed by name. Declare APIs with `type X = { … }` (an `interface`
 * has no index signature and is not assignable to this).
 */
export type ApiSpec = { [method: string]: MethodSpec };
/** Events a server may push, keyed by name, with their payload types. */
export type EventSpec = { [event: string]: unknown };

/** Structural subset of MessagePort / Worker / worker globalThis. */
export interface PortLike {
  /** Posts `message`, transferring the objects in `transfer`. */
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** Adds a message listener. */
  addEventListener(type: "message", listener: (ev: MessageEvent) => void): void;
  /** Removes a message listener. */
  removeEventListener(type: "message", listener: (ev: MessageEvent) => void): void;
}

/** An RPC failure with a stable `code` that callers can tell apart. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  /**
   * "Timeout", "Cancelled", "Internal", "UnknownMethod", "BadMessage", "Closed", or an
   * application code such as "NotFound".
   */
  readonly code: string;

  /** Creates an error with `code`; `message` crosses the boundary as is. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Per-call options. */
export interface CallOptions {
  /** Overrides the client's default timeout; `Infinity` waits forever. */
  timeoutMs?: number;
  /** Aborting it rejects the call with "Cancelled" and aborts the handler's signal. */
  signal?: AbortSignal;
  /** Objects in `params` to transfer rather than copy (e.g. ArrayBuffers). */
  transfer?: Transferable[];
}

/** What a handler gets besides its params. */
export interface HandlerContext {
  /** Aborted when the caller cancels, times out or closes, or the server closes. */
  signal: AbortSignal;
  /** Transfer these with the result (e.g. the ArrayBuffer of returned bytes). */
  transfer(...t: Transferable[]): void;
}

/** One handler per method of `A`. Throw {@linkcode RpcError} for an application error. */
export type Handlers<A extends ApiSpec> = {
  [M in keyof A]: (
    params: A[M]["params"],
    ctx: HandlerContext,
  ) => A[M]["result"] | Promise<A[M]["result"]>;
};

type AnyHandler = (params: unknown, ctx: HandlerContext) => unknown;
type Listener = (payload: unknown) => void;

const log = logger("rpc");
const maxTimer = 0x7fff_ffff;

/**
 * Returns the current worker's global scope as a port, for an {@linkcode RpcServer} or
 * {@linkcode RpcClient} inside a worker talking to its parent.
 *
 * @throws {TypeError} when not running in a worker.
 */
export function workerScopePort(): PortLike {
  const g = globalThis as unknown as Partial<PortLike>;
  if (typeof g.postMessage !== "function" || typeof g.addEventListener !== "function") {
    throw new TypeError("Cannot get worker port: not running in a worker");
  }
  return g as PortLike;
}

function startPort(port: PortLike): void {
  const start = (port as { start?: unknown }).start;
  if (typeof start === "function") start.call(port);
}

function toError(x: unknown): Error {
  return x instanceof Error ? x : new Error(`Non-error thrown: ${String(x)}`);
}

function validTimeout(ms: number): number {
  if (!(ms > 0)) throw new RangeError(`Cannot use timeout ${ms}: must be positive`);
  return ms;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: RpcError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Calls methods of API `A` on a server across `port`, and receives its events `E`. */
export class RpcClient<A extends ApiSpec, E extends EventSpec = Record<never, never>> {
  readonly #port: PortLike;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #onMessage = (ev: MessageEvent): void => this.#receive(ev.data);
  #nextId = 1;
  #closed = false;

  /**
   * Starts listening on `port`. `timeoutMs` is the default per-call timeout (30000).
   *
   * @throws {RangeError} when `timeoutMs` is not positive.
   */
  constructor(port: PortLike, options: { timeoutMs?: number } = {}) {
    this.#port = port;
    this.#timeoutMs = validTimeout(options.timeoutMs ?? 30_000);
    port.addEventListener("message", this.#onMessage);
    startPort(port);
  }

  /**
   * Calls `method` with `params`. Rejects with {@linkcode RpcError}: the handler's code,
   * or "Timeout", "Cancelled", "Closed", "Internal", "UnknownMethod", "BadMessage"
   * (also when `params` cannot be cloned).
   */
  call<M extends keyof A & string>(
    method: M,
    params: A[M]["params"],
    options: CallOptions = {},
  ): Promise<A[M]["result"]> {
    if (this.#closed) {
      return Promise.reject(new RpcError("Closed", `Cannot call ${method}: client closed`));
    }
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(new RpcError("Cancelled", `Call ${method} cancelled`));
    }
    let timeoutMs: number;
    try {
      timeoutMs = options.timeoutMs === undefined
        ? this.#timeoutMs
        : validTimeout(options.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextId++;
    const req: ReqEnvelope = { rpc: 1, k: "req", id, m: method, p: params };
    try {
      this.#port.postMessage(req, options.transfer ?? []);
    } catch (err) {
      return Promise.reject(
        new RpcError("BadMessage", `Cannot send ${method}: ${toError(err).message}`, {
          cause: err,
        }),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<A[M]["result"]>();
    const pending: Pending = { resolve, reject, timer: undefined, signal, onAbort: undefined };
    this.#pending.set(id, pending);
    if (timeoutMs <= maxTimer) {
      pending.timer = setTimeout(() => {
        this.#giveUp(id, new RpcError("Timeout", `Call ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    }
    if (signal !== undefined) {
      pending.onAbort = () =>
        this.#giveUp(id, new RpcError("Cancelled", `Call ${method} cancelled`));
      signal.addEventListener("abort", pending.onAbort, { once: true });
    }
    return promise;
  }

  /** Subscribes to `event`; returns the function that unsubscribes. */
  on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, set = new Set());
    const l = listener as Listener;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  /** Rejects pending calls with "Closed" (cancelling them), stops listening. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.removeEventListener("message", this.#onMessage);
    for (const id of [...this.#pending.keys()]) {
      this.#giveUp(id, new RpcError("Closed", "Call abandoned: client closed"));
    }
    this.#listeners.clear();
  }

  /** Ends call `id` on our side: reject, and tell the server to abort its handler. */
  #giveUp(id: number, err: RpcError): void {
    const pending = this.#finish(id);
    if (pending === undefined) return;
    const cancel: CancelEnvelope = { rpc: 1, k: "cancel", id };
    try {
      this.#port.postMessage(cancel, []);
    } catch {
      // The port is gone; so is the handler's reason to run.
    }
    pending.reject(err);
  }

  #finish(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (pending.onAbort !== undefined) {
      pending.signal?.removeEventListener("abort", pending.onAbort);
    }
    return pending;
  }

  #receive(data: unknown): void {
    const env = parseEnvelope(data);
    if (env === null || "malformed" in env) return;
    switch (env.k) {
      case "res":
        this.#finish(env.id)?.resolve(env.r);
        return;
      case "err":
        this.#finish(env.id)?.reject(new RpcError(env.code, env.msg));
        return;
      case "evt":
        for (const listener of [...this.#listeners.get(env.n) ?? []]) {
          try {
            listener(env.p);
          } catch (err) {
            log.error("Event listener failed", { event: env.n, err: toError(err) });
          }
        }
        return;
      case "req":
      case "cancel":
        return; // Addressed to a server sharing this port.
    }
  }
}

/** Serves API `A` with `handlers` on `port`, and pushes events `E` to the client. */
export class RpcServer<A extends ApiSpec, E extends EventSpec = Record<never, never>> {
  readonly #port: PortLike;
  readonly #handlers: Readonly<Record<string, AnyHandler>>;
  readonly #onInternalError: (method: string, err: unknown) => void;
  readonly #inflight = new Map<number, AbortController>();
  readonly #onMessage = (ev: MessageEvent): void => this.#receive(ev.data);
  #closed = false;

  /**
   * Starts serving on `port`. `onInternalError` receives errors other than
   * {@linkcode RpcError} thrown by handlers (default: log at error level with stack).
   */
  constructor(
    port: PortLike,
    handlers: Handlers<A>,
    options: { onInternalError?: (method: string, err: unknown) => void } = {},
  ) {
    this.#port = port;
    this.#handlers = handlers as unknown as Record<string, AnyHandler>;
    this.#onInternalError = options.onInternalError ??
      ((method, err) => log.error("Handler failed", { method, err: toError(err) }));
    port.addEventListener("message", this.#onMessage);
    startPort(port);
  }

  /**
   * Pushes `event` to the client, transferring `transfer`. A no-op after `close()`.
   *
   * @throws {DOMException} when `payload` cannot be cloned (DataCloneError).
   */
  emit<K extends keyof E & string>(event: K, payload: E[K], transfer: Transferable[] = []): void {
    if (this.#closed) return;
    const evt: EvtEnvelope = { rpc: 1, k: "evt", n: event, p: payload };
    this.#port.postMessage(evt, transfer);
  }

  /** Stops serving; aborts running handlers' signals; their results are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.removeEventListener("message", this.#onMessage);
    for (const controller of this.#inflight.values()) {
      controller.abort(new RpcError("Closed", "Server closed"));
    }
    this.#inflight.clear();
  }

  #receive(data: unknown): void {
    const env = parseEnvelope(data);
    if (env === null) return;
    if ("malformed" in env) {
      // Answer only what was meant for a server: a request, or an unknown kind.
      const forServer = env.k === "req" || !["res", "err", "cancel", "evt"].includes(String(env.k));
      if (forServer && env.id !== undefined) {
        this.#sendErr(env.id, "BadMessage", "Malformed request");
      }
      return;
    }
    switch (env.k) {
      case "req":
        void this.#handle(env);
        return;
      case "cancel": {
        const controller = this.#inflight.get(env.id);
        if (controller === undefined) return;
        this.#inflight.delete(env.id);
        controller.abort(new RpcError("Cancelled", "Call cancelled by caller"));
        return;
      }
      case "res":
      case "err":
      case "evt":
        return; // Addressed to a client sharing this port.
    }
  }

  async #handle(req: ReqEnvelope): Promise<void> {
    if (this.#inflight.has(req.id)) return; // A client bug; the first call still answers.
    const handler = Object.hasOwn(this.#handlers, req.m) ? this.#handlers[req.m] : undefined;
    if (typeof handler !== "function") {
      this.#sendErr(
        req.id,
        "UnknownMethod",
        `Unknown method ${JSON.stringify(req.m.slice(0, 100))}`,
      );
      return;
    }
    const controller = new AbortController();
    this.#inflight.set(req.id, controller);
    const transfer: Transferable[] = [];
    const ctx: HandlerContext = {
      signal: controller.signal,
      transfer: (...t) => void transfer.push(...t),
    };
    let failure: { err: unknown } | undefined;
    let result: unknown;
    try {
      result = await handler(req.p, ctx);
    } catch (err) {
      failure = { err };
    }
    // Cancelled or closed meanwhile: the caller is no longer waiting.
    if (this.#inflight.get(req.id) !== controller) return;
    this.#inflight.delete(req.id);
    if (failure === undefined) {
      const res: ResEnvelope = { rpc: 1, k: "res", id: req.id, r: result };
      try {
        this.#port.postMessage(res, transfer);
        return;
      } catch (err) {
        failure = { err }; // e.g. DataCloneError: the handler returned something uncloneable.
      }
    }
    const { err } = failure;
    if (err instanceof RpcError) {
      this.#sendErr(req.id, err.code, err.message);
      return;
    }
    try {
      this.#onInternalError(req.m, err);
    } catch {
      // A failing reporter must not keep the caller waiting.
    }
    this.#sendErr(req.id, "Internal", "Internal error");
  }

  #sendErr(id: number, code: string, msg: string): void {
    const env: ErrEnvelope = { rpc: 1, k: "err", id, code, msg };
    try {
      this.#port.postMessage(env, []);
    } catch {
      // The port is gone.
    }
  }
}
