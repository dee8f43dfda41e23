/**
 * MAIL and RCPT: the envelope of a transaction. MAIL checks the sender against the
 * listener's rules (submission: the authenticated account's own address) and the
 * parameters against the extensions on offer; RCPT resolves each recipient against the
 * domains configuration (recipients.ts).
 *
 * Implementation notes:
 * - Port 25 accepts recipients in our domains only: anything else is 550 5.7.1, so we
 *   are never an open relay. An unknown user in one of our domains gets 550 5.1.1
 *   with one fixed text, whatever the reason, so replies reveal nothing more.
 * - Submission delivers to local recipients directly; remote ones are refused with 550
 *   5.7.1 until the outgoing queue exists (a permanent refusal, so mail clients show
 *   it at once instead of retrying for days).
 * - Alias members in other domains are not forwarded yet: they are dropped (logged);
 *   an alias with only remote members is refused like a remote recipient.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2
 */

import type { Command } from "./command.ts";
import { isAccountAddress, resolveRecipient } from "./recipients.ts";
import { ReplyError, type SessionCore } from "./_state.ts";

type Mail = Extract<Command, { verb: "MAIL" }>;
type Rcpt = Extract<Command, { verb: "RCPT" }>;

const unknownUser = "Recipient address rejected: no such user here";

/** The domains configuration, or a temporary failure before the supervisor sent it. */
function domainsOf(s: SessionCore) {
  const domains = s.options.backend.domains();
  if (domains === undefined) throw new ReplyError("tempFail", "Not ready, try again later");
  return domains;
}

/**
 * RFC 5321 §4.1.1.2 MAIL. Updates the transaction; returns the reply text.
 * @throws ReplyError
 */
export function mail(s: SessionCore, cmd: Mail): string {
  const { from, params } = cmd;
  const { options, conn } = s;
  const submission = options.protocol === "submission";
  // RFC 4954 §6 / RFC 6409 §4.3: submission needs an authenticated client.
  if (submission && s.account === undefined) {
    throw new ReplyError("authRequired", "Authentication required");
  }
  // RFC 3207 §4: a server may refuse mail until TLS is on.
  if (!submission && options.requireTls && conn.tls === undefined) {
    throw new ReplyError("encryptionRequired", "Must issue a STARTTLS command first");
  }
  // RFC 6531 §3.5: a UTF-8 address needs the SMTPUTF8 parameter.
  if (from?.utf8 && !params.smtputf8) {
    throw new ReplyError("utf8SenderNotPermitted", "UTF-8 address needs SMTPUTF8");
  }
  // RFC 1870 §6.2: a declared size over the limit is refused at once.
  if (params.size !== undefined && params.size > options.maxMessageSize) {
    throw new ReplyError("messageTooBig", "Message size exceeds fixed maximum message size");
  }
  // RFC 8689 §4.1: REQUIRETLS only over TLS.
  if (params.requireTls && conn.tls === undefined) {
    throw new ReplyError("requireTlsNeeded", "REQUIRETLS needs a TLS connection");
  }
  if (params.holdFor !== undefined || params.holdUntil !== undefined) {
    // RFC 5321 §4.1.1.11: a parameter of an extension not on offer is 555.
    if (!submission) throw new ReplyError("unknownParameter", "FUTURERELEASE not offered here");
    // RFC 4865 §4: a hold beyond the advertised maximum is refused with 501.
    const holdMs = params.holdFor !== undefined
      ? params.holdFor * 1000
      : params.holdUntil!.getTime() - options.now().getTime();
    if (holdMs > options.maxHoldSeconds * 1000) {
      throw new ReplyError("badArguments", "Hold exceeds the maximum future release interval");
    }
  }
  if (submission) {
    // RFC 6409 §6.1: the MSA may check that the sender is the authenticated user's.
    if (from === null) {
      throw new ReplyError("policyReject", "Null reverse-path not allowed on submission");
    }
    const domains = domainsOf(s);
    const address = from.domain.kind === "domain"
      ? `${from.localPart}@${from.domain.ascii}`
      : undefined;
    if (address === undefined || !isAccountAddress(domains, s.account!, address)) {
      throw new ReplyError("policyReject", "Sender address not allowed for this account");
    }
  }
  s.tx.from = from;
  s.tx.mailParams = params;
  s.state = "mail";
  return "Sender OK";
}

/** The accounts `to` reaches, or a ReplyError. */
function resolve(s: SessionCore, to: Rcpt["to"]): string[] {
  const submission = s.options.protocol === "submission";
  const remote = submission
    ? "Outgoing mail to other domains is not available yet"
    : "Relaying denied";
  const domains = domainsOf(s);
  let resolution;
  if (to === "postmaster") {
    // RFC 5321 §4.5.1: <Postmaster> without a domain must be accepted: the one of our
    // host name if that is one of our domains, else of the first domain that has one.
    const names = [s.conn.hostname, ...Object.keys(domains.domains)];
    resolution = names.map((d) => resolveRecipient(domains, "postmaster", d))
      .find((r) => r.kind === "local") ?? { kind: "unknown" as const };
  } else if (to.domain.kind !== "domain") {
    // Address literals are never ours.
    throw new ReplyError("relayDenied", remote);
  } else {
    resolution = resolveRecipient(domains, to.localPart, to.domain.ascii);
  }
  switch (resolution.kind) {
    case "remote":
      throw new ReplyError("relayDenied", remote);
    case "unknown":
      throw new ReplyError("noSuchUser", unknownUser);
    case "local":
      if (resolution.remote.length > 0) {
        s.conn.log.info("alias members in other domains not forwarded", {
          members: resolution.remote.length,
        });
      }
      if (resolution.accounts.length === 0) {
        throw new ReplyError("relayDenied", "Forwarding to other domains is not available yet");
      }
      return resolution.accounts;
  }
}

/**
 * RFC 5321 §4.1.1.3 RCPT. Adds the recipient to the transaction; returns the reply text.
 * @throws ReplyError
 */
export function rcpt(s: SessionCore, cmd: Rcpt): string {
  const { to, params } = cmd;
  // RFC 5321 §4.5.3.1.10: too many recipients is a 452, the client sends the rest later.
  if (s.tx.recipients.length >= s.options.maxRecipients) {
    throw new ReplyError("tooManyRecipients", "Too many recipients");
  }
  // RFC 6531 §3.5: a UTF-8 recipient needs MAIL's SMTPUTF8 parameter.
  if (to !== "postmaster" && to.utf8 && !s.tx.mailParams?.smtputf8) {
    throw new ReplyError("utf8RecipientNotPermitted", "UTF-8 address needs SMTPUTF8");
  }
  const accounts = resolve(s, to);
  s.tx.recipients.push({
    text: to === "postmaster" ? "Postmaster" : to.text,
    mailbox: to,
    params,
    accounts,
  });
  for (const a of accounts) if (!s.tx.accounts.includes(a)) s.tx.accounts.push(a);
  s.state = "rcpt";
  return "Recipient OK";
}
