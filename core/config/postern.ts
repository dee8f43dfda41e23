/**
 * The static configuration, `config/postern.yaml`: read once at start.
 *
 * Contract: `parsePosternConfig(text, file)` validates against `posternSchema`, then
 * checks what one field cannot check alone: listener names are unique, no address is
 * used twice, and a listener with TLS has a certificate to offer (configured or
 * self-signed). Cross-field checks run only when the schema checks passed. Paths stay
 * as written: resolving `dataDir` against the config file's directory is the caller's
 * job (this module does no I/O).
 *
 * @module
 */

import { bool, duration, enumOf, type Infer, int, list, map, obj, size, str } from "./schema.ts";
import { type ConfigProblem, validate, type Validation } from "./validate.ts";
import { type Level, levels } from "../log/mod.ts";

/** Log levels, least to most verbose: the logger's own list. */
export const LOG_LEVELS = levels;

/** A log level. */
export type LogLevel = Level;

/** Host and port of a listen address; `host` without brackets for IPv6. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses "host:port" or "[v6]:port" (port 0 to 65535; 0 asks the system for a free port,
 * which tests use); undefined if malformed.
 */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const v6 = m[1];
  if (v6 !== undefined) return v6.includes(":") ? { host: v6, port } : undefined;
  const host = m[2] ?? "";
  if (/^[\d.]+$/.test(host)) {
    const octets = host.split(".");
    if (octets.length !== 4 || octets.some((o) => o === "" || Number(o) > 255)) return undefined;
  } else if (host.split(".").some((l) => !/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(l))) {
    return undefined;
  }
  return { host, port };
}

const certificate = obj({
  cert: str({ doc: "PEM file with the certificate chain", required: true }),
  key: str({ doc: "PEM file with the private key", required: true }),
  hostnames: list(str({ doc: "Host name", required: true }), {
    doc: "Host names this certificate is for; empty: taken from the certificate",
  }),
}, { doc: "A certificate and its key" });

const listener = obj({
  name: str({
    doc: "Name of this listener, used in logs and metrics",
    required: true,
    check: (v) =>
      /^[a-z][a-z0-9-]*$/.test(v)
        ? undefined
        : "Must start with a lowercase letter and contain only a-z, 0-9 and -",
  }),
  protocol: enumOf(["smtp", "submission", "imap", "http"], {
    doc: "Protocol spoken on this listener",
    required: true,
  }),
  addresses: list(
    str({
      doc: "Listen address",
      required: true,
      check: (v) =>
        parseListenAddress(v)
          ? undefined
          : "Expected host:port or [IPv6]:port with a port from 0 to 65535",
    }),
    { doc: "Addresses to listen on, as host:port or [IPv6]:port", required: true, minItems: 1 },
  ),
  tls: enumOf(["none", "starttls", "implicit"], {
    doc:
      "TLS mode; none: plaintext only; starttls: plaintext with upgrade on request; implicit: TLS from the first byte",
    default: "starttls",
  }),
  idleTimeout: duration({
    doc: "Close a connection after this long without bytes; 0 means limits.idleTimeout",
    default: "0",
  }),
  requireTls: bool({
    doc:
      "smtp: refuse mail until the client has started TLS (RFC 3207 §4); starttls listeners only",
    default: false,
  }),
  pedantic: bool({
    doc:
      "smtp/submission: refuse sloppy-but-common client behaviour (spaces after MAIL FROM:, bare LF, ...), for testing mail software",
    default: false,
  }),
  maxMessageSize: size({
    doc: "smtp/submission: largest message accepted, e.g. 50MB (advertised with SIZE)",
    default: 50 * 1024 * 1024,
  }),
}, { doc: "A listener" });

