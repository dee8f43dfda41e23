/**
 * Typed request/response and event RPC over MessagePort, Worker or a worker's global
 * scope. See `rpc.ts` for the contract.
 *
 * @module
 */
export * from "./rpc.ts";
