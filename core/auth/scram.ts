/**
 * The server side of SCRAM: SCRAM-SHA-1 (RFC 5802), SCRAM-SHA-256 (RFC 7677), and
 * their -PLUS variants with channel binding (RFC 5802 §6) of type `tls-exporter`
 * (RFC 9266) or `tls-server-end-point` (RFC 5929 §4).
 *
 * Contract: a {@linkcode ScramServer} runs one exchange. `start(client-first)` returns
 * server-first; `finish(client-final)` returns server-final (`v=…`) and the prepared
 * user name, or throws {@linkcode SaslError}. Every client message is checked against
 * the grammar and limits.ts before any other work. Sessions map SaslError to their
 * failure reply (see error.ts); anything else thrown is a bug or the lookup's error.
 *
 * Implementation notes:
 * - Unknown users get a full fake exchange: a salt derived by HMAC from a server
 *   secret and the user name (stable per user, so repeated probes see one salt), the
 *   iteration count of new credentials (`fakeIterations`), and the same proof
 *   computation, failing at the end with code UnknownUser whose message and
 *   serverError equal AuthFailed's. Pass a persistent `fakeSaltKey` so fake salts
 *   also survive restarts; by default a random key per process is used. A user whose
 *   iteration count differs from `fakeIterations` is still distinguishable by it.
 * - `channelBinding` describes the connection, not the mechanism: pass it whenever the
 *   session advertises the -PLUS mechanisms, for the plain mechanisms too, so that a
 *   client claiming "y" (RFC 5802 §6: it supports binding but believes we do not) is
 *   caught as a downgrade.
 * - An authorization identity (gs2 `a=`) is accepted only when it equals the user
 *   name; anything else fails with NotAuthorized after the proof checks out.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5802
 * @see https://www.rfc-editor.org/rfc/rfc7677
 * @see https://www.rfc-editor.org/rfc/rfc9266
 */

import { constantTimeEqual, hash, hashOctets, hmac, xor } from "./_crypto.ts";
import {
  type ClientFirst,
  isPrintable,
  malformed,
  messageText,
  parseClientFinal,
  parseClientFirst,
} from "./_scram_parse.ts";
import { encodeBase64 } from "./base64.ts";
import type { ScramCredential, ScramHash } from "./credentials.ts";
import { SaslError } from "./error.ts";
import { authLimits } from "./limits.ts";

export { SaslError } from "./error.ts";
export type { SaslErrorCode, ScramServerErrorValue } from "./error.ts";
export type { ScramHash } from "./credentials.ts";

/** Channel-binding types we can serve: RFC 9266 and RFC 5929 §4. */
export type ChannelBindingType = "tls-exporter" | "tls-server-end-point";

/** The connection's channel-binding data, from the supervisor's TLS facts. */
export interface ChannelBinding {
  type: ChannelBindingType;
  /**
   * RFC 9266 §2: the 32-octet exporter value for label "EXPORTER-Channel-Binding"
   * with empty context; or RFC 5929 §4.1: the hash of the server certificate.
   */
  data: Uint8Array;
}

/** Options of a {@linkcode ScramServer}. */
export interface ScramServerOptions {
  hash: ScramHash;
  /** True for SCRAM-SHA-*-PLUS: the client must bind to `channelBinding`. */
  plus: boolean;
  /** Present when this connection offers -PLUS mechanisms (see the module notes). */
  channelBinding?: ChannelBinding | undefined;
  /** The user's credential for `hash`, or undefined when there is no such user. */
  lookup: (username: string, hash: ScramHash) => Promise<ScramCredential | undefined>;
  /** Server nonce part (printable ASCII, no ","); for tests. Default: 24 random octets. */
  nonce?: (() => string) | undefined;
  /** Secret for fake salts of unknown users (see the module notes). */
  fakeSaltKey?: Uint8Array | undefined;
  /**
   * Iteration count shown for unknown users: the count the store uses for new
   * credentials. Default limits.ts `defaultIterations`, as deriveCredentials() uses.
   */
  fakeIterations?: number | undefined;
}

/** What a successful exchange yields. */
export interface ScramResult {
  /** server-final-message, "v=" and the base64 ServerSignature. */
  serverFinal: string;
  /** The authenticated user name, SASLprepped as given to `lookup`. */
  username: string;
}

type State =
  | { step: "initial" }
  | {
    step: "started";
    first: ClientFirst;
    serverFirst: string;
    nonce: string;
    credential: ScramCredential;
    known: boolean;
  }
  | { step: "done" };

