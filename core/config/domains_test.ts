import assert from "node:assert/strict";
import { describe, domainsSchema, formatProblem, parseAddress, parseDomainsConfig } from "./mod.ts";

const REGENERATE = "deno run -A main.ts config describe domains > config/domains.yaml";

function problems(text: string): string[] {
  const r = parseDomainsConfig(text, "domains.yaml");
  assert.equal(r.value, undefined);
  return r.problems.map(formatProblem);
}

Deno.test("config/domains.yaml equals describe(domainsSchema)", async () => {
  const file = await Deno.readTextFile(new URL("../../config/domains.yaml", import.meta.url));
  assert.ok(
    file === describe(domainsSchema),
    `config/domains.yaml is out of date with domainsSchema; regenerate it: ${REGENERATE}`,
  );
});

Deno.test("parseDomainsConfig() accepts describe() output", () => {
  const r = parseDomainsConfig(describe(domainsSchema), "domains.yaml");
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.value, {
    domains: { "example.org": { description: "", localpartSeparator: "+", catchAll: "" } },
    accounts: {
      alice: { fullName: "", addresses: ["alice@example.org"], quotaSize: 0, quotaMessages: 0 },
    },
    aliases: { "team@example.org": { members: ["alice@example.org"], listMembers: false } },
  });
});

Deno.test("parseDomainsConfig() fills defaults for an empty file", () => {
  assert.deepEqual(parseDomainsConfig("", "domains.yaml").value, {
    domains: {},
    accounts: {},
    aliases: {},
  });
});

Deno.test("parseDomainsConfig() lowercases domains in keys and addresses", () => {
  const text = `domains:
  Example.ORG: {catchAll: bob}
accounts:
  bob:
    fullName: Bob
    addresses: [Bob@EXAMPLE.org]
aliases:
  All@Example.org:
    members: [bob@example.org, someone@Elsewhere.NET]
`;
  const r = parseDomainsConfig(text, "domains.yaml");
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.value, {
    domains: { "example.org": { description: "", localpartSeparator: "+", catchAll: "bob" } },
    accounts: {
      bob: { fullName: "Bob", addresses: ["Bob@example.org"], quotaSize: 0, quotaMessages: 0 },
    },
    aliases: {
      "All@example.org": {
        members: ["bob@example.org", "someone@elsewhere.net"],
        listMembers: false,
      },
    },
  });
});

Deno.test("parseDomainsConfig() reports bad names and addresses with their lines", () => {
  const text = `domains:
  example.org: {}
  bad_domain: {}
accounts:
  Alice:
    addresses: [alice@example.org]
  bob:
    addresses:
      - bob
  carol:
    addresses: []
aliases:
  team:
    members: [alice@example.org]
`;
  assert.deepEqual(problems(text), [
    'domains.yaml:3: domains."bad_domain": Expected a domain name like example.org',
    'domains.yaml:5: accounts."Alice": Account names start with a lowercase letter or digit and contain only a-z, 0-9, ., _ and -',
    'domains.yaml:9: accounts."bob".addresses[0]: Expected an address like alice@example.org',
    'domains.yaml:11: accounts."carol".addresses: Must not be empty',
    'domains.yaml:13: aliases."team": Expected an address like alice@example.org',
  ]);
});

Deno.test("parseDomainsConfig() reports cross-field problems with their lines", () => {
  const text = `domains:
  example.org:
    catchAll: nobody
  example.net: {}
  EXAMPLE.net: {}
accounts:
  alice:
    addresses:
      - alice@example.org
      - alice@example.com
  bob:
    addresses:
      - ALICE@example.org
aliases:
  bob@Example.org:
    members: [alice@example.org]
  team@example.org:
    members: [alice@example.org]
`;
  assert.deepEqual(
    problems(text),
    [
      'domains.yaml:3: domains."example.org".catchAll: No account named nobody',
      'domains.yaml:5: domains."EXAMPLE.net": Same domain as example.net; domains ignore case',
      'domains.yaml:10: accounts."alice".addresses[1]: Domain example.com is not configured in domains',
      'domains.yaml:13: accounts."bob".addresses[0]: Address already used by accounts."alice".addresses[0] on line 9',
    ],
  );
});

Deno.test("parseDomainsConfig() reports an alias that is also an account address", () => {
  const text = `domains:
  example.org: {}
accounts:
  alice:
    addresses: [alice@example.org]
aliases:
  Alice@Example.org:
    members: [bob@example.org]
`;
  assert.deepEqual(problems(text), [
    'domains.yaml:7: aliases."Alice@Example.org": Address already used by accounts."alice".addresses[0] on line 5',
  ]);
});

Deno.test("parseAddress() accepts dot-string local parts and LDH domains", () => {
  assert.deepEqual(parseAddress("a.b+c@example.org"), {
    localpart: "a.b+c",
    domain: "example.org",
  });
  for (
    const bad of [
      "a",
      "@example.org",
      "a@",
      "a..b@example.org",
      ".a@example.org",
      "a@-x.org",
      "a b@x.org",
      `${"a".repeat(65)}@x.org`,
    ]
  ) {
    assert.equal(parseAddress(bad), undefined, bad);
  }
});
