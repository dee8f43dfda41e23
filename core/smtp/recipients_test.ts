import assert from "node:assert/strict";
import { parseDomainsConfig } from "../config/domains.ts";
import {
  accountAddresses,
  isAccountAddress,
  isLocalDomain,
  maxAliasDepth,
  resolveRecipient,
} from "./recipients.ts";
import { testDomains } from "./_test_session.ts";

const local = (...accounts: string[]) => ({ kind: "local", accounts, remote: [] });

Deno.test("resolveRecipient() finds an account by any of its addresses, ignoring case", () => {
  assert.deepEqual(resolveRecipient(testDomains, "bob", "example.org"), local("bob"));
  assert.deepEqual(resolveRecipient(testDomains, "Robert", "EXAMPLE.org"), local("bob"));
});

Deno.test("resolveRecipient() strips the local-part separator and what follows", () => {
  assert.deepEqual(resolveRecipient(testDomains, "alice+news", "example.org"), local("alice"));
  assert.deepEqual(resolveRecipient(testDomains, "alice+a+b", "example.org"), local("alice"));
  assert.deepEqual(resolveRecipient(testDomains, "+alice", "example.org"), { kind: "unknown" });
  const noSep = parseDomainsConfig(
    "domains:\n  example.org:\n    localpartSeparator: ''\naccounts:\n  a:\n    addresses: [a@example.org]\n",
    "d.yaml",
  ).value!;
  assert.deepEqual(resolveRecipient(noSep, "a+x", "example.org"), { kind: "unknown" });
  const dash = parseDomainsConfig(
    "domains:\n  example.org:\n    localpartSeparator: '-'\naccounts:\n  a:\n    addresses: [a@example.org]\n",
    "d.yaml",
  ).value!;
  assert.deepEqual(resolveRecipient(dash, "a-x", "example.org"), local("a"));
});

Deno.test("resolveRecipient() treats U-labels and A-labels as the same domain", () => {
  assert.deepEqual(resolveRecipient(testDomains, "alice", "bücher.example"), local("alice"));
  assert.deepEqual(resolveRecipient(testDomains, "alice", "XN--BCHER-KVA.example"), local("alice"));
  assert.ok(isLocalDomain(testDomains, "BÜCHER.example"));
  assert.ok(!isLocalDomain(testDomains, "remote.example"));
});

Deno.test("resolveRecipient() expands aliases, reporting members elsewhere as remote", () => {
  assert.deepEqual(resolveRecipient(testDomains, "team", "example.org"), {
    kind: "local",
    accounts: ["alice", "bob"],
    remote: ["friend@remote.example"],
  });
  assert.deepEqual(resolveRecipient(testDomains, "outside", "example.org"), {
    kind: "local",
    accounts: [],
    remote: ["someone@remote.example"],
  });
  assert.deepEqual(resolveRecipient(testDomains, "team+x", "example.org").kind, "local");
});

Deno.test("resolveRecipient() ends alias loops and deep nesting", () => {
  assert.deepEqual(resolveRecipient(testDomains, "loop1", "example.org"), local("alice"));
  assert.deepEqual(resolveRecipient(testDomains, "loop2", "example.org"), local("alice"));
  // c0 → c1 → … → c(hops-1) → c(hops), the account's address: `hops` alias hops.
  const chain = (hops: number) => {
    const aliases = Array.from(
      { length: hops },
      (_, i) => `  c${i}@example.org:\n    members: [c${i + 1}@example.org]\n`,
    ).join("");
    const yaml =
      `domains:\n  example.org: {}\naccounts:\n  a:\n    addresses: [c${hops}@example.org]\n` +
      `aliases:\n${aliases}`;
    return parseDomainsConfig(yaml, "d.yaml").value!;
  };
  assert.deepEqual(resolveRecipient(chain(maxAliasDepth), "c0", "example.org"), local("a"));
  // Past the limit nothing is reached: the alias resolves to no one.
  assert.deepEqual(resolveRecipient(chain(maxAliasDepth + 1), "c0", "example.org"), {
    kind: "unknown",
  });
});

Deno.test("resolveRecipient() falls back to the catch-all, else unknown, and never relays", () => {
  assert.deepEqual(resolveRecipient(testDomains, "anyone", "example.net"), local("catchall"));
  assert.deepEqual(resolveRecipient(testDomains, "anyone", "example.org"), { kind: "unknown" });
  assert.deepEqual(resolveRecipient(testDomains, "bob", "remote.example"), { kind: "remote" });
  assert.deepEqual(resolveRecipient(testDomains, "bob", "sub.example.org"), { kind: "remote" });
  assert.deepEqual(resolveRecipient(testDomains, "bob", "example.org."), { kind: "remote" });
});

Deno.test("accountAddresses() and isAccountAddress() know only the account's own addresses", () => {
  assert.deepEqual(accountAddresses(testDomains, "bob"), ["bob@example.org", "robert@example.org"]);
  assert.deepEqual(accountAddresses(testDomains, "nobody"), []);
  assert.ok(isAccountAddress(testDomains, "bob", "Robert@EXAMPLE.ORG"));
  assert.ok(isAccountAddress(testDomains, "alice", "alice@bücher.example"));
  assert.ok(!isAccountAddress(testDomains, "bob", "team@example.org"));
  assert.ok(!isAccountAddress(testDomains, "bob", "alice@example.org"));
  assert.ok(!isAccountAddress(testDomains, "bob", "bob+x@example.org"));
});