const encoder = new TextEncoder();
const processFakeSaltKey = crypto.getRandomValues(new Uint8Array(32));

/** The mechanism name for a hash, e.g. "SCRAM-SHA-256-PLUS" (RFC 7677 §6). */
export function scramMechanismName(hash: ScramHash, plus: boolean): string {
  return `SCRAM-${hash}${plus ? "-PLUS" : ""}`;
}

/** Reads a SCRAM mechanism name (case-insensitively); undefined for any other name. */
export function parseScramMechanism(
  name: string,
): { hash: ScramHash; plus: boolean } | undefined {
  const m = /^SCRAM-(SHA-1|SHA-256)(-PLUS)?$/.exec(name.toUpperCase());
  if (m === null) return undefined;
  return { hash: m[1] === "SHA-1" ? "SHA-1" : "SHA-256", plus: m[2] !== undefined };
}

/** One server-side SCRAM exchange (RFC 5802 §5). */
export class ScramServer {
  #options: ScramServerOptions;
  #state: State = { step: "initial" };

  /** @throws {Error} when `plus` is set without channel-binding data (a caller bug). */
  constructor(options: ScramServerOptions) {
    if (options.plus && (options.channelBinding?.data.length ?? 0) === 0) {
      throw new Error("Cannot create SCRAM server: -PLUS needs channel-binding data");
    }
    this.#options = options;
  }

