/**
 * Test support for the SMTP session: a fake {@linkcode SmtpBackend} described as data
 * (domains as YAML, passwords as a map) that records its calls, and fixtures that build
 * each state on the previous one: connected → greeted → ready → (authenticated) → mail
 * → rcpt (STYLE.md §17).
 */

import { parseDomainsConfig } from "../config/domains.ts";
import type { DomainsConfig } from "../config/domains.ts";
import { parseScramMechanism, SaslError, ScramServer } from "../auth/scram.ts";
import { scramCredentialFromPassword } from "../auth/credentials.ts";
import { encodeBase64 } from "../auth/base64.ts";
import { TestConn, type TestConnOptions, transcript } from "../wire/_test_conn.ts";
import {
  type Delivery,
  type DeliveryOutcome,
  type InboundVerifier,
  noVerifier,
  type SmtpBackend,
  SmtpBackendError,
} from "./backend.ts";
import { SmtpSession, type SmtpSessionOptions } from "./session.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const testDomainsYaml = `
domains:
  example.org: {}
  example.net:
    catchAll: catchall
  xn--bcher-kva.example: {}
accounts:
  alice:
    addresses: [alice@example.org, alice@xn--bcher-kva.example]
  bob:
    addresses: [bob@example.org, robert@example.org]
  catchall:
    addresses: [catchall@example.net]
  postmaster:
    addresses: [postmaster@example.org]
aliases:
  team@example.org:
    members: [alice@example.org, bob@example.org, friend@remote.example]
  loop1@example.org:
    members: [loop2@example.org, alice@example.org]
  loop2@example.org:
    members: [loop1@example.org]
  outside@example.org:
    members: [someone@remote.example]
