/**
 * The control socket: a Unix socket (mode 0600, so only the server's user) through
 * which CLI commands reach a running server. One JSON request line, one JSON reply line:
 *
 *   C: {"command":"stop"}     S: {"ok":true,"stopped":true}   (once shutdown finished)
 *   C: {"command":"status"}   S: {"ok":true,"connections":3,...}
 *   C: {"command":"setaccountpassword","account":"alice","password":"..."}
 *
 * Requests are capped at 4 KiB; a bad one gets {"ok":false,"error":...}.
 */

import * as net from "node:net";
import { logger } from "../../core/log/mod.ts";

const log = logger("control");
const maxRequest = 4096;

/** A parsed request: `command` plus its arguments. */
export type ControlRequest = { command: string } & Record<string, unknown>;

/**
 * Handles one request. Long commands may call `progress` any number of times; each
 * call sends a line {"progress":...} before the final reply.
 */
export type ControlHandler = (
  request: ControlRequest,
  progress: (update: Record<string, unknown>) => void,
) => Promise<Record<string, unknown>>;

function parseRequest(line: string): ControlRequest | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const command = (value as Record<string, unknown>).command;
    return typeof command === "string" ? value as ControlRequest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Listens on `path`. A stale socket file from a crashed server is replaced; a live one
 * means another server is running.
 * @throws Error when another server answers on `path`
 */
export async function serveControl(path: string, handle: ControlHandler): Promise<net.Server> {
  if (await isLive(path)) throw new Error(`a server is already running (${path})`);
  await Deno.remove(path).catch(() => {});
  const server = net.createServer((socket) => {
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("error", () => {});
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      if (buffered.length > maxRequest) return void socket.destroy();
      const nl = buffered.indexOf("\n");
      if (nl < 0) return;
      const request = parseRequest(buffered.slice(0, nl));
      socket.removeAllListeners("data");
      if (!request) {
        socket.end(
          JSON.stringify({
            ok: false,
            error: "bad request: expected a JSON object with a command",
          }) + "\n",
        );
        return;
      }
      const command = request.command;
      const progress = (update: Record<string, unknown>) => {
        if (!socket.destroyed) socket.write(JSON.stringify({ progress: update }) + "\n");
      };
      handle(request, progress).then(
        (reply) => socket.end(JSON.stringify(reply) + "\n"),
        (err: Error) => {
          log.error("control command failed", { command, err });
          socket.end(JSON.stringify({ ok: false, error: err.message }) + "\n");
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  await Deno.chmod(path, 0o600);
  return server;
}

/** Sends one command to a running server and returns its reply. */
export function controlRequest(
  path: string,
  command: string,
  args: Record<string, unknown> = {},
  onProgress: (update: Record<string, unknown>) => void = () => {},
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify({ ...args, command }) + "\n"));
    socket.on("data", (chunk: string) => {
      reply += chunk;
      // Progress lines come first; the last line is the reply.
      for (
        let nl = reply.indexOf("\n");
        nl >= 0 && nl < reply.length - 1;
        nl = reply.indexOf("\n")
      ) {
        const line = reply.slice(0, nl);
        try {
          const value = JSON.parse(line) as Record<string, unknown>;
          if (typeof value.progress !== "object" || value.progress === null) break;
          onProgress(value.progress as Record<string, unknown>);
        } catch {
          break;
        }
        reply = reply.slice(nl + 1);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => {
      try {
        resolve(JSON.parse(reply) as Record<string, unknown>);
      } catch {
        reject(new Error(`Cannot read reply from ${path}: ${JSON.stringify(reply.slice(0, 200))}`));
      }
    });
  });
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(path);
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
