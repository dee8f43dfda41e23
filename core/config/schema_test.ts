import assert from "node:assert/strict";
import {
  bool,
  describe,
  duration,
  enumOf,
  formatDuration,
  formatProblem,
  formatSize,
  int,
  list,
  map,
  obj,
  parseDuration,
  parseSize,
  size,
  str,
  validate,
} from "./mod.ts";

const schema = obj({
  name: str({ doc: "Name", default: "x" }),
  count: int({ doc: "Count", min: 1, max: 10, default: 3 }),
  on: bool({ doc: "Switch", default: false }),
  wait: duration({ doc: "Wait", default: "30s" }),
  max: size({ doc: "Max", default: "1MB" }),
  mode: enumOf(["a", "b"], { doc: "Mode", default: "a" }),
  tags: list(str({ doc: "Tag", required: true }), { doc: "Tags" }),
  extra: map(int({ doc: "Extra", default: 0 }), { doc: "Extras" }),
  nested: obj({
    id: str({ doc: "Id", required: true }),
    even: int({
      doc: "Even",
      default: 0,
      check: (v) => v % 2 === 0 ? undefined : "Must be even",
    }),
  }, { doc: "Nested", example: { id: "n1", even: 2 } }),
}, { doc: "Test schema" });

const DEFAULTS = {
  name: "x",
  count: 3,
  on: false,
  wait: 30_000,
  max: 1024 * 1024,
  mode: "a",
  tags: [],
  extra: {},
  nested: { id: "i", even: 0 },
};

function problems(text: string): string[] {
  const r = validate(schema, text, "t.yaml");
  assert.equal(r.value, undefined);
  return r.problems.map(formatProblem);
}

function value(text: string) {
  const r = validate(schema, text, "t.yaml");
  assert.deepEqual(r.problems, []);
  return r.value;
}

Deno.test("validate() fills defaults for absent fields", () => {
  assert.deepEqual(value("nested: {id: i}\n"), DEFAULTS);
});

Deno.test("validate() treats an empty file as all defaults", () => {
  const flat = obj({
    a: str({ doc: "A", default: "a" }),
    b: list(int({ doc: "B", default: 1 }), { doc: "Bs" }),
  }, { doc: "Flat" });
  assert.deepEqual(validate(flat, "", "e.yaml").value, { a: "a", b: [] });
  assert.deepEqual(validate(flat, "# only a comment\n", "e.yaml").value, { a: "a", b: [] });
});

Deno.test("validate() reads every kind when valid", () => {
  const text = [
    "name: hello",
    "count: 10",
    "on: true",
    "wait: 1h30m",
    "max: 20MB",
    "mode: b",
    "tags: [p, q]",
    "extra: {one: 1, two: 2}",
    "nested:",
    "  id: n",
    "  even: 4",
  ].join("\n");
  assert.deepEqual(value(text), {
    name: "hello",
    count: 10,
    on: true,
    wait: 5_400_000,
    max: 20 * 1024 * 1024,
    mode: "b",
    tags: ["p", "q"],
    extra: { one: 1, two: 2 },
    nested: { id: "n", even: 4 },
  });
});

Deno.test("validate() reports wrong types for every kind", () => {
  const text = [
    "name: 5", // 1
    "count: ten", // 2
    "on: yes", // 3
    "wait: true", // 4
    "max: [1]", // 5
    "mode: c", // 6
    "tags: p", // 7
    "extra: [1]", // 8
    "nested: 3", // 9
  ].join("\n");
  assert.deepEqual(problems(text), [
    "t.yaml:1: name: Expected a string, got 5; put it in quotes",
    't.yaml:2: count: Expected an integer, got "ten"',
    't.yaml:3: on: Expected true or false, got "yes"',
    "t.yaml:4: wait: Expected a duration, got true",
    "t.yaml:5: max: Expected a size, got a list",
    't.yaml:6: mode: Expected one of a, b; got "c"',
    't.yaml:7: tags: Expected a list, got "p"',
    "t.yaml:8: extra: Expected a mapping, got a list",
    "t.yaml:9: nested: Expected a mapping, got 3",
  ]);
});

Deno.test("validate() reports unknown keys with their line", () => {
  assert.deepEqual(problems("nested:\n  id: i\n  evn: 2\ncolor: red\n"), [
    "t.yaml:3: nested.evn: Unknown field; did you mean even?",
    "t.yaml:4: color: Unknown field",
  ]);
});

Deno.test("validate() reports every problem in a file, in line order", () => {
  const text = "count: 0\nnested:\n  even: 3\nmode: z\nname:\n";
  assert.deepEqual(problems(text), [
    "t.yaml:1: count: Must be at least 1",
    "t.yaml:2: nested.id: Missing required field",
    "t.yaml:3: nested.even: Must be even",
    't.yaml:4: mode: Expected one of a, b; got "z"',
    "t.yaml:5: name: Expected a string, got nothing",
  ]);
});

