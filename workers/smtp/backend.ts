/**
 * {@linkcode SmtpBackend} over the store's session port: logins and deliveries become
 * store calls, RpcErrors become SmtpBackendErrors with the same code, and the domains
 * configuration is the one the supervisor last sent this worker. Calls are cancelled
 * when the connection goes (`conn.signal`).
 *
 * The inbound verifier is {@linkcode noVerifier} until SPF/DKIM/DMARC land.
 */

import { RpcError } from "../../core/rpc/mod.ts";
import {
  type Delivery,
  type DeliveryOutcome,
  type InboundVerifier,
  noVerifier,
  type SmtpBackend,
  SmtpBackendError,
} from "../../core/smtp/backend.ts";
import type { DomainsConfig } from "../../core/config/domains.ts";
import type { Conn } from "../../core/wire/conn.ts";
import type { StoreLink } from "../_store_link.ts";
import type { SessionRef, SessionStoreApi } from "../store/session_api.ts";

type Api = SessionStoreApi;

export class StoreSmtpBackend implements SmtpBackend {
  #session: SessionRef | undefined;

  constructor(
    readonly conn: Conn,
    readonly link: StoreLink,
    readonly domains: () => DomainsConfig | undefined,
    readonly verifier: InboundVerifier = noVerifier,
  ) {}

  async #call<M extends keyof Api & string>(
    method: M,
    params: Api[M]["params"],
    transfer: Transferable[] = [],
  ): Promise<Api[M]["result"]> {
    try {
      return await this.link.call(method, params, { signal: this.conn.signal, transfer });
    } catch (err) {
      if (err instanceof RpcError) throw new SmtpBackendError(err.code, err.message);
      throw err;
    }
  }

  async login(username: string, password: string): Promise<string> {
    const r = await this.#call("login", {
      cid: this.conn.cid,
      remoteIp: this.conn.remote.address,
      username,
      password,
    });
    this.#session = { token: r.token, cid: this.conn.cid };
    return r.account;
  }

  scramStart(mechanism: string, clientFirst: string, channelBinding?: Uint8Array) {
    return this.#call("scramStart", {
      cid: this.conn.cid,
      remoteIp: this.conn.remote.address,
      mechanism,
      clientFirst,
      ...(channelBinding ? { channelBinding } : {}),
    });
  }

  async scramFinish(exchange: string, clientFinal: string) {
    const r = await this.#call("scramFinish", { exchange, clientFinal });
    this.#session = { token: r.token, cid: this.conn.cid };
    return { account: r.account, serverFinal: r.serverFinal };
  }

  async logout(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session) await this.#call("logout", { session }).catch(() => {});
  }

  async deliver(d: Delivery): Promise<DeliveryOutcome[]> {
    // Transfer when the message owns its whole buffer (DataReader and BDAT make it so).
    const own = d.message.byteOffset === 0 && d.message.byteLength === d.message.buffer.byteLength;
    const r = await this.#call("deliver", {
      cid: this.conn.cid,
      accounts: d.accounts,
      message: d.message,
      ...(d.prefix ? { prefix: d.prefix } : {}),
      facts: d.facts,
      ...(d.mailbox ? { mailbox: d.mailbox } : {}),
    }, own ? [d.message.buffer as ArrayBuffer] : []);
    return r.results;
  }
}
