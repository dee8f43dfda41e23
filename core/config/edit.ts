/**
 * Edits the text of `config/domains.yaml` for admin commands, keeping the user's
 * comments and formatting.
 *
 * Contract: `editDomains(text, file, edit)` is pure. It returns the new text, which
 * always passes `parseDomainsConfig`, or throws an `EditError` whose `code` says why:
 * `NotFound` (the domain, account, alias, address or member is not there), `Exists`
 * (already there, or the address is used elsewhere), `InUse` (still referred to),
 * `LastItem` (an account needs an address, an alias a member) or `Invalid` (the input
 * or the result fails validation; `problems` holds the validator's problems).
 *
 * Matching follows `parseDomainsConfig`: domains compare case-insensitively and are
 * written lowercase, addresses compare case-insensitively (their domain part is written
 * lowercase), account names compare exactly. New entries are appended at the end of their
 * map; a missing or empty top-level map is created in block style. Comments and
 * formatting of untouched entries are kept as written (yaml's Document API), except that
 * yaml re-renders flow collections, which are written without padding: `[a, b]`.
 *
 * @module
 */

import { type Document, isMap, isScalar, parseDocument, type YAMLMap } from "yaml";
import { parseAddress, parseDomainsConfig } from "./domains.ts";
import { type ConfigProblem, formatProblem } from "./validate.ts";

/** One admin edit of `config/domains.yaml`. */
export type DomainsEdit =
  | { op: "addDomain"; domain: string }
  /** Refused (`InUse`) while an account address, alias or alias member is in the domain. */
  | { op: "removeDomain"; domain: string }
  /** The address's domain must be configured (`NotFound`). */
  | { op: "addAccount"; account: string; address: string; fullName?: string }
  /** Refused (`InUse`) while a domain names the account as its catch-all. */
  | { op: "removeAccount"; account: string }
  | { op: "addAddress"; account: string; address: string }
  /** Refused (`LastItem`) for an account's last address. */
  | { op: "removeAddress"; address: string }
  | { op: "addAlias"; alias: string; members: string[] }
  | { op: "removeAlias"; alias: string }
  | { op: "addAliasMember"; alias: string; member: string }
  /** Refused (`LastItem`) for an alias's last member. */
  | { op: "removeAliasMember"; alias: string; member: string };

/** Why an edit was refused. */
export type EditErrorCode = "NotFound" | "Exists" | "InUse" | "LastItem" | "Invalid";

/** An edit that was refused; `problems` is set for `Invalid`. */
export class EditError extends Error {
  readonly code: EditErrorCode;
  readonly problems?: ConfigProblem[];

  constructor(code: EditErrorCode, message: string, problems?: ConfigProblem[]) {
    super(message);
    this.name = "EditError";
    this.code = code;
    if (problems !== undefined) this.problems = problems;
  }
}

type Section = "domains" | "accounts" | "aliases";

/** An address with its domain part lowercased; the input unchanged if it has no `@`. */
function normalAddress(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
}

/** Key for comparing addresses: the whole address lowercased (as `parseDomainsConfig`). */
const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function domainOf(address: string): string | undefined {
  return parseAddress(address)?.domain.toLowerCase();
}

/** A plain-object view of the file, read defensively (the file may be invalid). */
class View {
  readonly data: Record<string, unknown>;

  constructor(readonly doc: Document) {
    const js: unknown = doc.toJS();
    this.data = isRecord(js) ? js : {};
  }

  section(name: Section): Record<string, unknown> {
    const s = this.data[name];
    return isRecord(s) ? s : {};
  }

  /** The key as written of the entry matching `key` (by `same`), if any. */
  find(name: Section, key: string, same: (a: string, b: string) => boolean): string | undefined {
    return Object.keys(this.section(name)).find((k) => same(k, key));
  }

  strings(name: Section, key: string, field: string): string[] {
    const entry = this.section(name)[key];
    const list = isRecord(entry) ? entry[field] : undefined;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : [];
  }

