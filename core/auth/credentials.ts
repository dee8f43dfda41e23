/**
 * Password credentials as the store keeps them: never the password, only salted
 * derived keys in the form SCRAM needs (RFC 5802 §3: salt, iteration count, StoredKey,
 * ServerKey), one entry per hash. The same entries serve PLAIN and LOGIN: the store
 * recomputes StoredKey from the offered password and compares.
 *
 * Contract:
 * - deriveCredentials() SASLpreps the password (RFC 4013, stored-string mode; see
 *   saslprep.ts for what is simplified), salts each hash separately with random
 *   octets and runs PBKDF2 (RFC 5802 §2.2 Hi) with at least 4096 iterations.
 * - verifyPassword() answers only true or false, in time that does not depend on
 *   whether the account exists when the store passes `undefined` for a missing one.
 * - credentialsToJSON()/credentialsFromJSON() give a versioned JSON form with base64
 *   byte strings; reading validates every field against limits.ts.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5802#section-3
 * @see https://www.rfc-editor.org/rfc/rfc7677
 */

import { constantTimeEqual, hashOctets, type ScramHash, scramKeys } from "./_crypto.ts";
import { encodeBase64, tryDecodeBase64 } from "./base64.ts";
import { authLimits } from "./limits.ts";
import { saslprep, SaslPrepError } from "./saslprep.ts";

export type { ScramHash } from "./_crypto.ts";

/** The hashes credentials are derived for, strongest first. */
export const scramHashes: readonly ScramHash[] = ["SHA-256", "SHA-1"];

/** What a SCRAM server needs to know about one user for one hash (RFC 5802 §3). */
export interface ScramCredential {
  hash: ScramHash;
  salt: Uint8Array;
  /** PBKDF2 iteration count, at least 4096 (RFC 5802 §5.1, RFC 7677 §4). */
  iterations: number;
  /** H(HMAC(SaltedPassword, "Client Key")). */
  storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"). */
  serverKey: Uint8Array;
}

/** A user's password credentials: one SCRAM entry per hash, no two with one hash. */
export interface Credentials {
  scram: ScramCredential[];
}

/** The JSON form of {@linkcode Credentials}; byte strings are padded base64. */
export interface CredentialsJson {
  version: 1;
  scram: {
    hash: ScramHash;
    salt: string;
    iterations: number;
    storedKey: string;
    serverKey: string;
  }[];
}

/** Why credentials could not be made or read. */
export class CredentialsError extends Error {
  constructor(readonly code: "InvalidPassword" | "InvalidOptions" | "InvalidJson", detail: string) {
    super(
      code === "InvalidJson"
        ? `Cannot read credentials: ${detail}`
        : `Cannot derive credentials: ${detail}`,
    );
    this.name = "CredentialsError";
  }
}

const encoder = new TextEncoder();

function checkIterations(iterations: number): void {
  // RFC 5802 §5.1, RFC 7677 §4: at least 4096; limits.ts for the ceiling.
  if (
    !Number.isSafeInteger(iterations) || iterations < authLimits.minIterations ||
    iterations > authLimits.maxIterations
  ) {
    throw new CredentialsError(
      "InvalidOptions",
      `iterations must be an integer from ${authLimits.minIterations} to ${authLimits.maxIterations}`,
    );
  }
}

/** SASLpreps a password in stored-string mode, or throws CredentialsError. */
function preparePassword(password: string): string {
  if (encoder.encode(password).length > authLimits.passwordOctets) {
    throw new CredentialsError(
      "InvalidPassword",
      `password longer than ${authLimits.passwordOctets} octets`,
    );
  }
  let prepared: string;
  try {
    // RFC 5802 §2.2 Normalize(str), RFC 4013 §2.5: stored strings refuse unassigned
    // code points.
    prepared = saslprep(password, { allowUnassigned: false });
  } catch (err) {
    if (err instanceof SaslPrepError) throw new CredentialsError("InvalidPassword", err.message);
    throw err;
  }
  if (prepared === "") throw new CredentialsError("InvalidPassword", "empty password");
  return prepared;
}

/**
 * Builds one SCRAM credential from a password, salt and iteration count — the lower
 * level of {@linkcode deriveCredentials}, for tests with fixed salts (RFC 5802 §5,
 * RFC 7677 §3) and for importing.
 * @throws {CredentialsError} for an empty, over-long or unpreparable password, a salt
 *   outside limits.ts, or an iteration count below 4096 or above the ceiling.
 * @see https://www.rfc-editor.org/rfc/rfc5802#section-3
 */
export async function scramCredentialFromPassword(
  password: string,
  hash: ScramHash,
  salt: Uint8Array,
  iterations: number,
): Promise<ScramCredential> {
  checkIterations(iterations);
  if (salt.length < authLimits.minSaltOctets || salt.length > authLimits.maxSaltOctets) {
    throw new CredentialsError(
      "InvalidOptions",
      `salt must be ${authLimits.minSaltOctets} to ${authLimits.maxSaltOctets} octets`,
    );
  }
  const prepared = preparePassword(password);
  const keys = await scramKeys(hash, prepared, salt, iterations);
  return { hash, salt: Uint8Array.from(salt), iterations, ...keys };
}

/** Options for {@linkcode deriveCredentials}. */
export interface DeriveOptions {
  /** PBKDF2 iterations for every hash; default 16384, at least 4096. */
  iterations?: number | undefined;
}

