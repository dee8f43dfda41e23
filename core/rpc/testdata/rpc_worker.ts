/**
 * Test fixture: an RpcServer in a worker spawned with `permissions: "none"`. Internal
 * errors and handler aborts are reported back as events so the test can observe them.
 */
import { RpcError, RpcServer, workerScopePort } from "../rpc.ts";
import type { WorkerApi, WorkerEvents } from "./api.ts";

function denied(f: () => unknown): string {
  try {
    f();
    return "allowed";
  } catch (err) {
    return err instanceof Error ? err.name : String(err);
  }
}

const server: RpcServer<WorkerApi, WorkerEvents> = new RpcServer<WorkerApi, WorkerEvents>(
  workerScopePort(),
  {
    add: ({ a, b }) => a + b,
    find: ({ id }) => {
      throw new RpcError("NotFound", `No message ${id}`);
    },
    crash: ({ secret }) => {
      throw new Error(`Cannot open ${secret}`);
    },
    hang: (_, { signal }) =>
      new Promise<never>(() => {
        signal.addEventListener("abort", () => {
          const reason = signal.reason instanceof RpcError ? signal.reason.code : "?";
          server.emit("handlerAborted", { method: "hang", reason });
        });
      }),
    upper: ({ data }, ctx) => {
      const bytes = new Uint8Array(data);
      for (let i = 0; i < bytes.length; i++) {
        const c = bytes[i] ?? 0;
        if (c >= 0x61 && c <= 0x7a) bytes[i] = c - 0x20;
      }
      ctx.transfer(data);
      return data;
    },
    probe: () => ({
      env: denied(() => Deno.env.get("HOME")),
      read: denied(() => Deno.readTextFileSync("/etc/hostname")),
      net: denied(() => Deno.listen({ port: 0 }).close()),
    }),
  },
  {
    onInternalError: (method, err) => {
      server.emit("internalError", {
        method,
        message: err instanceof Error ? err.message : String(err),
      });
    },
  },
);