Deno.test("validate() reports a missing required field on the parent mapping's line", () => {
  assert.deepEqual(problems("name: a\n\nnested:\n  even: 2\n"), [
    "t.yaml:3: nested.id: Missing required field",
  ]);
  assert.deepEqual(problems("name: a\n"), ["t.yaml:1: nested.id: Missing required field"]);
});

Deno.test("validate() reports int bounds", () => {
  assert.deepEqual(problems("nested: {id: i}\ncount: 11"), [
    "t.yaml:2: count: Must be at most 10",
  ]);
  assert.deepEqual(problems("nested: {id: i}\ncount: 1.5"), [
    "t.yaml:2: count: Expected an integer, got 1.5",
  ]);
});

Deno.test("validate() reports YAML syntax errors with their line", () => {
  assert.deepEqual(problems("name: a\ncount: 2: 3\non: true\n"), [
    "t.yaml:2: Nested mappings are not allowed in compact mappings",
  ]);
  const r = validate(schema, "name: a\ntags: [a, b\ncount: 2\n", "t.yaml");
  assert.equal(r.value, undefined);
  assert.equal(r.problems[0]?.field, "");
  assert.match(formatProblem(r.problems[0]!), /^t\.yaml:3: Flow sequence/);
});

Deno.test("validate() reports duplicate keys in objects and maps", () => {
  assert.deepEqual(problems("nested: {id: i}\nname: a\nname: b\nextra:\n  k: 1\n  k: 2\n"), [
    "t.yaml:3: name: Duplicate key; first defined on line 2",
    't.yaml:6: extra."k": Duplicate key; first defined on line 5',
  ]);
});

Deno.test("validate() names list items and map keys in field paths", () => {
  assert.deepEqual(problems("nested: {id: i}\ntags:\n  - a\n  - 2\nextra:\n  a.b: x\n"), [
    "t.yaml:4: tags[1]: Expected a string, got 2; put it in quotes",
    't.yaml:6: extra."a.b": Expected an integer, got "x"',
  ]);
});

Deno.test("validate() reports non-string keys", () => {
  assert.deepEqual(problems("nested: {id: i}\nextra:\n  1: 1\n"), [
    "t.yaml:3: extra: Expected a text key, got 1; put it in quotes",
  ]);
});

Deno.test("validate() treats an empty value of a section as empty", () => {
  const r = validate(schema, "tags:\nextra:\nnested:\n  id: i\n", "t.yaml");
  assert.deepEqual(r.value, DEFAULTS);
});

Deno.test("validate() lineOf() finds a field or its nearest ancestor", () => {
  const r = validate(schema, "nested:\n  id: i\ntags:\n  - a\n  - b\n", "t.yaml");
  assert.equal(r.lineOf("tags[1]"), 5);
  assert.equal(r.lineOf("nested.id"), 2);
  assert.equal(r.lineOf("nested.even"), 1);
  assert.equal(r.lineOf("name"), 1);
});

Deno.test("validate() checks list and map entries with keyCheck and minItems", () => {
  const s = obj({
    xs: list(int({ doc: "X", default: 0 }), { doc: "Xs", required: true, minItems: 1 }),
    m: map(bool({ doc: "B", default: false }), {
      doc: "M",
      keyCheck: (k) => k === k.toLowerCase() ? undefined : "Must be lowercase",
    }),
  }, { doc: "S" });
  const r = validate(s, "xs: []\nm:\n  Up: true\n", "s.yaml");
  assert.deepEqual(r.problems.map(formatProblem), [
    "s.yaml:1: xs: Must not be empty",
    's.yaml:3: m."Up": Must be lowercase',
  ]);
  assert.deepEqual(validate(s, "m: {}\n", "s.yaml").problems.map(formatProblem), [
    "s.yaml:1: xs: Missing required field",
  ]);
});

Deno.test("parseDuration() reads units and edge cases", () => {
  assert.deepEqual(parseDuration("0"), { value: 0 });
  assert.deepEqual(parseDuration("250ms"), { value: 250 });
  assert.deepEqual(parseDuration("30s"), { value: 30_000 });
  assert.deepEqual(parseDuration("5m"), { value: 300_000 });
  assert.deepEqual(parseDuration("1h"), { value: 3_600_000 });
  assert.deepEqual(parseDuration("1h30m"), { value: 5_400_000 });
  assert.deepEqual(parseDuration("1m30s500ms"), { value: 90_500 });
  for (const bad of ["5x", "", "5", "1.5h", "30m1h", "5m5m", "h", "1h 30m"]) {
    assert.ok("error" in parseDuration(bad), bad);
  }
  assert.deepEqual(parseDuration("-5s"), { error: "Durations cannot be negative" });
});