  /** Account addresses and alias keys, with where they are used. */
  *claimed(): Iterable<[address: string, owner: string]> {
    for (const account of Object.keys(this.section("accounts"))) {
      for (const a of this.strings("accounts", account, "addresses")) {
        yield [a, `account ${account}`];
      }
    }
    for (const alias of Object.keys(this.section("aliases"))) yield [alias, `alias ${alias}`];
  }

  ownerOf(address: string): string | undefined {
    for (const [a, owner] of this.claimed()) if (sameAddress(a, address)) return owner;
    return undefined;
  }

  hasDomain(domain: string): boolean {
    return this.find("domains", domain, sameDomain) !== undefined;
  }
}

const sameDomain = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const sameName = (a: string, b: string) => a === b;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Appends `key: value` to the top-level map `name`, creating it (block style) if needed. */
function append(doc: Document, name: Section, key: string, value: unknown): void {
  const node = doc.get(name, true);
  if (isScalar(node) && node.value === null) {
    // `name:` with nothing after it (entries commented out): replace with a map, moving
    // the commented-out entries above the new one.
    const map = doc.createNode({}) as YAMLMap;
    if (node.comment) map.commentBefore = node.comment;
    doc.set(name, map);
  } else if (isMap(node) && node.flow && node.items.length === 0) {
    node.flow = false; // `name: {}`
  }
  doc.setIn([name, key], doc.createNode(value));
}

function requireDomain(view: View, address: string, action: string): void {
  const domain = domainOf(address);
  // An unparsable address is left to the validator, which reports it with its line.
  if (domain !== undefined && !view.hasDomain(domain)) {
    throw new EditError("NotFound", `Cannot ${action}: domain ${domain} is not configured`);
  }
}

function requireFree(view: View, address: string, action: string): void {
  const owner = view.ownerOf(address);
  if (owner !== undefined) {
    throw new EditError("Exists", `Cannot ${action}: ${address} is already used by ${owner}`);
  }
}

