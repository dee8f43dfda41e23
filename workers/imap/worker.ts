/**
 * IMAP worker entry (permissions: none). Runs IMAP sessions for connections the
 * supervisor hands over; see workers/protocol.ts.
 */
import { ImapSession } from "../../core/imap/session.ts";
import { runProtocolWorker } from "../_protocol_worker.ts";

runProtocolWorker("imap", (conn) => new ImapSession(conn));
