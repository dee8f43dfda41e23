/**
 * Entry helper for service workers (store, queue, http): serves the worker's RPC API
 * on its global scope, with `init` (logging, then the worker's own setup) and `ping`
 * handled here.
 */
import { configureLogging } from "../core/log/mod.ts";
import {
  type ApiSpec,
  type EventSpec,
  type Handlers,
  RpcServer,
  workerScopePort,
} from "../core/rpc/mod.ts";
import type { ServiceApi, ServiceInit } from "./_service_api.ts";

export function runServiceWorker<A extends ApiSpec, E extends EventSpec = Record<never, never>>(
  setup: (init: ServiceInit) => void | Promise<void>,
  handlers: Handlers<A>,
): RpcServer<ServiceApi & A, E> {
  const own: Handlers<ServiceApi> = {
    init: async (init) => {
      configureLogging(init.log);
      await setup(init);
      return { ok: true };
    },
    ping: () => ({ ok: true }),
  };
  return new RpcServer<ServiceApi & A, E>(
    workerScopePort(),
    { ...handlers, ...own } as Handlers<ServiceApi & A>,
  );
}
