/**
 * The dynamic configuration, `config/domains.yaml`: domains, accounts, aliases.
 *
 * Contract: `parseDomainsConfig(text, file)` validates against `domainsSchema`, then
 * checks across fields: every account and alias address is a valid address in a
 * configured domain, an address belongs to at most one account and is not also an
 * alias, and a catch-all names an existing account. Cross-field checks run only when
 * the schema checks passed.
 *
 * Normalization: domains compare case-insensitively and are stored lowercase, both as
 * `domains` keys and in the domain part of addresses (local parts are kept as written,
 * but two addresses differing only in case are reported as the same address).
 *
 * @module
 */

import { bool, type Infer, int, list, map, obj, size, str } from "./schema.ts";
import { type ConfigProblem, validate, type Validation } from "./validate.ts";

// RFC 5321 §4.1.2: Dot-string = Atom *("." Atom), Atom = 1*atext (RFC 5322 §3.2.3).
// DEVIATION(RFC 5321 §4.1.2): quoted-string local parts are not accepted in config.
const DOT_STRING = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** Whether `name` is a DNS domain name of LDH labels (RFC 1035 §2.3.1, RFC 1123 §2.1). */
export function isDomainName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((l) =>
    l.length <= 63 && /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(l)
  );
}

/** Splits `localpart@domain` (RFC 5321 §4.1.2 Mailbox, dot-string only; §4.5.3.1.1 64 octets). */
export function parseAddress(text: string): { localpart: string; domain: string } | undefined {
  const at = text.lastIndexOf("@");
  if (at < 0) return undefined;
  const localpart = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (localpart.length > 64 || !DOT_STRING.test(localpart) || !isDomainName(domain)) {
    return undefined;
  }
  return { localpart, domain };
}

const domainKey = (key: string) =>
  isDomainName(key) ? undefined : "Expected a domain name like example.org";
const accountKey = (key: string) =>
  /^[a-z0-9][a-z0-9._-]*$/.test(key)
    ? undefined
    : "Account names start with a lowercase letter or digit and contain only a-z, 0-9, ., _ and -";
const addressCheck = (v: string) =>
  parseAddress(v) ? undefined : "Expected an address like alice@example.org";

/** Schema of `config/domains.yaml`. */
export const domainsSchema = obj({
  domains: map(
    obj({
      description: str({ doc: "Description, for admins", default: "" }),
      localpartSeparator: str({
        doc:
          "Mail to alice+anything@ goes to alice@; the separator, or empty to disable subaddressing",
        default: "+",
      }),
      catchAll: str({
        doc: "Account receiving mail for unknown local parts; empty: reject them",
        default: "",
      }),
    }, { doc: "A domain" }),
    {
      doc: "Domains this server accepts mail for, keyed by domain name",
      keyCheck: domainKey,
      example: { "example.org": { description: "", localpartSeparator: "+", catchAll: "" } },
    },
  ),
  accounts: map(
    obj({
      fullName: str({ doc: "Full name of the account holder", default: "" }),
      addresses: list(
        str({ doc: "Address", required: true, check: addressCheck }),
        {
          doc: "Addresses delivered to this account",
          required: true,
          minItems: 1,
        },
      ),
      quotaSize: size({
        doc: "Most octets of mail the account may keep, e.g. 5GB; 0 means no limit",
        default: 0,
      }),
      quotaMessages: int({
        doc: "Most messages the account may keep; 0 means no limit",
        min: 0,
        default: 0,
      }),
    }, { doc: "An account" }),
    {
      doc: "Accounts, keyed by account name",
      keyCheck: accountKey,
      example: {
        alice: { fullName: "", addresses: ["alice@example.org"], quotaSize: 0, quotaMessages: 0 },
      },
    },
  ),
  aliases: map(
    obj({
      members: list(
        str({ doc: "Address", required: true, check: addressCheck }),
        { doc: "Addresses that receive mail sent to the alias", required: true, minItems: 1 },
      ),
      listMembers: bool({ doc: "Whether members may see each other", default: false }),
    }, { doc: "An alias" }),
    {
      doc: "Aliases delivering to several addresses, keyed by the alias address",
      keyCheck: addressCheck,
      example: { "team@example.org": { members: ["alice@example.org"], listMembers: false } },
    },
  ),
}, { doc: "Postern domains, accounts and aliases (config/domains.yaml), changed at run time" });

/** The dynamic configuration. */
export type DomainsConfig = Infer<typeof domainsSchema>;

/** Validates `text` (read from `file`) as `config/domains.yaml`, with cross-field checks. */
export function parseDomainsConfig(text: string, file: string): Validation<DomainsConfig> {
  const result = validate(domainsSchema, text, file);
  if (!result.value) return result;
  const { lineOf } = result;
  const problems: ConfigProblem[] = [];
  const report = (field: string, message: string) =>
    problems.push({ file, line: lineOf(field), field, message });
  const written = result.value; // as written: its keys name the fields in problems
  const config = normalize(written, report);
  const owners = new Map<string, string>(); // lowercased address → field path of first use
  const claim = (address: string, field: string) => {
    const parsed = parseAddress(address);
    if (!parsed) return report(field, "Expected an address like alice@example.org");
    if (!Object.hasOwn(config.domains, parsed.domain.toLowerCase())) {
      return report(field, `Domain ${parsed.domain} is not configured in domains`);
    }
    const key = address.toLowerCase();
    const first = owners.get(key);
    if (first === undefined) owners.set(key, field);
    else report(field, `Address already used by ${first} on line ${lineOf(first)}`);
  };
  for (const [name, account] of Object.entries(written.accounts)) {
    account.addresses.forEach((a, i) =>
      claim(a, `accounts.${JSON.stringify(name)}.addresses[${i}]`)
    );
  }
  for (const alias of Object.keys(written.aliases)) {
    claim(alias, `aliases.${JSON.stringify(alias)}`);
  }
  for (const [domain, d] of Object.entries(written.domains)) {
    if (d.catchAll !== "" && !Object.hasOwn(config.accounts, d.catchAll)) {
      report(`domains.${JSON.stringify(domain)}.catchAll`, `No account named ${d.catchAll}`);
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return problems.length === 0
    ? { value: config, problems, lineOf }
    : { value: undefined, problems, lineOf };
}

/** Lowercases domains; reports domains that are the same but for case. */
function normalize(
  config: DomainsConfig,
  report: (field: string, message: string) => void,
): DomainsConfig {
  const lowerDomain = (address: string) => {
    const at = address.lastIndexOf("@");
    return at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
  };
  const domains: DomainsConfig["domains"] = {};
  const firstSpelling = new Map<string, string>();
  for (const [name, d] of Object.entries(config.domains)) {
    const lower = name.toLowerCase();
    const first = firstSpelling.get(lower);
    if (first !== undefined) {
      report(`domains.${JSON.stringify(name)}`, `Same domain as ${first}; domains ignore case`);
    }
    firstSpelling.set(lower, name);
    domains[lower] = d;
  }
  const accounts = Object.fromEntries(
    Object.entries(config.accounts).map((
      [name, a],
    ) => [name, { ...a, addresses: a.addresses.map(lowerDomain) }]),
  );
  const aliases = Object.fromEntries(
    Object.entries(config.aliases).map((
      [addr, a],
    ) => [lowerDomain(addr), { ...a, members: a.members.map(lowerDomain) }]),
  );
  return { domains, accounts, aliases };
}
