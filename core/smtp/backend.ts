/**
 * What the SMTP session needs from the rest of Postern (STYLE rule 2: the backend
 * interface): authentication, delivery into local accounts, the domains configuration
 * for recipient resolution (recipients.ts), and the inbound verifier (SPF, DKIM, DMARC,
 * iprev). The worker implements it over the store's session port
 * (workers/smtp/backend.ts); tests implement it in memory.
 *
 * Contract: failures the session must tell apart are {@linkcode SmtpBackendError}s with
 * a stable `code` — the store's codes ("AuthFailed", "TooManyFailures", "OverQuota",
 * "NoSuchAccount", "BadMechanism", "SaslMalformed", ...) or the RPC layer's
 * ("Unavailable", "Timeout", "Cancelled"). The session maps them to replies in one
 * place; anything else thrown is a bug.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.4
 */

import type { DomainsConfig } from "../config/domains.ts";
import type { TlsFacts } from "../wire/conn.ts";

/** A backend failure with a stable {@linkcode SmtpBackendError.code}. */
export class SmtpBackendError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "SmtpBackendError";
  }
}

/** Facts about a delivery kept with the message, for junk filtering and reputation. */
export interface DeliveryFacts {
  remoteIp?: string;
  ehlo?: string;
  mailFrom?: string;
  rcptTo?: string;
  /** Domains with a verified SPF, DKIM or DMARC pass. */
  spfDomain?: string;
  dkimDomains?: string[];
  dmarcDomain?: string;
  tls?: { version: string; cipher: string };
}

/** Mailboxes inbound delivery may choose. */
export type DeliveryMailbox = "Inbox" | "Junk" | "Rejects";

/** One message for some local accounts. */
export interface Delivery {
  /** Account names, no duplicates. */
  accounts: string[];
  /** The message as received; may be transferred (detached) by the call. */
  message: Uint8Array;
  /** Header lines to put before the message (Received, ...), each CRLF-terminated. */
  prefix: string;
  facts: DeliveryFacts;
  /** Where to file it; Inbox when absent. */
  mailbox?: DeliveryMailbox;
}

/** One account's outcome: a UID, or a store error code such as "OverQuota". */
export type DeliveryOutcome =
  | { account: string; uid: number }
  | { account: string; error: string; message: string };

/** What the verifier is told about an inbound message. */
export interface VerifyInput {
  remoteIp: string;
  /** The EHLO/HELO argument as sent. */
  ehlo: string;
  /** The MAIL FROM address; "" for the null reverse-path. */
  mailFrom: string;
  /** The message without our prefix. */
  message: Uint8Array;
  tls: TlsFacts | undefined;
  signal: AbortSignal;
}

/** The verifier's findings and decision. */
export interface Verification {
  /**
   * Header fields to add before the message (Authentication-Results, Received-SPF),
   * each CRLF-terminated; "" when none.
   */
  header: string;
  /** Verified domains for the delivery facts. */
  facts: Pick<DeliveryFacts, "spfDomain" | "dkimDomains" | "dmarcDomain">;
  /**
   * Refuse the message: "dmarc" (RFC 7489 p=reject, 550 5.7.26), "spf" (550 5.7.23),
   * "dkim" (550 5.7.20), or "policy" (550 5.7.1, e.g. the junk filter).
   */
  reject?: "dmarc" | "spf" | "dkim" | "policy";
  /** Where to file an accepted message (the junk filter's decision). */
  mailbox?: DeliveryMailbox;
}

/** Checks inbound mail (port 25) before delivery: SPF, DKIM, DMARC, iprev, junk. */
export interface InboundVerifier {
  verify(input: VerifyInput): Promise<Verification>;
}

/** The verifier until mailauth is plugged in: no findings, accept everything. */
export const noVerifier: InboundVerifier = {
  verify: () => Promise.resolve({ header: "", facts: {} }),
};

/** The session's view of Postern. */
export interface SmtpBackend {
  /** The domains configuration in force; undefined until the supervisor sent it. */
  domains(): DomainsConfig | undefined;
  /** PLAIN / LOGIN. @returns the account name. @throws SmtpBackendError */
  login(username: string, password: string): Promise<string>;
  /**
   * SCRAM first step; `channelBinding` is the tls-exporter value (RFC 9266) for -PLUS.
   * @throws SmtpBackendError
   */
  scramStart(
    mechanism: string,
    clientFirst: string,
    channelBinding?: Uint8Array,
  ): Promise<{ exchange: string; serverFirst: string }>;
  /** SCRAM last step. @returns the account and server-final-message */
  scramFinish(exchange: string, clientFinal: string): Promise<{
    account: string;
    serverFinal: string;
  }>;
  /** Ends the login, if any. Never throws. */
  logout(): Promise<void>;
  /**
   * Delivers to local accounts; resolves once durable, with one outcome per account.
   * @throws SmtpBackendError when nothing could be attempted (store unavailable)
   */
  deliver(delivery: Delivery): Promise<DeliveryOutcome[]>;
  /** Inbound checks on port 25. */
  readonly verifier: InboundVerifier;
}