/** Schema of `config/postern.yaml`. */
export const posternSchema = obj({
  hostname: str({
    doc:
      "This server's host name, used in greetings and Received headers and to choose the default certificate",
    default: "localhost",
  }),
  dataDir: str({
    doc: "Data directory; relative paths are relative to the config file's directory",
    default: "data",
  }),
  controlSocket: str({
    doc: "Unix socket for `postern stop` and admin commands; empty means <dataDir>/control.sock",
    default: "",
  }),
  log: obj({
    level: enumOf(LOG_LEVELS, { doc: "Log level of all packages", default: "info" }),
    packages: map(enumOf(LOG_LEVELS, { doc: "Log level of a package", default: "info" }), {
      doc: "Per-package levels overriding log.level",
      example: { smtp: "debug" },
    }),
  }, { doc: "Logging" }),
  tls: obj({
    certificates: list(certificate, {
      doc: "Certificates to offer, chosen by SNI host name",
      example: [{
        cert: "tls/mail.example.org.pem",
        key: "tls/mail.example.org.key.pem",
        hostnames: ["mail.example.org"],
      }],
    }),
    selfSigned: bool({
      doc:
        "Generate (and keep in the data directory) a self-signed certificate for hostname when no configured certificate matches; for localserve and testing",
      default: false,
    }),
    minVersion: enumOf(["TLSv1.2", "TLSv1.3"], {
      doc: "Oldest TLS version accepted",
      default: "TLSv1.2",
    }),
  }, { doc: "TLS certificates and settings for all listeners" }),
  listeners: list(listener, {
    doc: "Sockets to accept connections on",
    example: [{
      name: "smtp",
      protocol: "smtp",
      addresses: ["0.0.0.0:25", "[::]:25"],
      tls: "starttls",
      idleTimeout: 0,
      requireTls: false,
      pedantic: false,
      maxMessageSize: 50 * 1024 * 1024,
    }],
  }),
  limits: obj({
    maxConnections: int({
      doc: "Connections across all listeners",
      min: 1,
      default: 2000,
    }),
    perIpConnections: int({
      doc: "Concurrent connections from one IPv4 address or IPv6 /64",
      min: 1,
      default: 20,
    }),
    perIpRatePerMinute: int({
      doc: "New connections per minute from one IPv4 address or IPv6 /64",
      min: 1,
      default: 120,
    }),
    idleTimeout: duration({
      doc: "Close a connection after this long without bytes in either direction",
      default: "5m",
    }),
    sessionTimeout: duration({ doc: "Close any connection after this long", default: "1h" }),
  }, { doc: "Connection limits" }),
  workers: obj({
    smtp: int({
      doc: "SMTP worker threads; 0 means the number of CPU cores",
      min: 0,
      default: 0,
    }),
    imap: int({
      doc: "IMAP worker threads; 0 means the number of CPU cores",
      min: 0,
      default: 0,
    }),
    http: int({ doc: "HTTP worker threads", min: 0, default: 1 }),
    heartbeat: duration({
      doc: "A worker that does not answer a ping for this long is replaced",
      default: "5s",
    }),
  }, { doc: "Worker pools" }),
  shutdown: obj({
    deadline: duration({
      doc:
        "On SIGTERM/SIGINT/`postern stop`, how long sessions get to finish before the server exits",
      default: "10s",
    }),
  }, { doc: "Graceful shutdown" }),
}, { doc: "Postern static configuration (config/postern.yaml), read at start" });

/** The static configuration; durations in milliseconds. */
export type PosternConfig = Infer<typeof posternSchema>;

/** Validates `text` (read from `file`) as `config/postern.yaml`, with cross-field checks. */
export function parsePosternConfig(text: string, file: string): Validation<PosternConfig> {
  const result = validate(posternSchema, text, file);
  if (!result.value) return result;
  const problems = crossCheck(result.value, file, result.lineOf);
  return problems.length === 0 ? result : { value: undefined, problems, lineOf: result.lineOf };
}

function crossCheck(
  config: PosternConfig,
  file: string,
  lineOf: (field: string) => number,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const report = (field: string, message: string) =>
    problems.push({ file, line: lineOf(field), field, message });
  const names = new Map<string, string>();
  const addresses = new Map<string, string>();
  const hasCertificate = config.tls.certificates.length > 0 || config.tls.selfSigned;
  config.listeners.forEach((l, i) => {
    const at = `listeners[${i}]`;
    const first = names.get(l.name);
    if (first !== undefined) {
      report(`${at}.name`, `Duplicate listener name; first used on line ${lineOf(first)}`);
    } else names.set(l.name, `${at}.name`);
    l.addresses.forEach((text, j) => {
      const a = parseListenAddress(text);
      const key = a && (a.host.includes(":") ? `[${a.host.toLowerCase()}]` : a.host.toLowerCase());
      const owner = addresses.get(`${key}:${a?.port}`);
      // Port 0 means "any free port": never a clash.
      if (owner !== undefined && a?.port !== 0) {
        report(`${at}.addresses[${j}]`, `Address already used by listener ${owner}`);
      } else addresses.set(`${key}:${a?.port}`, l.name);
    });
    if (l.tls !== "none" && !hasCertificate) {
      report(
        `${at}.tls`,
        `TLS (${l.tls}) needs a certificate: set tls.certificates or tls.selfSigned: true`,
      );
    }
    if (l.protocol === "http" && l.tls === "starttls") {
      report(`${at}.tls`, "HTTP has no STARTTLS: use tls: none or implicit");
    }
  });
  return problems;
}
