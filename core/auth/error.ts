/**
 * The one error type of SASL exchanges (PLAIN, LOGIN, SCRAM). Sessions map it to the
 * protocol's failure reply in one place: SMTP `535 5.7.8` for AuthFailed/UnknownUser/
 * NotAuthorized and `501 5.5.2` for Malformed (RFC 4954 §6); IMAP `NO
 * [AUTHENTICATIONFAILED]` or `BAD` (RFC 9051 §7.1).
 */

/** Why a SASL exchange failed. */
export type SaslErrorCode =
  /** The client's message breaks the mechanism's syntax or a limit. */
  | "Malformed"
  /** Wrong password or proof. */
  | "AuthFailed"
  /**
   * No such user. Only for logs: its message and {@linkcode SaslError.serverError}
   * are those of AuthFailed, and sessions must reply exactly as for AuthFailed.
   */
  | "UnknownUser"
  /** The authenticated user may not act as the requested authorization identity. */
  | "NotAuthorized"
  /**
   * The client's channel binding differs from ours, or it claims we offer none when
   * we do (RFC 5802 §6 downgrade protection).
   */
  | "ChannelBindingMismatch"
  /** The client asks for a channel binding we do not have or did not offer. */
  | "ChannelBindingNotSupported";

/** RFC 5802 §7 `server-error-value`, for a SCRAM `e=` server-final message. */
export type ScramServerErrorValue =
  | "invalid-encoding"
  | "extensions-not-supported"
  | "invalid-proof"
  | "channel-bindings-dont-match"
  | "server-does-support-channel-binding"
  | "channel-binding-not-supported"
  | "unsupported-channel-binding-type"
  | "other-error";

const credentialsMessage = "Cannot authenticate: invalid credentials";

/** A failed SASL step, with a stable {@linkcode SaslErrorCode}. */
export class SaslError extends Error {
  /** What a SCRAM server-final `e=` attribute would say (RFC 5802 §7). */
  readonly serverError: ScramServerErrorValue;

  /**
   * @param detail appended to the message; ignored for AuthFailed and UnknownUser,
   *   whose message is fixed so that the two cannot be told apart.
   */
  constructor(
    readonly code: SaslErrorCode,
    detail: string,
    serverError?: ScramServerErrorValue,
  ) {
    super(
      code === "AuthFailed" || code === "UnknownUser"
        ? credentialsMessage
        : `Cannot authenticate: ${detail}`,
    );
    this.name = "SaslError";
    this.serverError = serverError ?? defaultServerError[code];
  }
}

// RFC 5802 §7: server-error-value. UnknownUser deliberately says invalid-proof, not
// unknown-user, so that the answer does not reveal whether the account exists.
const defaultServerError: Record<SaslErrorCode, ScramServerErrorValue> = {
  Malformed: "invalid-encoding",
  AuthFailed: "invalid-proof",
  UnknownUser: "invalid-proof",
  NotAuthorized: "other-error",
  ChannelBindingMismatch: "channel-bindings-dont-match",
  ChannelBindingNotSupported: "channel-binding-not-supported",
};
