/**
 * SMTP worker entry (permissions: none). Runs SMTP sessions for connections the
 * supervisor hands over (see workers/protocol.ts): port 25 delivery on "smtp"
 * listeners, message submission on "submission" listeners.
 */
import { SmtpSession } from "../../core/smtp/session.ts";
import { runProtocolWorker } from "../_protocol_worker.ts";
import { StoreSmtpBackend } from "./backend.ts";

runProtocolWorker("smtp", (conn, store, context) =>
  new SmtpSession(conn, {
    protocol: context.protocol === "submission" ? "submission" : "smtp",
    requireTls: context.settings.requireTls,
    pedantic: context.settings.pedantic,
    maxMessageSize: context.settings.maxMessageSize,
    backend: new StoreSmtpBackend(conn, store, context.domains),
  }));
