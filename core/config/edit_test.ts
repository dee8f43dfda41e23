import assert from "node:assert/strict";
import {
  type DomainsEdit,
  editDomains,
  EditError,
  type EditErrorCode,
  parseDomainsConfig,
} from "./mod.ts";

const FILE = "domains.yaml";

const BASE = `# Top comment
domains:
  # The main domain
  example.org:
    catchAll: alice
  other.net: {}

# People
accounts:
  alice:
    fullName: Alice # inline comment
    addresses:
      - alice@example.org
      - a@Example.ORG
  bob:
    addresses: [bob@example.org]

aliases:
  team@example.org:
    members:
      - alice@example.org
      - bob@example.org
  solo@other.net:
    members: [carol@elsewhere.com]
`;

/** Applies the edits in order, checking that every result validates. */
function edit(text: string, ...edits: DomainsEdit[]): string {
  for (const e of edits) {
    text = editDomains(text, FILE, e);
    assert.deepEqual(parseDomainsConfig(text, FILE).problems, [], text);
  }
  return text;
}

function config(text: string) {
  const r = parseDomainsConfig(text, FILE);
  assert.ok(r.value, JSON.stringify(r.problems));
  return r.value;
}

function refused(text: string, e: DomainsEdit, code: EditErrorCode): EditError {
  let caught: unknown;
  try {
    editDomains(text, FILE, e);
  } catch (x) {
    caught = x;
  }
  assert.ok(caught instanceof EditError);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, /^Cannot /);
  return caught;
}

Deno.test("editDomains() base fixture is valid", () => {
  config(BASE);
});

Deno.test("editDomains() addDomain appends a lowercase domain with defaults", () => {
  const out = edit(BASE, { op: "addDomain", domain: "New.Example" });
  const c = config(out);
  assert.deepEqual(Object.keys(c.domains), ["example.org", "other.net", "new.example"]);
  assert.deepEqual(c.domains["new.example"], {
    description: "",
    localpartSeparator: "+",
    catchAll: "",
  });
  assert.ok(out.includes("\n  new.example:\n"), out);
});

Deno.test("editDomains() addDomain twice is Exists, case-insensitively", () => {
  const out = edit(BASE, { op: "addDomain", domain: "new.example" });
  refused(out, { op: "addDomain", domain: "new.example" }, "Exists");
  refused(BASE, { op: "addDomain", domain: "EXAMPLE.org" }, "Exists");
});

Deno.test("editDomains() addDomain with a bad name is Invalid with problems", () => {
  const err = refused(BASE, { op: "addDomain", domain: "not a domain" }, "Invalid");
  assert.ok(err.problems && err.problems.length > 0);
  assert.equal(err.problems[0]?.file, FILE);
  assert.match(err.problems[0]?.message ?? "", /domain name/);
});

Deno.test("editDomains() removeDomain", () => {
  const text = edit(BASE, { op: "addDomain", domain: "spare.org" });
  const out = edit(text, { op: "removeDomain", domain: "SPARE.org" });
  assert.deepEqual(Object.keys(config(out).domains), ["example.org", "other.net"]);
  assert.equal(out, BASE);
});

Deno.test("editDomains() removeDomain refusals", () => {
  refused(BASE, { op: "removeDomain", domain: "nope.org" }, "NotFound");
  refused(BASE, { op: "removeDomain", domain: "example.org" }, "InUse"); // accounts
  refused(BASE, { op: "removeDomain", domain: "other.net" }, "InUse"); // alias key
  // An alias member in the domain also keeps it in use.
  const text = edit(
    BASE,
    { op: "addDomain", domain: "x.org" },
    { op: "addAliasMember", alias: "solo@other.net", member: "z@x.org" },
  );
  refused(text, { op: "removeDomain", domain: "x.org" }, "InUse");
});

