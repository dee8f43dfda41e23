/**
 * SCRAM's primitives on WebCrypto (RFC 5802 §2.2): H, HMAC, Hi (which is PBKDF2 with
 * HMAC-H and dkLen = output length of H), XOR, and a constant-time comparison.
 */

/** The hash functions SCRAM is defined for here: SCRAM-SHA-1 and SCRAM-SHA-256. */
export type ScramHash = "SHA-1" | "SHA-256";

/** Output octets of each hash. */
export const hashOctets: Readonly<Record<ScramHash, number>> = { "SHA-1": 20, "SHA-256": 32 };

const encoder = new TextEncoder();

/** Copies into a fresh ArrayBuffer-backed array, as WebCrypto's types want. */
export function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(bytes);
}

/** RFC 5802 §2.2: H(str). */
export async function hash(h: ScramHash, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest(h, own(data)));
}

/** RFC 5802 §2.2: HMAC(key, str). */
export async function hmac(
  h: ScramHash,
  key: Uint8Array,
  data: Uint8Array | string,
): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey("raw", own(key), { name: "HMAC", hash: h }, false, [
    "sign",
  ]);
  const bytes = typeof data === "string" ? encoder.encode(data) : own(data);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, bytes));
}

/** RFC 5802 §2.2: Hi(str, salt, i), i.e. PBKDF2 (RFC 8018 §5.2) with HMAC-H. */
export async function hi(
  h: ScramHash,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey("raw", own(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: h, salt: own(salt), iterations },
    k,
    hashOctets[h] * 8,
  );
  return new Uint8Array(bits);
}

/** RFC 5802 §2.2: XOR of two octet strings of the same length. */
export function xor(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  if (a.length !== b.length) throw new Error("Cannot XOR: lengths differ");
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * True when `a` and `b` hold the same bytes, in time that depends only on their
 * lengths (which are never secret here: they follow from the hash).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The keys RFC 5802 §3 derives from a (prepared) password. */
export interface ScramKeys {
  storedKey: Uint8Array<ArrayBuffer>;
  serverKey: Uint8Array<ArrayBuffer>;
}

/**
 * RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i);
 * ClientKey := HMAC(SaltedPassword, "Client Key"); StoredKey := H(ClientKey);
 * ServerKey := HMAC(SaltedPassword, "Server Key"). `prepared` is already SASLprepped.
 */
export async function scramKeys(
  h: ScramHash,
  prepared: string,
  salt: Uint8Array,
  iterations: number,
): Promise<ScramKeys> {
  const salted = await hi(h, encoder.encode(prepared), salt, iterations);
  const clientKey = await hmac(h, salted, "Client Key");
  return {
    storedKey: await hash(h, clientKey),
    serverKey: await hmac(h, salted, "Server Key"),
  };
}
