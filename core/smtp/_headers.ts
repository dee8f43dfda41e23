/**
 * Header fields the SMTP server writes or checks: the Received trace field (RFC 5321
 * §4.4), the RFC 5322 date, and for submission the From addresses and whether Date
 * and Message-ID are present (RFC 6409 §8).
 *
 * Implementation notes:
 * - The message reached us through DataReader or BDAT; lines end in CRLF (DATA refuses
 *   anything else). The header section ends at the first empty line.
 * - From addresses are read with a small RFC 5322 §3.4 tokenizer: quoted strings and
 *   comments are skipped, an angle-addr wins over the display name, groups are
 *   flattened. It extracts addresses; it does not validate the whole field.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.4
 */

import type { TlsFacts } from "../wire/conn.ts";
import type { Host } from "./command.ts";

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const two = (n: number) => String(n).padStart(2, "0");

/** RFC 5322 §3.3 date-time in UTC, e.g. "Tue, 1 Jan 2024 09:05:00 +0000". */
export function rfc5322Date(d: Date): string {
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ` +
    `${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:` +
    `${two(d.getUTCSeconds())} +0000`;
}

/** RFC 5321 §4.1.3 address-literal for an IP address as the runtime reports it. */
export function addressLiteral(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return `[${v4[1]}]`;
  return ip.includes(":") ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** A host as written in SMTP: a domain (A- or U-labels) or an address literal. */
export function hostText(host: Host, form: "ascii" | "unicode" = "ascii"): string {
  if (host.kind === "domain") return form === "ascii" ? host.ascii : host.unicode;
  return host.kind === "ipv6" ? `[IPv6:${host.address}]` : `[${host.address}]`;
}

/** What a Received field says. */
export interface ReceivedInfo {
  /** The EHLO/HELO host. */
  helo: Host;
  remoteIp: string;
  hostname: string;
  /** RFC 3848 / RFC 6531 §3.7.3 WITH protocol, e.g. "ESMTPS". */
  protocol: string;
  id: string;
  /** The recipient path, only when the message has exactly one (privacy). */
  for?: string;
  tls: TlsFacts | undefined;
  date: Date;
}

/**
 * RFC 5321 §4.4 Time-stamp-line, folded, CRLF-terminated:
 * `Received: from <helo> (<ip>) by <host> with <protocol> id <id> [for <path>]; <date>`,
 * with the TLS version and cipher as a comment (RFC 8314 §4.3).
 */
export function receivedHeader(r: ReceivedInfo): string {
  const lines = [
    `Received: from ${hostText(r.helo)} (${addressLiteral(r.remoteIp)})`,
    `\tby ${r.hostname} (Postern) with ${r.protocol} id ${r.id}`,
  ];
  if (r.tls !== undefined) lines.push(`\t(using ${r.tls.version} with cipher ${r.tls.cipher})`);
  const date = rfc5322Date(r.date);
  if (r.for !== undefined) lines.push(`\tfor <${r.for}>; ${date}`);
  else lines[lines.length - 1] += `; ${date}`;
  return lines.join("\r\n") + "\r\n";
}

/**
 * RFC 3848 §2 / RFC 6531 §3.7.3 WITH protocol: SMTP after HELO, ESMTP after EHLO,
 * "S" with TLS, "A" when authenticated; UTF8SMTP* for SMTPUTF8 transactions.
 */
export function withProtocol(o: { esmtp: boolean; tls: boolean; auth: boolean; utf8: boolean }) {
  if (!o.esmtp) return "SMTP";
  return `${o.utf8 ? "UTF8SMTP" : "ESMTP"}${o.tls ? "S" : ""}${o.auth ? "A" : ""}`;
}

/** The fields of the header section: names lower case, values unfolded. */
export function headerFields(message: Uint8Array): { name: string; value: string }[] {
  let end = 0;
  for (;;) {
    const lf = message.indexOf(0x0a, end);
    if (lf < 0) {
      end = message.length;
      break;
    }
    const lineEnd = lf > 0 && message[lf - 1] === 0x0d ? lf - 1 : lf;
    if (lineEnd === end) break; // the empty line
    end = lf + 1;
  }
  const text = new TextDecoder().decode(message.subarray(0, end));
  const fields: { name: string; value: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    if ((line[0] === " " || line[0] === "\t") && fields.length > 0) {
      fields[fields.length - 1]!.value += line; // RFC 5322 §2.2.3 unfolding
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1) });
  }
  return fields;
}

/** The addr-specs of an RFC 5322 §3.4 address-list (From, To), in order. */
export function addresses(value: string): string[] {
  const out: string[] = [];
  let bare = "";
  let angle: string | undefined;
  const flush = () => {
    const address = (angle ?? bare).trim().replace(/^(?:@[^:]*:)/, ""); // obs-route
    if (address !== "") out.push(address);
    bare = "";
    angle = undefined;
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') {
      // A quoted string: part of a display name, or a quoted local part.
      let j = i + 1;
      while (j < value.length && value[j] !== '"') j += value[j] === "\\" ? 2 : 1;
      bare += value.slice(i, j + 1);
      i = j;
    } else if (c === "(") {
      let depth = 1;
      let j = i + 1;
      for (; j < value.length && depth > 0; j++) {
        if (value[j] === "\\") j++;
        else if (value[j] === "(") depth++;
        else if (value[j] === ")") depth--;
      }
      i = j - 1;
    } else if (c === "<") {
      const close = value.indexOf(">", i);
      angle = value.slice(i + 1, close < 0 ? value.length : close);
      i = close < 0 ? value.length : close;
    } else if (c === "," || c === ";") {
      flush();
    } else if (c === ":" && angle === undefined && !bare.includes("@")) {
      bare = ""; // a group's display name
    } else {
      bare += c;
    }
  }
  flush();
  return out;
}