Deno.test("editDomains() addAccount", () => {
  const out = edit(BASE, {
    op: "addAccount",
    account: "carol",
    address: "Carol@OTHER.net",
    fullName: "Carol C",
  });
  const c = config(out);
  assert.deepEqual(Object.keys(c.accounts), ["alice", "bob", "carol"]);
  assert.deepEqual(c.accounts.carol, {
    fullName: "Carol C",
    addresses: ["Carol@other.net"],
    quotaSize: 0,
    quotaMessages: 0,
  });
});

Deno.test("editDomains() addAccount refusals", () => {
  const add = (account: string, address: string): DomainsEdit => ({
    op: "addAccount",
    account,
    address,
  });
  refused(BASE, add("bob", "bob2@example.org"), "Exists");
  refused(BASE, add("carol", "carol@nowhere.org"), "NotFound");
  refused(BASE, add("carol", "ALICE@example.org"), "Exists"); // another account's address
  refused(BASE, add("carol", "team@EXAMPLE.org"), "Exists"); // an alias
  refused(BASE, add("Carol", "carol@example.org"), "Invalid"); // account name
  refused(BASE, add("carol", "not-an-address"), "Invalid");
  const twice = edit(BASE, add("carol", "carol@example.org"));
  refused(twice, add("carol", "carol@example.org"), "Exists");
});

Deno.test("editDomains() removeAccount", () => {
  const out = edit(BASE, { op: "removeAccount", account: "bob" });
  assert.deepEqual(Object.keys(config(out).accounts), ["alice"]);
  refused(out, { op: "removeAccount", account: "bob" }, "NotFound");
  refused(BASE, { op: "removeAccount", account: "alice" }, "InUse"); // catch-all
});

Deno.test("editDomains() addAddress", () => {
  const out = edit(BASE, { op: "addAddress", account: "bob", address: "robert@Other.NET" });
  assert.deepEqual(config(out).accounts.bob?.addresses, ["bob@example.org", "robert@other.net"]);
  refused(out, { op: "addAddress", account: "bob", address: "ROBERT@other.net" }, "Exists");
  refused(BASE, { op: "addAddress", account: "nobody", address: "n@example.org" }, "NotFound");
  refused(BASE, { op: "addAddress", account: "bob", address: "b@nowhere.org" }, "NotFound");
  refused(BASE, { op: "addAddress", account: "bob", address: "a@example.org" }, "Exists");
});

Deno.test("editDomains() removeAddress", () => {
  const out = edit(BASE, { op: "removeAddress", address: "A@example.org" });
  assert.deepEqual(config(out).accounts.alice?.addresses, ["alice@example.org"]);
  refused(out, { op: "removeAddress", address: "a@example.org" }, "NotFound");
  refused(out, { op: "removeAddress", address: "alice@example.org" }, "LastItem");
  refused(BASE, { op: "removeAddress", address: "bob@example.org" }, "LastItem");
});

Deno.test("editDomains() addAlias", () => {
  const out = edit(BASE, {
    op: "addAlias",
    alias: "All@Example.org",
    members: ["alice@example.org", "x@Gmail.COM"],
  });
  const c = config(out);
  assert.deepEqual(Object.keys(c.aliases), [
    "team@example.org",
    "solo@other.net",
    "All@example.org",
  ]);
  assert.deepEqual(c.aliases["All@example.org"], {
    members: ["alice@example.org", "x@gmail.com"],
    listMembers: false,
  });
  refused(out, { op: "addAlias", alias: "all@example.org", members: ["a@b.org"] }, "Exists");
  refused(BASE, { op: "addAlias", alias: "bob@example.org", members: ["a@b.org"] }, "Exists");
  refused(BASE, { op: "addAlias", alias: "x@nowhere.org", members: ["a@b.org"] }, "NotFound");
  const err = refused(BASE, { op: "addAlias", alias: "e@example.org", members: [] }, "Invalid");
  assert.match(err.problems?.[0]?.message ?? "", /Must not be empty/);
});