/**
 * Derives credentials for SCRAM-SHA-256 and SCRAM-SHA-1 (and so for PLAIN and LOGIN)
 * from a password, each hash with its own random 16-octet salt.
 * @throws {CredentialsError} for an empty, over-long or unpreparable password
 *   (code InvalidPassword) or an iteration count outside limits (InvalidOptions).
 * @see https://www.rfc-editor.org/rfc/rfc5802#section-3
 */
export async function deriveCredentials(
  password: string,
  options: DeriveOptions = {},
): Promise<Credentials> {
  const iterations = options.iterations ?? authLimits.defaultIterations;
  checkIterations(iterations);
  preparePassword(password); // fail before any work
  const scram: ScramCredential[] = [];
  for (const hash of scramHashes) {
    const salt = crypto.getRandomValues(new Uint8Array(authLimits.saltOctets));
    scram.push(await scramCredentialFromPassword(password, hash, salt, iterations));
  }
  return { scram };
}

/** The credential for `hash`, if the user has one. */
export function scramCredential(
  creds: Credentials,
  hash: ScramHash,
): ScramCredential | undefined {
  return creds.scram.find((c) => c.hash === hash);
}

// Stands in for a missing account so that verifyPassword(undefined, …) costs what a
// real check costs.
const dummy: ScramCredential = {
  hash: "SHA-256",
  salt: new Uint8Array(authLimits.saltOctets),
  iterations: authLimits.defaultIterations,
  storedKey: crypto.getRandomValues(new Uint8Array(hashOctets["SHA-256"])),
  serverKey: new Uint8Array(hashOctets["SHA-256"]),
};

/**
 * Checks a password offered over PLAIN or LOGIN: recomputes SaltedPassword →
 * ClientKey → StoredKey (RFC 5802 §3) with the strongest hash the user has and
 * compares in constant time. Pass `undefined` for an unknown user: the same work is
 * done against a dummy credential and the answer is false. A password that SASLprep
 * refuses, that is empty, or longer than limits.ts allows, is simply wrong.
 * @see https://www.rfc-editor.org/rfc/rfc4616#section-2
 */
export async function verifyPassword(
  creds: Credentials | undefined,
  password: string,
): Promise<boolean> {
  const cred = creds === undefined
    ? undefined
    : scramHashes.map((h) => scramCredential(creds, h)).find((c) => c !== undefined);
  const target = cred ?? dummy;
  let prepared = "";
  if (encoder.encode(password).length <= authLimits.passwordOctets) {
    try {
      // RFC 4616 §2, RFC 4013 §2.5: the offered password is a query string.
      prepared = saslprep(password);
    } catch (err) {
      if (!(err instanceof SaslPrepError)) throw err;
    }
  }
  const keys = await scramKeys(target.hash, prepared, target.salt, target.iterations);
  const same = constantTimeEqual(keys.storedKey, target.storedKey);
  return same && cred !== undefined && prepared !== "";
}

/** The JSON form of credentials, for the store. */
export function credentialsToJSON(creds: Credentials): CredentialsJson {
  return {
    version: 1,
    scram: creds.scram.map((c) => ({
      hash: c.hash,
      salt: encodeBase64(c.salt),
      iterations: c.iterations,
      storedKey: encodeBase64(c.storedKey),
      serverKey: encodeBase64(c.serverKey),
    })),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bytesField(
  entry: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): Uint8Array {
  const text = entry[name];
  const bytes = typeof text === "string" ? tryDecodeBase64(text) : undefined;
  if (bytes === undefined || bytes.length < min || bytes.length > max) {
    throw new CredentialsError("InvalidJson", `${name} must be base64 of ${min}–${max} octets`);
  }
  return bytes;
}

/**
 * Reads credentials from their JSON form (the value, already parsed), checking every
 * field.
 * @throws {CredentialsError} with code InvalidJson naming the bad field.
 */
export function credentialsFromJSON(value: unknown): Credentials {
  if (!isRecord(value) || value.version !== 1) {
    throw new CredentialsError("InvalidJson", "expected an object with version 1");
  }
  const list = value.scram;
  if (!Array.isArray(list) || list.length === 0 || list.length > scramHashes.length) {
    throw new CredentialsError("InvalidJson", "scram must list one entry per hash");
  }
  const scram: ScramCredential[] = [];
  for (const entry of list as unknown[]) {
    if (!isRecord(entry)) throw new CredentialsError("InvalidJson", "scram entry not an object");
    const hash = scramHashes.find((h) => h === entry.hash);
    if (hash === undefined || scram.some((c) => c.hash === hash)) {
      throw new CredentialsError("InvalidJson", "scram entry has an unknown or repeated hash");
    }
    const iterations = entry.iterations;
    if (typeof iterations !== "number") {
      throw new CredentialsError("InvalidJson", "iterations must be a number");
    }
    try {
      checkIterations(iterations);
    } catch {
      throw new CredentialsError("InvalidJson", "iterations out of range");
    }
    const n = hashOctets[hash];
    scram.push({
      hash,
      salt: bytesField(entry, "salt", authLimits.minSaltOctets, authLimits.maxSaltOctets),
      iterations,
      storedKey: bytesField(entry, "storedKey", n, n),
      serverKey: bytesField(entry, "serverKey", n, n),
    });
  }
  return { scram };
}