`;

export const testDomains: DomainsConfig = parseDomainsConfig(testDomainsYaml, "domains.yaml")
  .value!;

/** What the fake backend knows and how it misbehaves. */
export interface FakeBackendOptions {
  /** Undefined simulates a worker that has not been sent the domains yet. */
  domains?: DomainsConfig | undefined;
  /** Login name (account or address) → [account, password]. */
  users?: Record<string, [string, string]>;
  /** Logins that fail with TooManyFailures. */
  limited?: string[];
  /** Accounts over quota. */
  full?: string[];
  /** Deliveries fail with this code (SmtpBackendError). */
  deliverError?: string;
  verifier?: InboundVerifier;
}

/** A delivery as recorded: the message decoded. */
export interface Delivered extends Omit<Delivery, "message"> {
  text: string;
}

export class FakeBackend implements SmtpBackend {
  readonly calls: string[] = [];
  readonly delivered: Delivered[] = [];
  readonly verifier: InboundVerifier;
  #uid = 0;
  #exchanges = new Map<string, ScramServer>();
  #account: string | undefined;

  constructor(readonly options: FakeBackendOptions = {}) {
    this.verifier = options.verifier ?? noVerifier;
  }

  domains(): DomainsConfig | undefined {
    return "domains" in this.options ? this.options.domains : testDomains;
  }

  #user(name: string): [string, string] | undefined {
    const users = this.options.users ?? { alice: ["alice", "secret"] };
    if (this.options.limited?.includes(name)) {
      throw new SmtpBackendError("TooManyFailures", "Cannot log in: too many failures");
    }
    return users[name.toLowerCase()];
  }

  login(username: string, password: string): Promise<string> {
    this.calls.push(`login ${username}`);
    const user = this.#user(username);
    if (user === undefined || user[1] !== password) {
      return Promise.reject(new SmtpBackendError("AuthFailed", "Cannot log in"));
    }
    this.#account = user[0];
    return Promise.resolve(user[0]);
  }

  async scramStart(mechanism: string, clientFirst: string) {
    this.calls.push(`scramStart ${mechanism}`);
    const mech = parseScramMechanism(mechanism);
    if (!mech || mech.plus) throw new SmtpBackendError("BadMechanism", "Cannot log in");
    const server = new ScramServer({
      hash: mech.hash,
      plus: false,
      lookup: async (username, hash) => {
        const user = this.#user(username);
        if (user === undefined) return undefined;
        return await scramCredentialFromPassword(user[1], hash, new Uint8Array(16), 4096);
      },
    });
    try {
      const serverFirst = await server.start(clientFirst);
      const exchange = crypto.randomUUID();
      this.#exchanges.set(exchange, server);
      return { exchange, serverFirst };
    } catch (err) {
      if (err instanceof SaslError) throw new SmtpBackendError(`Sasl${err.code}`, err.message);
      throw err;
    }
  }

  async scramFinish(exchange: string, clientFinal: string) {
    this.calls.push("scramFinish");
    const server = this.#exchanges.get(exchange);
    this.#exchanges.delete(exchange);
    if (!server) throw new SmtpBackendError("AuthFailed", "Cannot log in");
    try {
      const result = await server.finish(clientFinal);
      this.#account = this.#user(result.username)![0];
      return { account: this.#account, serverFinal: result.serverFinal };
    } catch (err) {
      if (err instanceof SaslError) {
        throw new SmtpBackendError(err.code === "Malformed" ? "SaslMalformed" : "AuthFailed", "");
      }
      throw err;
    }
  }

  logout(): Promise<void> {
    this.calls.push("logout");
    this.#account = undefined;
    return Promise.resolve();
  }

  deliver(d: Delivery): Promise<DeliveryOutcome[]> {
    this.calls.push(`deliver ${d.accounts.join(",")}`);
    if (this.options.deliverError) {
      return Promise.reject(new SmtpBackendError(this.options.deliverError, "Cannot deliver"));
    }
    const { message, ...rest } = d;
    this.delivered.push({ ...rest, text: decoder.decode(message) });
    return Promise.resolve(
      d.accounts.map((account) =>
        this.options.full?.includes(account)
          ? { account, error: "OverQuota", message: "Over quota" }
          : { account, uid: ++this.#uid }
      ),
    );
  }
}

/** The fixed clock of the fixtures. */
export const testNow = new Date("2024-01-02T03:04:05Z");

export interface FixtureOptions {
  conn?: TestConnOptions;
  session?: Partial<Omit<SmtpSessionOptions, "backend">>;
  backend?: FakeBackendOptions;
}

export interface Fixture {
  conn: TestConn;
  session: SmtpSession;
  backend: FakeBackend;
  /** Runs a transcript against this fixture. */
  run(script: string): Promise<void>;
  /** Sends raw bytes (not a line). */
  send(text: string | Uint8Array): Promise<void>;
}

export function connected(options: FixtureOptions = {}): Fixture {
  const conn = new TestConn(options.conn);
  const backend = new FakeBackend(options.backend);
  const session = new SmtpSession(conn, {
    protocol: "smtp",
    now: () => testNow,
    ...options.session,
    backend,
  });
  return {
    conn,
    session,
    backend,
    run: (script) => transcript(session, conn, script),
    send: (data) => session.receive(typeof data === "string" ? encoder.encode(data) : data),
  };
}

export async function greeted(options: FixtureOptions = {}): Promise<Fixture> {
  const f = connected(options);
  await f.session.start();
  await f.run("S: 220 mail.example.org");
  return f;
}

/** After EHLO; the capability lines are not checked here. */
export async function ready(options: FixtureOptions = {}): Promise<Fixture> {
  const f = await greeted(options);
  await f.send("EHLO client.example.com\r\n");
  let line;
  while ((line = f.conn.readLine()) !== undefined && line.startsWith("250-"));
  if (line === undefined || !line.startsWith("250 ")) throw new Error(`EHLO failed: ${line}`);
  return f;
}

/** Submission over implicit TLS, logged in as alice. */
export async function authenticated(options: FixtureOptions = {}): Promise<Fixture> {
  const f = await ready({
    ...options,
    conn: { tlsMode: "implicit", tls: testTls, ...options.conn },
    session: { protocol: "submission", ...options.session },
  });
  await f.run(`C: AUTH PLAIN ${plain("alice", "secret")}\nS: 235 2.7.0`);
  return f;
}

/** After MAIL FROM:<from>. */
export async function inMail(f: Fixture, from = "sender@remote.example"): Promise<Fixture> {
  await f.run(`C: MAIL FROM:<${from}>\nS: 250 2.1.0`);
  return f;
}

/** After MAIL and RCPT TO:<bob@example.org>. */
export async function inRcpt(f: Fixture, from?: string, to = "bob@example.org") {
  await inMail(f, from);
  await f.run(`C: RCPT TO:<${to}>\nS: 250 2.1.5`);
  return f;
}

export const testTls = { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", sni: "" };

/** base64 of a PLAIN message. */
export function plain(user: string, password: string, authzid = ""): string {
  return encodeBase64(encoder.encode(`${authzid}\0${user}\0${password}`));
}

export function b64(text: string): string {
  return encodeBase64(encoder.encode(text));
}