Deno.test("validate() accepts duration 0 and rejects negative and unitless durations", () => {
  assert.equal(value("nested: {id: i}\nwait: 0")?.wait, 0);
  assert.equal(value('nested: {id: i}\nwait: "0"')?.wait, 0);
  assert.deepEqual(problems("nested: {id: i}\nwait: -5s"), [
    "t.yaml:2: wait: Durations cannot be negative",
  ]);
  assert.deepEqual(problems("nested: {id: i}\nwait: -1"), [
    "t.yaml:2: wait: Durations cannot be negative",
  ]);
  assert.deepEqual(problems("nested: {id: i}\nwait: 5x"), [
    't.yaml:2: wait: Invalid duration "5x": use whole numbers with units h, m, s or ms, like 30s or 1h30m',
  ]);
  assert.deepEqual(problems("nested: {id: i}\nwait: 30"), [
    't.yaml:2: wait: Duration "30" needs a unit: use whole numbers with units h, m, s or ms, like 30s or 1h30m',
  ]);
});

Deno.test("parseSize() reads bytes and binary units", () => {
  assert.deepEqual(parseSize("0"), { value: 0 });
  assert.deepEqual(parseSize("512"), { value: 512 });
  assert.deepEqual(parseSize("512KB"), { value: 512 * 1024 });
  assert.deepEqual(parseSize("20MB"), { value: 20 * 1024 ** 2 });
  assert.deepEqual(parseSize("1GB"), { value: 1024 ** 3 });
  assert.deepEqual(parseSize("1gb"), { value: 1024 ** 3 });
  assert.deepEqual(parseSize("7B"), { value: 7 });
  for (const bad of ["1.5MB", "MB", "", "20XB", "9999999999TB"]) {
    assert.ok("error" in parseSize(bad), bad);
  }
  assert.deepEqual(parseSize("-1KB"), { error: "Sizes cannot be negative" });
  assert.equal(value("nested: {id: i}\nmax: 4096")?.max, 4096);
  assert.deepEqual(problems("nested: {id: i}\nmax: -1"), [
    "t.yaml:2: max: Sizes cannot be negative",
  ]);
});

Deno.test("formatDuration() and formatSize() read back to the same number", () => {
  for (const ms of [0, 1, 250, 1000, 90_500, 300_000, 5_400_000, 3_600_000 * 30 + 1]) {
    assert.deepEqual(parseDuration(formatDuration(ms)), { value: ms });
  }
  assert.equal(formatDuration(5_400_000), "1h30m");
  for (const bytes of [0, 1, 1000, 1024, 20 * 1024 ** 2, 1024 ** 3 + 1]) {
    assert.deepEqual(parseSize(String(formatSize(bytes))), { value: bytes });
  }
  assert.equal(formatSize(20 * 1024 ** 2), "20MB");
});

Deno.test("schema constructors throw on a field with neither default nor required", () => {
  assert.throws(() => str({ doc: "Nothing" }), /either a default or required/);
  assert.throws(() => duration({ doc: "Bad", default: "5x" }), /Invalid duration/);
});

Deno.test("formatProblem() leaves out an empty field", () => {
  assert.equal(
    formatProblem({ file: "f.yaml", line: 3, field: "", message: "Bad thing" }),
    "f.yaml:3: Bad thing",
  );
  assert.equal(
    formatProblem({ file: "f.yaml", line: 3, field: "a[0]", message: "Bad thing" }),
    "f.yaml:3: a[0]: Bad thing",
  );
});

Deno.test("describe() output validates and round-trips to the defaults", () => {
  const noRequired = obj({
    a: str({ doc: "A", default: "it's" }),
    b: duration({ doc: "B", default: "1h30m" }),
    c: size({ doc: "C", default: 1000 }),
    d: list(str({ doc: "D", required: true }), { doc: "Ds", default: ["x", "true"] }),
    e: obj({ f: enumOf(["p", "q"], { doc: "F", default: "q" }) }, { doc: "E" }),
    g: map(str({ doc: "G", default: "" }), { doc: "Gs" }),
  }, { doc: "Root" });
  const text = describe(noRequired);
  const r = validate(noRequired, text, "d.yaml");
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.value, validate(noRequired, "", "d.yaml").value);
});

Deno.test("describe() shows examples and docs, and the output validates", () => {
  const withExample = obj({
    items: list(
      obj({ id: str({ doc: "Item id", required: true }), n: int({ doc: "N", default: 1 }) }, {
        doc: "Item",
      }),
      { doc: "Items", example: [{ id: "one", n: 2 }] },
    ),
  }, { doc: "Root doc" });
  const text = describe(withExample);
  assert.equal(
    text,
    [
      "# Root doc",
      "",
      "# Items",
      "# Example; the default is []",
      "items:",
      "  # Item id",
      "  # Required",
      "  - id: one",
      "    # N",
      "    n: 2",
      "",
    ].join("\n"),
  );
  assert.deepEqual(validate(withExample, text, "d.yaml").value, { items: [{ id: "one", n: 2 }] });
  const full = describe(schema);
  assert.match(full, /# Count\n# From 1 to 10\ncount: 3\n/);
  assert.deepEqual(validate(schema, full, "d.yaml").problems, []);
});
