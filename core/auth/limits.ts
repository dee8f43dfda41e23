/**
 * Every limit of the authentication code, with its RFC reference and reason. Inputs
 * from clients are checked against these before any other work; stored credentials
 * are checked against them when read back.
 */

/** Limits of SASL authentication and stored password credentials. */
export const authLimits = {
  /**
   * Longest SCRAM client-first or client-final message, in UTF-8 octets. RFC 5802 sets
   * no limit; a real client-final (nonce, 116-character channel binding, proof) is
   * under 300 octets, so 1 KiB leaves room while bounding work per step.
   */
  scramMessageOctets: 1024,
  /**
   * Longest client nonce we echo back, in characters. RFC 5802 §5.1 sets no limit;
   * clients send 24–32 characters.
   */
  clientNonceChars: 256,
  /**
   * Random octets in our server nonce (RFC 5802 §5.1: "a sequence of random printable
   * ASCII characters"; RFC 7677 §4 wants the nonce unpredictable). Base64 of 24 octets
   * is 32 characters.
   */
  serverNonceOctets: 24,
  /**
   * Longest authentication or authorization identity, and longest password, in UTF-8
   * octets. RFC 4616 §2 requires accepting 255; twice that leaves room for long
   * passphrases. deriveCredentials() refuses longer passwords, so no stored password
   * is unusable over PLAIN.
   */
  identityOctets: 512,
  passwordOctets: 512,
  /**
   * Fewest PBKDF2 iterations stored or accepted. RFC 5802 §5.1 and RFC 7677 §4: "at
   * least 4096".
   */
  minIterations: 4096,
  /**
   * Most PBKDF2 iterations accepted: verifyPassword() runs them on every PLAIN/LOGIN
   * attempt, so a corrupt or hostile store entry must not turn one login into minutes
   * of CPU.
   */
  maxIterations: 1_000_000,
  /** Iterations for new credentials (RFC 7677 §4 recommends more than the minimum). */
  defaultIterations: 16384,
  /** Octets of random salt for new credentials (RFC 5802 §5.1 sets no length). */
  saltOctets: 16,
  /** Shortest and longest salt accepted from the store. */
  minSaltOctets: 8,
  maxSaltOctets: 128,
} as const;