function apply(view: View, edit: DomainsEdit): void {
  const doc = view.doc;
  switch (edit.op) {
    case "addDomain": {
      const domain = edit.domain.toLowerCase();
      if (view.hasDomain(domain)) {
        throw new EditError("Exists", `Cannot add domain: ${domain} already exists`);
      }
      append(doc, "domains", domain, { description: "", localpartSeparator: "+", catchAll: "" });
      return;
    }
    case "removeDomain": {
      const key = view.find("domains", edit.domain, sameDomain);
      if (key === undefined) {
        throw new EditError("NotFound", `Cannot remove domain: no domain ${edit.domain}`);
      }
      const inDomain = (a: string) => domainOf(a) === key.toLowerCase();
      const users = [...view.claimed()].filter(([a]) => inDomain(a)).map(([, owner]) => owner);
      for (const alias of Object.keys(view.section("aliases"))) {
        if (view.strings("aliases", alias, "members").some(inDomain)) users.push(`alias ${alias}`);
      }
      if (users.length > 0) {
        const names = [...new Set(users)].join(", ");
        throw new EditError("InUse", `Cannot remove domain: ${key} is used by ${names}`);
      }
      doc.deleteIn(["domains", key]);
      return;
    }
    case "addAccount": {
      const action = "add account";
      if (view.find("accounts", edit.account, sameName) !== undefined) {
        throw new EditError("Exists", `Cannot ${action}: ${edit.account} already exists`);
      }
      requireDomain(view, edit.address, action);
      requireFree(view, edit.address, action);
      append(doc, "accounts", edit.account, {
        fullName: edit.fullName ?? "",
        addresses: [normalAddress(edit.address)],
        quotaSize: 0,
        quotaMessages: 0,
      });
      return;
    }
    case "removeAccount": {
      const key = view.find("accounts", edit.account, sameName);
      if (key === undefined) {
        throw new EditError("NotFound", `Cannot remove account: no account ${edit.account}`);
      }
      const catchAlls = Object.entries(view.section("domains"))
        .filter(([, d]) => isRecord(d) && d.catchAll === key).map(([name]) => name);
      if (catchAlls.length > 0) {
        throw new EditError(
          "InUse",
          `Cannot remove account: ${key} is the catch-all of ${catchAlls.join(", ")}`,
        );
      }
      doc.deleteIn(["accounts", key]);
      return;
    }
    case "addAddress": {
      const action = "add address";
      const key = view.find("accounts", edit.account, sameName);
      if (key === undefined) {
        throw new EditError("NotFound", `Cannot ${action}: no account ${edit.account}`);
      }
      requireDomain(view, edit.address, action);
      requireFree(view, edit.address, action);
      doc.addIn(["accounts", key, "addresses"], normalAddress(edit.address));
      return;
    }
    case "removeAddress": {
      for (const account of Object.keys(view.section("accounts"))) {
        const addresses = view.strings("accounts", account, "addresses");
        const i = addresses.findIndex((a) => sameAddress(a, edit.address));
        if (i < 0) continue;
        if (addresses.length === 1) {
          throw new EditError(
            "LastItem",
            `Cannot remove address: ${edit.address} is the last address of account ${account}`,
          );
        }
        doc.deleteIn(["accounts", account, "addresses", i]);
        return;
      }
      throw new EditError("NotFound", `Cannot remove address: no account has ${edit.address}`);
    }
    case "addAlias": {
      const action = "add alias";
      requireFree(view, edit.alias, action);
      requireDomain(view, edit.alias, action);
      append(doc, "aliases", normalAddress(edit.alias), {
        members: edit.members.map(normalAddress),
        listMembers: false,
      });
      return;
    }
    case "removeAlias": {
      const key = view.find("aliases", edit.alias, sameAddress);
      if (key === undefined) {
        throw new EditError("NotFound", `Cannot remove alias: no alias ${edit.alias}`);
      }
      doc.deleteIn(["aliases", key]);
      return;
    }
    case "addAliasMember": {
      const key = view.find("aliases", edit.alias, sameAddress);
      if (key === undefined) {
        throw new EditError("NotFound", `Cannot add alias member: no alias ${edit.alias}`);
      }
      if (view.strings("aliases", key, "members").some((m) => sameAddress(m, edit.member))) {
        throw new EditError(
          "Exists",
          `Cannot add alias member: ${edit.member} is already a member of ${key}`,
        );
      }
      doc.addIn(["aliases", key, "members"], normalAddress(edit.member));
      return;
    }
    case "removeAliasMember": {
      const action = "remove alias member";
      const key = view.find("aliases", edit.alias, sameAddress);
      if (key === undefined) {
        throw new EditError("NotFound", `Cannot ${action}: no alias ${edit.alias}`);
      }
      const members = view.strings("aliases", key, "members");
      const i = members.findIndex((m) => sameAddress(m, edit.member));
      if (i < 0) {
        throw new EditError("NotFound", `Cannot ${action}: ${edit.member} is not in ${key}`);
      }
      if (members.length === 1) {
        throw new EditError("LastItem", `Cannot ${action}: ${edit.member} is the last member`);
      }
      doc.deleteIn(["aliases", key, "members", i]);
      return;
    }
    default:
      edit satisfies never;
      throw new Error(`Cannot edit domains: unknown op ${(edit as { op: string }).op}`);
  }
}

function invalid(what: string, problems: ConfigProblem[]): EditError {
  const first = problems[0];
  const detail = first ? formatProblem(first) : "validation failed";
  return new EditError("Invalid", `Cannot edit domains: ${what}: ${detail}`, problems);
}

/**
 * Applies `edit` to the text of `config/domains.yaml` (read from `file`, used in problems)
 * and returns the new text. Throws `EditError`; never returns text that fails
 * `parseDomainsConfig`.
 */
export function editDomains(text: string, file: string, edit: DomainsEdit): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || doc.warnings.length > 0) {
    throw invalid("the file is not valid YAML", parseDomainsConfig(text, file).problems);
  }
  apply(new View(doc), edit);
  // yaml pads flow collections (`[ a ]`) by default; hand-written files mostly do not.
  const out = doc.toString({ flowCollectionPadding: false });
  const result = parseDomainsConfig(out, file);
  if (result.value === undefined) throw invalid("the result is invalid", result.problems);
  return out;
}
