/**
 * Recipient resolution against the domains configuration (config/domains.yaml): which
 * local accounts an envelope recipient reaches. Pure: the configuration is an argument.
 *
 * Implementation notes:
 * - Domains compare case-insensitively (RFC 5321 §2.4, RFC 4343), and a U-label domain
 *   equals its A-label form (RFC 5890 §2.3.2.1): both sides are turned into lower-case
 *   A-labels before they are compared.
 * - DEVIATION(RFC 5321 §2.4): local parts are case-sensitive by the RFC, but we look
 *   them up case-insensitively, as the domains configuration already treats two
 *   addresses differing only in case as the same address, and as senders expect.
 * - Order: the exact address (account or alias), then the address without the
 *   local-part separator and what follows it (`alice+tag@` → `alice@`), then the
 *   domain's catch-all account. Anything else in a configured domain is "unknown";
 *   a domain we do not have is "remote" (never relayed on port 25).
 * - Aliases expand recursively to their members, at most {@linkcode maxAliasDepth}
 *   levels deep, each alias at most once (loops end quietly). Members in our domains
 *   resolve like envelope recipients (a member that is unknown is dropped); members
 *   elsewhere are reported in `remote` for the caller to forward or refuse.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-2.4
 */

import { domainToASCII } from "node:url";
import type { DomainsConfig } from "../config/domains.ts";

/** Deepest alias nesting followed; deeper members are dropped. */
export const maxAliasDepth = 10;

/** What an address means here. */
export type Resolution =
  /**
   * Delivered here: `accounts` (no duplicates, never empty unless `remote` is not)
   * and alias members in other domains, `remote` (addresses, lower-cased domains).
   */
  | { kind: "local"; accounts: string[]; remote: string[] }
  /** A configured domain without such an address (and no catch-all). */
  | { kind: "unknown" }
  /** A domain we do not receive mail for. */
  | { kind: "remote" };

interface Index {
  /** Lower-case A-label domain → the domain's settings. */
  domains: Map<string, DomainsConfig["domains"][string]>;
  /** Lower-case address (A-label domain) → account. */
  accounts: Map<string, string>;
  /** Lower-case alias address → its member addresses. */
  aliases: Map<string, readonly string[]>;
}

const indexes = new WeakMap<DomainsConfig, Index>();

/**
 * The lower-case A-label form of `domain`, or "" when it is not a valid domain name
 * (UTS #46 mapping, as the command parser applies to U-labels).
 */
export function asciiDomain(domain: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(domain) && !/(?:^|\.)xn--/i.test(domain)) {
    return domain.toLowerCase();
  }
  return domainToASCII(domain);
}

/** Splits `address` at its last "@" into a lower-case local part and A-label domain. */
function splitAddress(
  address: string,
): { local: string; written: string; domain: string } | undefined {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return undefined;
  const domain = asciiDomain(address.slice(at + 1));
  if (domain === "") return undefined;
  const written = address.slice(0, at);
  return { local: written.toLowerCase(), written, domain };
}

function key(address: string): string {
  const parts = splitAddress(address);
  return parts === undefined ? address.toLowerCase() : `${parts.local}@${parts.domain}`;
}

function indexOf(config: DomainsConfig): Index {
  let index = indexes.get(config);
  if (index !== undefined) return index;
  index = { domains: new Map(), accounts: new Map(), aliases: new Map() };
  for (const [name, domain] of Object.entries(config.domains)) {
    index.domains.set(asciiDomain(name), domain);
  }
  for (const [account, a] of Object.entries(config.accounts)) {
    for (const address of a.addresses) index.accounts.set(key(address), account);
  }
  for (const [alias, a] of Object.entries(config.aliases)) index.aliases.set(key(alias), a.members);
  indexes.set(config, index);
  return index;
}

/** Reports whether we receive mail for `domain` (any case, A- or U-labels). */
export function isLocalDomain(config: DomainsConfig, domain: string): boolean {
  return indexOf(config).domains.has(asciiDomain(domain));
}

interface Walk {
  accounts: Set<string>;
  remote: Set<string>;
  seen: Set<string>;
}

/** Resolves one address into `walk`; returns false when it is unknown here. */
function resolveInto(
  index: Index,
  local: string,
  domain: string,
  walk: Walk,
  depth: number,
): boolean {
  const settings = index.domains.get(domain);
  if (settings === undefined) return false;
  const candidates = [`${local}@${domain}`];
  const sep = settings.localpartSeparator.toLowerCase();
  const cut = sep === "" ? -1 : local.indexOf(sep);
  if (cut > 0) candidates.push(`${local.slice(0, cut)}@${domain}`);
  for (const address of candidates) {
    const account = index.accounts.get(address);
    if (account !== undefined) {
      walk.accounts.add(account);
      return true;
    }
    const members = index.aliases.get(address);
    if (members !== undefined) {
      // A loop or a nesting past the limit adds nothing, but the alias exists.
      if (walk.seen.has(address) || depth >= maxAliasDepth) return true;
      walk.seen.add(address);
      for (const member of members) {
        const parts = splitAddress(member);
        if (parts === undefined) continue;
        // Remote members keep their local part as written (RFC 5321 §2.4).
        if (!index.domains.has(parts.domain)) walk.remote.add(`${parts.written}@${parts.domain}`);
        else resolveInto(index, parts.local, parts.domain, walk, depth + 1);
      }
      return true;
    }
  }
  if (settings.catchAll !== "") {
    walk.accounts.add(settings.catchAll);
    return true;
  }
  return false;
}

/**
 * Resolves the envelope recipient `localPart@domain` (domain in any case, A- or
 * U-labels) against `config`.
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-3.3
 */
export function resolveRecipient(
  config: DomainsConfig,
  localPart: string,
  domain: string,
): Resolution {
  const index = indexOf(config);
  const ascii = asciiDomain(domain);
  if (ascii === "" || !index.domains.has(ascii)) return { kind: "remote" };
  const walk: Walk = { accounts: new Set(), remote: new Set(), seen: new Set() };
  const found = resolveInto(index, localPart.toLowerCase(), ascii, walk, 0);
  if (!found || (walk.accounts.size === 0 && walk.remote.size === 0)) return { kind: "unknown" };
  return { kind: "local", accounts: [...walk.accounts], remote: [...walk.remote] };
}

/**
 * The addresses of `account` as configured (empty for an unknown account): what
 * submission accepts in MAIL FROM and the From header field. Aliases the account is a
 * member of are not included: sending as a list is not allowed.
 */
export function accountAddresses(config: DomainsConfig, account: string): string[] {
  return config.accounts[account]?.addresses.slice() ?? [];
}

/**
 * Reports whether `address` is one of `account`'s addresses, comparing local parts
 * case-insensitively and domains as A-labels.
 */
export function isAccountAddress(config: DomainsConfig, account: string, address: string): boolean {
  const wanted = key(address);
  return accountAddresses(config, account).some((a) => key(a) === wanted);
}
