/**
 * Certificates and TLS contexts for every TLS listener and STARTTLS upgrade. The
 * supervisor is the only holder of private keys.
 *
 * A certificate serves the host names listed in config, or else those in its
 * subjectAltName (and CN when it has no SAN). SNI selection: exact name, then a
 * `*.parent` wildcard, then the certificate for the configured hostname, then the first
 * one (RFC 6066 §3: a server that has no match may continue with its default).
 *
 * With `tls.selfSigned`, a self-signed certificate for hostname and localhost is
 * generated once (npm:selfsigned, which uses WebCrypto) and kept under <data>/tls/.
 */

import { X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import selfsigned from "selfsigned";
import type { TlsFacts } from "../protocol.ts";

export interface CertificateConfig {
  cert: string;
  key: string;
  hostnames: string[];
}

export interface TlsConfig {
  certificates: CertificateConfig[];
  selfSigned: boolean;
  minVersion: "TLSv1.2" | "TLSv1.3";
}

interface Entry {
  names: string[];
  context: tls.SecureContext;
}

/** Host names a PEM certificate is valid for, from subjectAltName or else the CN. */
export function certificateNames(pem: string): string[] {
  const cert = new X509Certificate(pem);
  const san = cert.subjectAltName;
  if (san) {
    return san.split(/,\s*/).filter((s) => s.startsWith("DNS:")).map((s) =>
      s.slice(4).toLowerCase()
    );
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

export class CertStore {
  #entries: Entry[] = [];
  #byName = new Map<string, Entry>();
  #default: Entry | undefined;

  private constructor(readonly hostname: string, readonly minVersion: tls.SecureVersion) {}

  /**
   * Loads the configured certificates (paths relative to `baseDir`) and, when enabled,
   * the self-signed one.
   * @throws Error naming the file when a certificate or key cannot be read or used
   */
  static async load(config: TlsConfig, baseDir: string, dataDir: string, hostname: string) {
    const store = new CertStore(hostname.toLowerCase(), config.minVersion);
    for (const [i, c] of config.certificates.entries()) {
      const certPath = resolvePath(baseDir, c.cert);
      const keyPath = resolvePath(baseDir, c.key);
      const cert = await readPem(certPath, `tls.certificates[${i}].cert`);
      const key = await readPem(keyPath, `tls.certificates[${i}].key`);
      try {
        store.add(cert, key, c.hostnames);
      } catch (err) {
        throw new Error(
          `Cannot use certificate ${certPath} with key ${keyPath}: ${(err as Error).message}`,
        );
      }
    }
    if (config.selfSigned && !store.#byName.has(store.hostname)) {
      const { cert, key } = await selfSignedFor(store.hostname, `${dataDir}/tls`);
      store.add(cert, key, []);
    }
    return store;
  }

  /** Whether any certificate is loaded (TLS listeners need one). */
  get empty(): boolean {
    return this.#entries.length === 0;
  }

  /** Adds a PEM certificate chain and key for `hostnames` (empty: from the certificate). */
  add(certPem: string, keyPem: string, hostnames: string[]): void {
    const names = hostnames.length > 0
      ? hostnames.map((h) => h.toLowerCase())
      : certificateNames(certPem);
    const context = tls.createSecureContext({
      cert: certPem,
      key: keyPem,
      minVersion: this.minVersion,
    });
    const entry = { names, context };
    this.#entries.push(entry);
    for (const name of names) if (!this.#byName.has(name)) this.#byName.set(name, entry);
    if (names.includes(this.hostname)) this.#default ??= entry;
  }

  /** The context to use for an SNI name ("" when the client sent none). */
  contextFor(servername: string): tls.SecureContext {
    const name = servername.toLowerCase().replace(/\.$/, "");
    const entry = this.#byName.get(name) ??
      this.#byName.get("*." + name.slice(name.indexOf(".") + 1)) ??
      this.#default ?? this.#entries[0];
    if (!entry) throw new Error("Cannot start TLS: no certificate configured");
    return entry.context;
  }

  /**
   * Starts a server-side TLS session on `socket` and resolves when the handshake is
   * done. `timeoutMs` bounds the handshake.
   */
  handshake(
    socket: import("node:net").Socket,
  ): Promise<{ socket: tls.TLSSocket; facts: TlsFacts }> {
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: this.contextFor(""),
      SNICallback: (servername, cb) => {
        try {
          cb(null, this.contextFor(servername));
        } catch (err) {
          cb(err as Error, undefined);
        }
      },
    });
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        secure.off("secure", done);
        reject(err);
      };
      const done = () => {
        secure.off("error", fail);
        const servername = (secure as unknown as { servername?: string | false }).servername;
        resolve({
          socket: secure,
          facts: {
            version: secure.getProtocol() ?? "",
            cipher: secure.getCipher()?.name ?? "",
            sni: typeof servername === "string" ? servername : "",
          },
        });
      };
      secure.once("secure", done);
      secure.once("error", fail);
      secure.once("close", () => fail(new Error("Cannot complete TLS handshake: closed")));
    });
  }
}

function resolvePath(baseDir: string, path: string): string {
  return path.startsWith("/") ? path : `${baseDir}/${path}`;
}

async function readPem(path: string, field: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`Cannot read ${field} ${path}: ${(err as Error).message}`);
  }
}

/** Reads, or creates once, the self-signed certificate for `hostname` in `dir`. */
async function selfSignedFor(
  hostname: string,
  dir: string,
): Promise<{ cert: string; key: string }> {
  const certPath = `${dir}/selfsigned-${hostname}.crt`;
  const keyPath = `${dir}/selfsigned-${hostname}.key`;
  try {
    return { cert: await Deno.readTextFile(certPath), key: await Deno.readTextFile(keyPath) };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const pems = await generateSelfSigned([hostname, "localhost"]);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first, with its final mode, so a crash never leaves a certificate without key.
  await Deno.writeTextFile(keyPath, pems.key, { mode: 0o600 });
  await Deno.writeTextFile(certPath, pems.cert);
  return pems;
}

/** A fresh self-signed certificate (ECDSA P-256, one year) for `names` and loopback IPs. */
export async function generateSelfSigned(names: string[]): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: "commonName", value: names[0] ?? "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [{
      name: "subjectAltName",
      altNames: [
        ...names.map((value) => ({ type: 2 as const, value })),
        { type: 7 as const, ip: "127.0.0.1" },
        { type: 7 as const, ip: "::1" },
      ],
    }],
  });
  return { cert: pems.cert, key: pems.private };
}
