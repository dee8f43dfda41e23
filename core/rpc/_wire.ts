/**
 * Wire format of core/rpc, version 1: the envelopes both sides post and the one function
 * that validates what arrives. Internal to core/rpc.
 *
 * Every envelope carries `rpc: 1`; messages without it belong to other traffic on the
 * same port and are ignored. Requests flow client → server (`req`, `cancel`); answers
 * and events flow server → client (`res`, `err`, `evt`). Ids are chosen by the client,
 * unique among its pending calls.
 */

/** Version tag carried by every envelope. */
export const WIRE_VERSION = 1;

/** Request: call method `m` with params `p`. */
export interface ReqEnvelope {
  rpc: 1;
  k: "req";
  id: number;
  m: string;
  p: unknown;
}
/** Successful result `r` of call `id`. */
export interface ResEnvelope {
  rpc: 1;
  k: "res";
  id: number;
  r: unknown;
}
/** Failure of call `id` with a stable `code` and a message safe to show the caller. */
export interface ErrEnvelope {
  rpc: 1;
  k: "err";
  id: number;
  code: string;
  msg: string;
}
/** The caller gave up on call `id` (abort, timeout, close). */
export interface CancelEnvelope {
  rpc: 1;
  k: "cancel";
  id: number;
}
/** Server → client event `n` with payload `p`. */
export interface EvtEnvelope {
  rpc: 1;
  k: "evt";
  n: string;
  p: unknown;
}

/** Any valid envelope. */
export type Envelope = ReqEnvelope | ResEnvelope | ErrEnvelope | CancelEnvelope | EvtEnvelope;

/**
 * Result of {@linkcode parseEnvelope}: the envelope; `null` for traffic that is not rpc
 * version 1; or `{ malformed }` with the envelope's id (when it had a valid one) and kind.
 */
export type Parsed =
  | Envelope
  | null
  | { malformed: true; k: unknown; id: number | undefined };

function isId(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** Validates an incoming message's shape. Never throws. */
export function parseEnvelope(data: unknown): Parsed {
  if (typeof data !== "object" || data === null) return null;
  const o = data as Record<string, unknown>;
  if (o["rpc"] !== WIRE_VERSION) return null;
  const k = o["k"];
  const id = o["id"];
  const bad = { malformed: true as const, k, id: isId(id) ? id : undefined };
  switch (k) {
    case "req":
      return isId(id) && typeof o["m"] === "string" ? { rpc: 1, k, id, m: o["m"], p: o["p"] } : bad;
    case "res":
      return isId(id) ? { rpc: 1, k, id, r: o["r"] } : bad;
    case "err":
      return isId(id) && typeof o["code"] === "string" && typeof o["msg"] === "string"
        ? { rpc: 1, k, id, code: o["code"], msg: o["msg"] }
        : bad;
    case "cancel":
      return isId(id) ? { rpc: 1, k, id } : bad;
    case "evt":
      return typeof o["n"] === "string" ? { rpc: 1, k, n: o["n"], p: o["p"] } : bad;
    default:
      return bad;
  }
}
