/**
 * The end of a message (after DATA's CRLF.CRLF or BDAT LAST): loop check, submission
 * checks and fix-ups, inbound verification, the Received field, delivery, and the one
 * reply the client gets.
 *
 * Implementation notes:
 * - One reply for all recipients (RFC 5321 §4.1.1.4; there is no LMTP-style reply per
 *   recipient). When delivery fails for some accounts only (over quota), we still
 *   accept: the others have the message durably, and a 4xx would make the sender send
 *   it again to all of them. The failed accounts are logged; telling the sender (a DSN)
 *   comes with the outgoing queue. When it fails for every account we reply 452 4.2.2
 *   if all were over quota, else 451 4.3.0, and the sender retries.
 * - Submission (RFC 6409 §8): exactly one From field whose addresses are all the
 *   account's; Date and Message-ID are added when missing.
 * - DEVIATION(RFC 4865 §4): a FUTURERELEASE hold is accepted but local delivery
 *   happens at once; holding needs the outgoing queue.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.4
 */

import { type DeliveryFacts, SmtpBackendError, type Verification } from "./backend.ts";
import type { ReplyName } from "./codes.ts";
import type { DataProblem } from "./data.ts";
import { smtpLimits } from "./limits.ts";
import { isAccountAddress } from "./recipients.ts";
import { addresses, headerFields, receivedHeader, rfc5322Date, withProtocol } from "./_headers.ts";
import { ReplyError, type SessionCore } from "./_state.ts";

const dataProblems = {
  "smuggling": ["smuggling", "Message refused: SMTP smuggling, a '.' line not ended by CRLF"],
  "bare-cr": ["bareLineEnding", "Message refused: bare CR, possible SMTP smuggling"],
  "bare-lf": ["bareLineEnding", "Message refused: bare LF, possible SMTP smuggling"],
  "line-too-long": ["dataLineTooLong", "Message refused: line too long"],
  "too-big": ["messageTooBig", "Message size exceeds fixed maximum message size"],
} as const satisfies Record<DataProblem, readonly [ReplyName, string]>;

/** The refusal of message data DataReader found a problem with (data.ts). */
export function dataRefusal(problem: DataProblem): ReplyError {
  const [name, text] = dataProblems[problem];
  return new ReplyError(name, text);
}

const rejections = {
  dmarc: ["dmarcReject", "DMARC policy of the sender's domain says reject"],
  spf: ["spfFail", "SPF check failed"],
  dkim: ["dkimFail", "No valid DKIM signature"],
  policy: ["policyReject", "Message refused"],
} as const;

/** Submission checks; returns header lines to add (Date, Message-ID). */
function submissionFixups(s: SessionCore, message: Uint8Array): string {
  const domains = s.options.backend.domains();
  if (domains === undefined) throw new ReplyError("tempFail", "Not ready, try again later");
  const fields = headerFields(message);
  const from = fields.filter((f) => f.name === "from");
  // RFC 5322 §3.6: exactly one From field.
  if (from.length !== 1) {
    throw new ReplyError("policyReject", "Message needs exactly one From header field");
  }
  const list = addresses(from[0]!.value);
  if (list.length === 0 || !list.every((a) => isAccountAddress(domains, s.account!, a))) {
    throw new ReplyError("policyReject", "From address not allowed for this account");
  }
  let add = "";
  // RFC 6409 §8.2–§8.3: the MSA may add a missing Date and Message-ID.
  if (!fields.some((f) => f.name === "date")) add += `Date: ${rfc5322Date(s.options.now())}\r\n`;
  if (!fields.some((f) => f.name === "message-id")) {
    add += `Message-ID: <${crypto.randomUUID()}@${s.conn.hostname}>\r\n`;
  }
  return add;
}

/**
 * Delivers the transaction's message; returns the 250 reply text.
 * @throws ReplyError for every refusal and temporary failure
 */
export async function finishMessage(
  s: SessionCore,
  message: Uint8Array,
  receivedCount: number,
): Promise<string> {
  const { options, conn, tx } = s;
  // RFC 5321 §6.3: many Received fields mean a loop.
  if (receivedCount > smtpLimits.receivedHeaders) {
    throw new ReplyError("loopDetected", "Too many Received header fields, mail loop");
  }
  const submission = options.protocol === "submission";
  const extra = submission ? submissionFixups(s, message) : "";
  const greeting = s.greeting!;
  const mailFrom = tx.from === null || tx.from === undefined ? "" : tx.from.text;
  let verification: Verification = { header: "", facts: {} };
  if (!submission) {
    verification = await options.backend.verifier.verify({
      remoteIp: conn.remote.address,
      ehlo: greeting.name,
      mailFrom,
      message,
      tls: conn.tls,
      signal: conn.signal,
    });
    if (verification.reject !== undefined) {
      const [reply, text] = rejections[verification.reject];
      throw new ReplyError(reply, text);
    }
  }
  const id = `${conn.cid}.${++s.delivered}`;
  const single = tx.recipients.length === 1 ? tx.recipients[0]!.text : undefined;
  const received = receivedHeader({
    helo: greeting.host,
    remoteIp: conn.remote.address,
    hostname: conn.hostname,
    protocol: withProtocol({
      esmtp: greeting.esmtp,
      tls: conn.tls !== undefined,
      auth: s.account !== undefined,
      utf8: tx.mailParams?.smtputf8 ?? false,
    }),
    id,
    ...(single !== undefined ? { for: single } : {}),
    tls: conn.tls,
    date: options.now(),
  });
  const facts: DeliveryFacts = {
    remoteIp: conn.remote.address,
    ehlo: greeting.name,
    mailFrom,
    ...(single !== undefined ? { rcptTo: single } : {}),
    ...verification.facts,
    ...(conn.tls ? { tls: { version: conn.tls.version, cipher: conn.tls.cipher } } : {}),
  };
  let outcomes;
  try {
    outcomes = await options.backend.deliver({
      accounts: tx.accounts,
      message,
      prefix: received + verification.header + extra,
      facts,
      ...(verification.mailbox ? { mailbox: verification.mailbox } : {}),
    });
  } catch (err) {
    if (!(err instanceof SmtpBackendError)) throw err;
    conn.log.warn("delivery failed", { id, code: err.code });
    throw new ReplyError("tempFail", "Temporary failure, try again later");
  }
  const failed = outcomes.filter((o) => "error" in o);
  for (const f of failed) {
    conn.log.info("delivery to account failed", {
      id,
      account: f.account,
      code: "error" in f ? f.error : "",
    });
  }
  if (failed.length === outcomes.length) {
    const full = failed.every((f) => "error" in f && f.error === "OverQuota");
    throw full
      ? new ReplyError("mailboxFullTemp", "Mailbox full, try again later")
      : new ReplyError("tempFail", "Temporary failure, try again later");
  }
  conn.log.info("delivered", {
    id,
    accounts: outcomes.length - failed.length,
    size: message.length,
  });
  return `Message accepted as ${id}`;
}
