/**
 * The AUTH verb (RFC 4954): one SASL exchange of PLAIN (RFC 4616), LOGIN
 * (draft-murchison-sasl-login) or SCRAM-SHA-1/-256 (RFC 5802, RFC 7677). The session
 * feeds it the initial response and then each continuation line; it answers with a
 * `334` challenge or the account, and throws {@linkcode ReplyError} for every failure.
 *
 * Implementation notes:
 * - RFC 4954 §4: "=" as initial response is an empty response; "*" cancels (501);
 *   a response that is not base64 is a syntax error (501 5.5.2).
 * - RFC 4954 §4: SMTP has no "success with additional data", so SCRAM's
 *   server-final-message goes out as one more 334 challenge and the client answers
 *   with an empty line before 235.
 * - Credentials are checked by the store (backend.ts); its failures map to replies in
 *   {@linkcode authReply}, the one place for them: wrong credentials 535 5.7.8,
 *   rate limited or store unavailable 454 4.7.0 (RFC 4954 §6).
 *
 * @see https://www.rfc-editor.org/rfc/rfc4954#section-4
 */

import {
  encodeBase64,
  LoginServer,
  parsePlain,
  type PasswordCredentials,
  SaslError,
  tryDecodeBase64,
} from "../auth/mod.ts";
import { type SmtpBackend, SmtpBackendError } from "./backend.ts";
import { ReplyError, type SessionCore } from "./_state.ts";
import { authMechanisms, authOffered } from "./_ehlo.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What to send after a step: a challenge (base64, may be "") or the account. */
export type AuthStep =
  | { kind: "challenge"; challenge: string }
  | { kind: "done"; account: string };

/** Maps a failure of an exchange to its reply; rethrows bugs. */
export function authReply(err: unknown): ReplyError {
  if (err instanceof ReplyError) return err;
  if (err instanceof SaslError) {
    return err.code === "Malformed"
      ? new ReplyError("syntax", "Malformed authentication response")
      : new ReplyError("authFailed", "Authentication credentials invalid");
  }
  if (err instanceof SmtpBackendError) {
    switch (err.code) {
      case "SaslMalformed":
        return new ReplyError("syntax", "Malformed authentication response");
      case "BadMechanism":
        return new ReplyError("authMechanism", "Mechanism not available");
      case "TooManyFailures":
        return new ReplyError("authTempFail", "Too many failed attempts, try again later");
      default:
        if (err.code === "AuthFailed" || err.code.startsWith("Sasl")) {
          return new ReplyError("authFailed", "Authentication credentials invalid");
        }
        return new ReplyError("authTempFail", "Temporary authentication failure");
    }
  }
  throw err;
}

/** Decodes a client response; "*" cancels. */
function decode(response: string): Uint8Array {
  if (response === "*") throw new ReplyError("authCancelled", "Authentication cancelled");
  if (response === "" || response === "=") return new Uint8Array(0);
  const bytes = tryDecodeBase64(response);
  if (bytes === undefined) throw new ReplyError("syntax", "Response is not base64");
  return bytes;
}

/**
 * Checks that AUTH may start now and returns its exchange.
 * @throws ReplyError
 */
export function startAuth(s: SessionCore, mechanism: string): AuthExchange {
  if (s.options.protocol !== "submission") {
    throw new ReplyError("notImplemented", "AUTH not available");
  }
  // RFC 4954 §4: one successful AUTH per session.
  if (s.account !== undefined) throw new ReplyError("badSequence", "Already authenticated");
  if (!authOffered(s)) {
    throw new ReplyError("authEncryptionRequired", "Must issue a STARTTLS command first");
  }
  if (!(authMechanisms as readonly string[]).includes(mechanism)) {
    throw new ReplyError("authMechanism", "Mechanism not available");
  }
  return new AuthExchange(mechanism, s.options.backend);
}

/** One AUTH exchange. */
export class AuthExchange {
  #login: LoginServer | undefined;
  #scram: { step: "first" | "final" | "confirm"; exchange: string; account: string } | undefined;

  constructor(readonly mechanism: string, readonly backend: SmtpBackend) {
    if (mechanism === "LOGIN") this.#login = new LoginServer();
    else if (mechanism.startsWith("SCRAM-")) {
      this.#scram = { step: "first", exchange: "", account: "" };
    }
  }

  /**
   * Starts with the AUTH command's initial response (undefined when none).
   * @throws ReplyError
   */
  async start(initialResponse: string | undefined): Promise<AuthStep> {
    try {
      if (this.#login !== undefined) {
        const step = this.#login.start(
          initialResponse === undefined ? undefined : decode(initialResponse),
        );
        return step.kind === "challenge" ? step : await this.#password(step.credentials);
      }
      // RFC 4954 §4: without an initial response, an empty challenge asks for it.
      if (initialResponse === undefined) return { kind: "challenge", challenge: "" };
      return await this.#respond(initialResponse);
    } catch (err) {
      throw authReply(err);
    }
  }

  /**
   * Takes the client's line after a 334 challenge.
   * @throws ReplyError
   */
  async respond(line: string): Promise<AuthStep> {
    try {
      if (this.#login !== undefined) {
        const step = this.#login.respond(decode(line));
        return step.kind === "challenge" ? step : await this.#password(step.credentials);
      }
      return await this.#respond(line);
    } catch (err) {
      // Cancelled or broken after SCRAM succeeded in the store: end that login.
      if (this.#scram?.step === "confirm") await this.backend.logout();
      throw authReply(err);
    }
  }

  async #respond(response: string): Promise<AuthStep> {
    const bytes = decode(response);
    const scram = this.#scram;
    if (scram === undefined) return await this.#password(parsePlain(bytes)); // PLAIN
    switch (scram.step) {
      case "first": {
        const r = await this.backend.scramStart(this.mechanism, decoder.decode(bytes));
        scram.step = "final";
        scram.exchange = r.exchange;
        return { kind: "challenge", challenge: encodeBase64(encoder.encode(r.serverFirst)) };
      }
      case "final": {
        const r = await this.backend.scramFinish(scram.exchange, decoder.decode(bytes));
        scram.step = "confirm";
        scram.account = r.account;
        return { kind: "challenge", challenge: encodeBase64(encoder.encode(r.serverFinal)) };
      }
      case "confirm":
        // RFC 4954 §4: the client acknowledges the server-final-message with nothing.
        if (bytes.length > 0) throw new ReplyError("syntax", "Expected an empty response");
        return { kind: "done", account: scram.account };
    }
  }

  async #password(credentials: PasswordCredentials): Promise<AuthStep> {
    const account = await this.backend.login(credentials.username, credentials.password);
    return { kind: "done", account };
  }
}
