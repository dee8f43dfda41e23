/**
 * HTTP worker entry (permissions: none). Will run the Hono apps from web/ for requests
 * the supervisor forwards; the HTTPS issue adds the request API.
 */
import { runServiceWorker } from "../_service_worker.ts";

export type HttpApi = Record<never, never>;

runServiceWorker<HttpApi>(() => {}, {});