  /** The mechanism this exchange runs, e.g. "SCRAM-SHA-256". */
  get mechanism(): string {
    return scramMechanismName(this.#options.hash, this.#options.plus);
  }

  /**
   * Takes client-first-message and returns server-first-message.
   * @throws {SaslError} Malformed for bad syntax or limits; ChannelBindingMismatch
   *   and ChannelBindingNotSupported for the RFC 5802 §6 channel-binding rules.
   * @throws {Error} when called twice.
   * @see https://www.rfc-editor.org/rfc/rfc5802#section-5.1
   */
  async start(clientFirst: string | Uint8Array): Promise<string> {
    if (this.#state.step !== "initial") {
      throw new Error("Cannot start SCRAM exchange: already started");
    }
    this.#state = { step: "done" }; // until this step succeeds
    const first = parseClientFirst(messageText(clientFirst, "client-first message"));
    this.#checkCbindFlag(first);
    const h = this.#options.hash;
    let credential = await this.#options.lookup(first.username, h);
    const known = credential !== undefined;
    if (credential === undefined) credential = await this.#fakeCredential(first.username);
    else if (credential.hash !== h) {
      throw new Error(
        `Cannot start SCRAM exchange: lookup returned a ${credential.hash} credential`,
      );
    }
    // RFC 5802 §5.1: r= is the client's nonce with the server's appended.
    const nonce = first.clientNonce + this.#serverNonce();
    // RFC 5802 §7: server-first-message = nonce "," salt "," iteration-count
    const serverFirst = `r=${nonce},s=${encodeBase64(credential.salt)},i=${credential.iterations}`;
    this.#state = { step: "started", first, serverFirst, nonce, credential, known };
    return serverFirst;
  }

  /**
   * Takes client-final-message; returns server-final-message and the user name.
   * @throws {SaslError} AuthFailed for a wrong proof, UnknownUser (indistinguishable
   *   outward) for no such user, ChannelBindingMismatch when c= differs from the
   *   expected gs2-header and binding data, NotAuthorized for a foreign authzid,
   *   Malformed for bad syntax.
   * @throws {Error} unless start() succeeded just before.
   * @see https://www.rfc-editor.org/rfc/rfc5802#section-5.1
   */
  async finish(clientFinal: string | Uint8Array): Promise<ScramResult> {
    const state = this.#state;
    if (state.step !== "started") {
      throw new Error("Cannot finish SCRAM exchange: not awaiting client-final");
    }
    this.#state = { step: "done" };
    const final = parseClientFinal(messageText(clientFinal, "client-final message"));
    const h = this.#options.hash;
    const { first, credential } = state;
    // RFC 5802 §5.1: c= carries the gs2-header and, for "p", the binding data
    // (cbind-input, RFC 5802 §7); the server MUST check it.
    const header = encoder.encode(first.gs2Header);
    const cbData = first.cbind.kind === "p" ? this.#options.channelBinding!.data : undefined;
    const expected = new Uint8Array(header.length + (cbData?.length ?? 0));
    expected.set(header);
    if (cbData !== undefined) expected.set(cbData, header.length);
    if (!constantTimeEqual(final.channelBinding, expected)) {
      throw new SaslError("ChannelBindingMismatch", "channel binding does not match");
    }
    // RFC 5802 §5.1: the nonce must be exactly the one in server-first.
    if (final.nonce !== state.nonce) throw malformed("client-final nonce does not match");
    if (final.proof.length !== hashOctets[h]) throw malformed("proof has the wrong length");
    // RFC 5802 §3: AuthMessage := client-first-message-bare + "," +
    // server-first-message + "," + client-final-message-without-proof
    const authMessage = `${first.bare},${state.serverFirst},${final.withoutProof}`;
    // RFC 5802 §3: ClientSignature := HMAC(StoredKey, AuthMessage);
    // ClientKey := ClientProof XOR ClientSignature; the server checks H(ClientKey)
    // against StoredKey. ServerSignature := HMAC(ServerKey, AuthMessage).
    const clientSignature = await hmac(h, credential.storedKey, authMessage);
    const clientKey = xor(final.proof, clientSignature);
    const ok = constantTimeEqual(await hash(h, clientKey), credential.storedKey);
    const serverSignature = await hmac(h, credential.serverKey, authMessage);
    if (!state.known) throw new SaslError("UnknownUser", "");
    if (!ok) throw new SaslError("AuthFailed", "");
    // RFC 4422 §3.4.1: we decide whether the user may act as authzid; only as itself.
    if (first.authzid !== undefined && first.authzid !== first.username) {
      throw new SaslError("NotAuthorized", "authorization identity differs from user name");
    }
    // RFC 5802 §7: server-final-message = verifier; verifier = "v=" base64
    return { serverFinal: `v=${encodeBase64(serverSignature)}`, username: first.username };
  }

  /** RFC 5802 §6: which gs2-cbind-flag is acceptable for this mechanism. */
  #checkCbindFlag(first: ClientFirst): void {
    const { plus, channelBinding } = this.#options;
    switch (first.cbind.kind) {
      case "p":
        // RFC 5802 §6: "p" only with a -PLUS mechanism, and only for our type.
        if (!plus) {
          throw new SaslError(
            "ChannelBindingNotSupported",
            "channel binding requested with a mechanism without -PLUS",
          );
        }
        if (first.cbind.name !== channelBinding!.type) {
          throw new SaslError(
            "ChannelBindingNotSupported",
            `channel binding type ${first.cbind.name} not offered`,
            "unsupported-channel-binding-type",
          );
        }
        return;
      case "y":
        // RFC 5802 §6: "If the flag is set to "y" and the server supports channel
        // binding, the server MUST fail authentication" — a downgrade attempt.
        if (plus) throw malformed("a -PLUS mechanism needs gs2-cbind-flag p=");
        if (channelBinding !== undefined) {
          throw new SaslError(
            "ChannelBindingMismatch",
            "client claims the server does not support channel binding",
            "server-does-support-channel-binding",
          );
        }
        return;
      case "n":
        if (plus) throw malformed("a -PLUS mechanism needs gs2-cbind-flag p=");
        return;
    }
  }

  #serverNonce(): string {
    if (this.#options.nonce === undefined) {
      // RFC 5802 §5.1, RFC 7677 §4: random, printable; base64 is printable and has no ",".
      return encodeBase64(crypto.getRandomValues(new Uint8Array(authLimits.serverNonceOctets)));
    }
    const nonce = this.#options.nonce();
    if (!isPrintable(nonce)) throw new Error("Cannot start SCRAM exchange: bad test nonce");
    return nonce;
  }

  /** A credential for a user that does not exist; see the module notes. */
  async #fakeCredential(username: string): Promise<ScramCredential> {
    const h = this.#options.hash;
    const key = this.#options.fakeSaltKey ?? processFakeSaltKey;
    const mac = await hmac("SHA-256", key, `postern scram fake salt\0${h}\0${username}`);
    return {
      hash: h,
      salt: mac.slice(0, authLimits.saltOctets),
      iterations: this.#options.fakeIterations ?? authLimits.defaultIterations,
      storedKey: crypto.getRandomValues(new Uint8Array(hashOctets[h])),
      serverKey: crypto.getRandomValues(new Uint8Array(hashOctets[h])),
    };
  }
}
