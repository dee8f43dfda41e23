/**
 * PLAIN (RFC 4616) message parsing and the LOGIN exchange
 * (draft-murchison-sasl-login-00): both carry a user name and password in the
 * clear, so sessions offer them only over TLS (RFC 4616 §6) and check the password
 * with verifyPassword() from credentials.ts.
 *
 * Contract: the input is the client's response already base64-decoded (see
 * base64.ts). Identities come back SASLprepped (query strings, RFC 4013 §2.5) so
 * they match what SCRAM hands to its lookup; the password comes back as sent, since
 * verifyPassword() prepares it. An authorization identity is accepted only when it
 * equals the authentication identity (RFC 4616 §2 leaves the policy to the server).
 * Every failure is SaslError("Malformed"), or "NotAuthorized" for a foreign authzid.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4616
 */

import { encodeBase64 } from "./base64.ts";
import { SaslError } from "./error.ts";
import { authLimits } from "./limits.ts";
import { saslprep, SaslPrepError } from "./saslprep.ts";

export { SaslError } from "./error.ts";

/** A user name and password offered over PLAIN or LOGIN. */
export interface PasswordCredentials {
  /** The authentication identity, SASLprepped, never empty. */
  username: string;
  /** The password as sent (UTF-8 decoded), never empty. */
  password: string;
}

const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    throw new SaslError("Malformed", `${what} is not UTF-8`);
  }
}

function identity(bytes: Uint8Array, what: string): string {
  // RFC 4616 §2: authcid = 1*SAFE, "MUST accept up to 255 octets"; limits.ts.
  if (bytes.length === 0) throw new SaslError("Malformed", `${what} is empty`);
  if (bytes.length > authLimits.identityOctets) {
    throw new SaslError("Malformed", `${what} longer than ${authLimits.identityOctets} octets`);
  }
  let prepared: string;
  try {
    // RFC 4616 §2: identities are prepared with SASLprep before use.
    prepared = saslprep(utf8(bytes, what));
  } catch (err) {
    if (err instanceof SaslPrepError) throw new SaslError("Malformed", `${what}: ${err.message}`);
    throw err;
  }
  if (prepared === "") throw new SaslError("Malformed", `${what} is empty`);
  return prepared;
}

function password(bytes: Uint8Array): string {
  // RFC 4616 §2: passwd = 1*SAFE, "MUST accept up to 255 octets"; limits.ts.
  if (bytes.length === 0) throw new SaslError("Malformed", "password is empty");
  if (bytes.length > authLimits.passwordOctets) {
    throw new SaslError("Malformed", `password longer than ${authLimits.passwordOctets} octets`);
  }
  if (bytes.includes(0)) throw new SaslError("Malformed", "password contains NUL");
  return utf8(bytes, "password");
}

/**
 * Parses a PLAIN message: `[authzid] NUL authcid NUL passwd`.
 * @throws {SaslError} Malformed for a wrong number of NULs, an empty or over-long
 *   field, bad UTF-8 or an identity SASLprep refuses; NotAuthorized for an authzid
 *   other than the authcid.
 * @see https://www.rfc-editor.org/rfc/rfc4616#section-2
 */
export function parsePlain(message: Uint8Array): PasswordCredentials {
  const max = 2 * authLimits.identityOctets + authLimits.passwordOctets + 2;
  if (message.length > max) throw new SaslError("Malformed", `message longer than ${max} octets`);
  // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd; SAFE excludes
  // NUL, so exactly two NULs.
  const first = message.indexOf(0);
  const second = first < 0 ? -1 : message.indexOf(0, first + 1);
  if (second < 0) throw new SaslError("Malformed", "message needs two NUL separators");
  const authzidBytes = message.subarray(0, first);
  const username = identity(message.subarray(first + 1, second), "authcid");
  const result = { username, password: password(message.subarray(second + 1)) };
  // RFC 4616 §2: an empty authzid means none; otherwise the server decides whether
  // authcid may act as authzid. We allow only itself.
  if (authzidBytes.length > 0 && identity(authzidBytes, "authzid") !== username) {
    throw new SaslError("NotAuthorized", "authorization identity differs from user name");
  }
  return result;
}

/** LOGIN's first challenge: base64 of "Username:" (draft-murchison-sasl-login §2). */
export const loginUsernamePrompt = encodeBase64(encoder.encode("Username:"));
/** LOGIN's second challenge: base64 of "Password:". */
export const loginPasswordPrompt = encodeBase64(encoder.encode("Password:"));

/** A LOGIN step: send `challenge` (base64) and await a response, or done. */
export type LoginStep =
  | { kind: "challenge"; challenge: string }
  | { kind: "done"; credentials: PasswordCredentials };

/**
 * The server side of LOGIN: prompt for the user name, then the password. Clients may
 * send the user name as initial response (RFC 4954 §4 / RFC 9051 SASL-IR), which
 * skips the first prompt.
 */
export class LoginServer {
  #username: string | undefined;
  #state: "initial" | "username" | "password" | "done" = "initial";

  /**
   * Begins the exchange, with the decoded initial response if the client sent one.
   * @throws {SaslError} Malformed for a bad user name.
   * @throws {Error} when called twice.
   */
  start(initialResponse?: Uint8Array): LoginStep {
    if (this.#state !== "initial") throw new Error("Cannot start LOGIN: already started");
    this.#state = "username";
    return initialResponse === undefined
      ? { kind: "challenge", challenge: loginUsernamePrompt }
      : this.respond(initialResponse);
  }

  /**
   * Takes the client's decoded response to the last challenge.
   * @throws {SaslError} Malformed for an empty, over-long or non-UTF-8 field.
   * @throws {Error} when no response is awaited.
   */
  respond(response: Uint8Array): LoginStep {
    const state = this.#state;
    this.#state = "done"; // until this step succeeds
    if (state === "username") {
      if (response.includes(0)) throw new SaslError("Malformed", "user name contains NUL");
      this.#username = identity(response, "user name");
      this.#state = "password";
      return { kind: "challenge", challenge: loginPasswordPrompt };
    }
    if (state === "password") {
      return {
        kind: "done",
        credentials: { username: this.#username!, password: password(response) },
      };
    }
    throw new Error("Cannot continue LOGIN: no response awaited");
  }
}