Deno.test("editDomains() removeAlias", () => {
  const out = edit(BASE, { op: "removeAlias", alias: "TEAM@example.ORG" });
  assert.deepEqual(Object.keys(config(out).aliases), ["solo@other.net"]);
  refused(out, { op: "removeAlias", alias: "team@example.org" }, "NotFound");
});

Deno.test("editDomains() addAliasMember and removeAliasMember", () => {
  const out = edit(BASE, { op: "addAliasMember", alias: "solo@other.net", member: "d@X.org" });
  assert.deepEqual(config(out).aliases["solo@other.net"]?.members, [
    "carol@elsewhere.com",
    "d@x.org",
  ]);
  refused(out, { op: "addAliasMember", alias: "solo@other.net", member: "D@x.org" }, "Exists");
  refused(BASE, { op: "addAliasMember", alias: "no@other.net", member: "d@x.org" }, "NotFound");
  const back = edit(out, { op: "removeAliasMember", alias: "solo@other.net", member: "d@x.org" });
  assert.deepEqual(config(back).aliases["solo@other.net"]?.members, ["carol@elsewhere.com"]);
  refused(
    back,
    { op: "removeAliasMember", alias: "solo@other.net", member: "carol@elsewhere.com" },
    "LastItem",
  );
  refused(
    back,
    { op: "removeAliasMember", alias: "solo@other.net", member: "z@a.org" },
    "NotFound",
  );
  refused(back, { op: "removeAliasMember", alias: "no@other.net", member: "z@a.org" }, "NotFound");
});

Deno.test("editDomains() creates missing or empty top-level maps in block style", () => {
  for (const start of ["", "domains: {}\n", "domains:\n", "# only a comment\n"]) {
    const out = edit(
      start,
      { op: "addDomain", domain: "a.org" },
      { op: "addAccount", account: "u", address: "u@a.org" },
      { op: "addAlias", alias: "l@a.org", members: ["u@a.org"] },
    );
    assert.ok(!/[{}[\]]/.test(out), out);
    assert.match(out, /^domains:\n {2}a\.org:\n/m);
    assert.match(out, /^accounts:\n {2}u:\n/m);
    assert.match(out, /^aliases:\n {2}l@a\.org:\n/m);
  }
});

Deno.test("editDomains() keeps commented-out entries of an empty map", () => {
  const start = "domains:\n  # old.org:\n  #   description: gone\n";
  const out = edit(start, { op: "addDomain", domain: "a.org" });
  assert.ok(out.includes("# old.org:"), out);
  assert.ok(out.includes("#   description: gone"), out);
});

Deno.test("editDomains() refuses input that is not valid YAML", () => {
  const err = refused("domains: [\n", { op: "addDomain", domain: "a.org" }, "Invalid");
  assert.ok(err.problems && err.problems.length > 0);
});

Deno.test("editDomains() keeps every comment of config/domains.yaml", async () => {
  const original = await Deno.readTextFile(new URL("../../config/domains.yaml", import.meta.url));
  const out = edit(
    original,
    { op: "addDomain", domain: "example.net" },
    { op: "addAccount", account: "bob", address: "bob@example.net", fullName: "Bob" },
    { op: "removeAccount", account: "bob" },
  );
  const outLines = new Set(out.split("\n"));
  for (const line of original.split("\n")) {
    if (line.trimStart().startsWith("#")) assert.ok(outLines.has(line), `Lost: ${line}\n${out}`);
  }
  assert.deepEqual(Object.keys(config(out).domains), ["example.org", "example.net"]);
  assert.deepEqual(Object.keys(config(out).accounts), ["alice"]);
});

Deno.test("editDomains() keeps comments and formatting of untouched entries", () => {
  const out = edit(BASE, { op: "addDomain", domain: "z.org" }, {
    op: "removeAlias",
    alias: "solo@other.net",
  });
  for (const kept of ["# Top comment", "  # The main domain", "# People", "# inline comment"]) {
    assert.ok(out.includes(kept), `Lost: ${kept}\n${out}`);
  }
  assert.ok(out.includes("    addresses: [bob@example.org]\n"), out); // flow list kept
});
