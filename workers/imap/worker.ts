/**
 * IMAP worker entry (permissions: none). Runs IMAP sessions for connections the
 * supervisor hands over (workers/protocol.ts), with the store reached through the
 * worker's session port (workers/_store_link.ts).
 */
import { ImapSession } from "../../core/imap/session.ts";
import { runProtocolWorker } from "../_protocol_worker.ts";
import { StoreBackend } from "./backend.ts";

runProtocolWorker("imap", (conn, store) => new ImapSession(conn, new StoreBackend(conn, store)));
