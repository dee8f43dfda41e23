/**
 * SMTP worker entry (permissions: none). Runs SMTP sessions for connections the
 * supervisor hands over; see workers/protocol.ts.
 */
import { SmtpSession } from "../../core/smtp/session.ts";
import { runProtocolWorker } from "../_protocol_worker.ts";

runProtocolWorker("smtp", (conn) => new SmtpSession(conn));
