/**
 * The EHLO reply: the service extensions on offer, which depend on the listener (port
 * 25 or submission) and on whether TLS is on.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.1
 */

import type { SessionCore } from "./_state.ts";

/** SASL mechanisms offered on submission, strongest first (RFC 4954 §3). */
export const authMechanisms = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"] as const;

/**
 * Whether AUTH may run now: submission only; never before TLS unless configured
 * (RFC 4954 §4 and RFC 4616 §6: plaintext mechanisms need an encrypted channel).
 */
export function authOffered(s: SessionCore): boolean {
  return s.options.protocol === "submission" &&
    (s.conn.tls !== undefined || s.options.allowInsecureAuth);
}

/** Whether STARTTLS is on offer (RFC 3207 §4: not once TLS is on). */
export function startTlsOffered(s: SessionCore): boolean {
  return s.conn.tlsMode === "starttls" && s.conn.tls === undefined;
}

/** RFC 3339 date-time without fractions, UTC. */
function dateTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

/** The lines after the host name in the reply to EHLO. */
export function capabilities(s: SessionCore): string[] {
  const { options, conn } = s;
  const lines = [
    "PIPELINING", // RFC 2920
    `SIZE ${options.maxMessageSize}`, // RFC 1870 §4
    "8BITMIME", // RFC 6152
    "SMTPUTF8", // RFC 6531 §3.1
    "ENHANCEDSTATUSCODES", // RFC 2034
  ];
  if (startTlsOffered(s)) lines.push("STARTTLS"); // RFC 3207 §4
  // RFC 8689 §4.1: only offered over TLS.
  if (conn.tls !== undefined) lines.push("REQUIRETLS");
  // RFC 4954 §3. No -PLUS variants: the connection's TLS facts carry no channel
  // binding (RFC 9266 tls-exporter) yet.
  if (authOffered(s)) lines.push(`AUTH ${authMechanisms.join(" ")}`);
  lines.push("CHUNKING", "BINARYMIME"); // RFC 3030 §2, §3
  lines.push("DSN"); // RFC 3461 §4
  lines.push(`LIMITS RCPTMAX=${options.maxRecipients}`); // RFC 9422 §4
  if (options.protocol === "submission") {
    // RFC 4865 §3: FUTURERELEASE max-future-release-interval max-future-release-date-time.
    const until = new Date(options.now().getTime() + options.maxHoldSeconds * 1000);
    lines.push(`FUTURERELEASE ${options.maxHoldSeconds} ${dateTime(until)}`);
  }
  return lines;
}
