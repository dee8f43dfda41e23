/**
 * Reads YAML text against a schema and reports every problem with file and line.
 *
 * Contract: `validate(schema, text, file)` never throws on bad input. It returns the
 * typed value with defaults filled, or `value: undefined` and at least one problem.
 * YAML syntax errors are reported alone (the tree after a syntax error is a guess, and
 * checking it would add noise); otherwise every type error, unknown key, duplicate key,
 * missing required field and failed check in the file is reported, in file order.
 *
 * Field paths (`ConfigProblem.field`): schema fields joined with ".", list indexes in
 * brackets from 0, and map keys (names the user chose, like domains) always in double
 * quotes: `listeners[1].addresses[0]`, `domains."example.org".catchAll`. The empty path
 * is the whole file. Lines are 1-based: the line of the offending value (of its key, for a
 * key: value pair); for a missing field, the line of the mapping that lacks it.
 *
 * An empty value (`key:` with nothing after it) of a mapping or list kind means empty,
 * so a section whose entries are all commented out gets its defaults.
 *
 * @module
 */

import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from "yaml";
import type { AnyField, Infer } from "./schema.ts";
import { parseDuration, parseSize } from "./_units.ts";

/** One problem in a config file. */
export interface ConfigProblem {
  file: string;
  /** 1-based line. */
  line: number;
  /** Path of the field, like `listeners[1].addresses[0]`; "" for the whole file. */
  field: string;
  /** Sentence case, no trailing period. */
  message: string;
}

/** The outcome of `validate`. */
export interface Validation<T> {
  /** The value with defaults filled; undefined when there are problems. */
  value: T | undefined;
  problems: ConfigProblem[];
  /** Line of a field path in the file, or of its nearest present ancestor (1 at worst). */
  lineOf(field: string): number;
}

/** Formats a problem as `file:line: field: message` (`file:line: message` for the file). */
export function formatProblem(p: ConfigProblem): string {
  if (p.line === 0) return `${p.file}: ${p.field === "" ? "" : p.field + ": "}${p.message}`;
  return p.field === ""
    ? `${p.file}:${p.line}: ${p.message}`
    : `${p.file}:${p.line}: ${p.field}: ${p.message}`;
}

/** Path of a schema field (or list index, or map key) below `parent`. */
export function childPath(parent: string, name: string | number, isMapKey = false): string {
  if (typeof name === "number") return `${parent}[${name}]`;
  const part = isMapKey ? JSON.stringify(name) : name;
  return parent === "" ? part : `${parent}.${part}`;
}

/** The parent of a field path; "" for top-level fields and for "". */
export function parentPath(path: string): string {
  const m = /(?:\[\d+\]|\.?"(?:[^"\\]|\\.)*"|\.?[^.[\]"]+)$/.exec(path);
  return m ? path.slice(0, m.index) : "";
}

/** Validates YAML `text` (read from `file`, used in problems) against `schema`. */
export function validate<S extends AnyField>(
  schema: S,
  text: string,
  file: string,
): Validation<Infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const lines = new Map<string, number>([["", 1]]);
  const lineOf = (field: string): number => {
    for (let p = field;; p = parentPath(p)) {
      const line = lines.get(p);
      if (line !== undefined) return line;
    }
  };
  const lastLine = Math.max(1, text.replace(/\n$/, "").split("\n").length);
  const problems: ConfigProblem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    file,
    // An unterminated construct is reported at end of input: keep it on the last line.
    line: Math.min(lineCounter.linePos(e.pos[0]).line, lastLine),
    field: "",
    message: (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")
      .replace(/\.$/, ""),
  }));
  if (problems.length > 0) return { value: undefined, problems, lineOf };
  const walker = new Walker(file, doc, lineCounter, problems, lines);
  const contents = doc.contents;
  const root = walker.convert(schema, contents, "", contents ? walker.lineOfNode(contents, 1) : 1);
  // Sound by construction: convert returns what the schema's kinds describe.
  problems.sort((a, b) => a.line - b.line);
  const value = root.ok && problems.length === 0 ? root.value as Infer<S> : undefined;
  return { value, problems, lineOf };
}

const EXPECTED: Record<string, string> = {
  str: "a string",
  int: "an integer",
  bool: "true or false",
  duration: "a duration",
  size: "a size",
  enum: "a string",
};

type Maybe = { ok: true; value: unknown } | { ok: false };
const FAIL: Maybe = { ok: false };

class Walker {
  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lineCounter: LineCounter,
    readonly problems: ConfigProblem[],
    readonly lines: Map<string, number>,
  ) {}

  report(field: string, line: number, message: string): void {
    this.problems.push({ file: this.file, line, field, message });
  }

  lineOfNode(node: Node, fallback: number): number {
    return node.range ? this.lineCounter.linePos(node.range[0]).line : fallback;
  }

  /** Converts `node` (null: empty or absent value) at `path`; line is used for `null`. */
  convert(field: AnyField, raw: unknown, path: string, line: number): Maybe {
    const node = isAlias(raw) ? raw.resolve(this.doc) : raw;
    const at = node && typeof node === "object" && "range" in node
      ? this.lineOfNode(node as Node, line)
      : line;
    const empty = node == null || (isScalar(node) && node.value === null);
    const kind = field.spec.kind;
    let result: Maybe;
    if (empty && (kind === "obj" || kind === "list" || kind === "map")) {
      result = kind === "obj"
        ? this.object(field, undefined, path, line)
        : this.collection(field, undefined, path, line);
    } else if (kind === "obj") {
      // A missing field is reported on the line that names the mapping (its key's line).
      result = isMap(node) ? this.object(field, node, path, line) : this.typeError(path, at, node);
    } else if (kind === "list" || kind === "map") {
      result = this.collection(field, node, path, at);
    } else {
      result = isScalar(node)
        ? this.scalar(field, node, path, at)
        : this.typeError(path, at, node, EXPECTED[kind]);
    }
    if (!result.ok || !field.check) return result;
    const message = field.check(result.value);
    if (message === undefined) return result;
    this.report(path, at, message);
    return FAIL;
  }

  typeError(path: string, line: number, node: unknown, expected?: string): Maybe {
    this.report(path, line, `Expected ${expected ?? "a mapping"}, got ${describeNode(node)}`);
    return FAIL;
  }

  scalar(field: AnyField, node: Scalar, path: string, line: number): Maybe {
    const v = node.value;
    const fail = (message: string): Maybe => {
      this.report(path, line, message);
      return FAIL;
    };
    const spec = field.spec;
    switch (spec.kind) {
      case "str":
        if (typeof v === "string") return { ok: true, value: v };
        if (typeof v === "number" || typeof v === "boolean") {
          return fail(`Expected a string, got ${describeNode(node)}; put it in quotes`);
        }
        return this.typeError(path, line, node, "a string");
      case "int":
        if (typeof v !== "number" || !Number.isInteger(v)) {
          return this.typeError(path, line, node, "an integer");
        }
        if (spec.min !== undefined && v < spec.min) return fail(`Must be at least ${spec.min}`);
        if (spec.max !== undefined && v > spec.max) return fail(`Must be at most ${spec.max}`);
        return { ok: true, value: v };
      case "bool":
        if (typeof v === "boolean") return { ok: true, value: v };
        return this.typeError(path, line, node, "true or false");
      case "enum":
        if (typeof v === "string" && spec.values.includes(v)) return { ok: true, value: v };
        return fail(`Expected one of ${spec.values.join(", ")}; got ${describeNode(node)}`);
      case "duration":
      case "size": {
        const parse = spec.kind === "duration" ? parseDuration : parseSize;
        if (typeof v !== "string" && typeof v !== "number") {
          return this.typeError(path, line, node, `a ${spec.kind}`);
        }
        const parsed = parse(String(v));
        return "error" in parsed ? fail(parsed.error) : { ok: true, value: parsed.value };
      }
      default:
        return this.typeError(path, line, node, "a string");
    }
  }

  /** A list or map; `node` undefined means empty. */
  collection(field: AnyField, node: unknown, path: string, line: number): Maybe {
    const spec = field.spec;
    if (spec.kind === "list") {
      if (node !== undefined && !isSeq(node)) return this.typeError(path, line, node, "a list");
      const items = node?.items ?? [];
      let ok = true;
      const out: unknown[] = [];
      items.forEach((item, i) => {
        const itemPath = childPath(path, i);
        const itemLine = isAlias(item) || isScalar(item) || isMap(item) || isSeq(item)
          ? this.lineOfNode(item, line)
          : line;
        this.lines.set(itemPath, itemLine);
        const r = this.convert(spec.of, item, itemPath, itemLine);
        if (r.ok) out.push(r.value);
        else ok = false;
      });
      if (items.length < spec.minItems) {
        const min = spec.minItems;
        this.report(path, line, min === 1 ? "Must not be empty" : `Needs at least ${min} entries`);
        return FAIL;
      }
      return ok ? { ok: true, value: out } : FAIL;
    }
    if (spec.kind !== "map") return FAIL;
    if (node !== undefined && !isMap(node)) return this.typeError(path, line, node);
    const entries: [string, unknown][] = [];
    const ok = this.pairs(node, path, line, true, (key, value, keyPath, keyLine) => {
      const keyProblem = spec.keyCheck?.(key);
      if (keyProblem !== undefined) {
        this.report(keyPath, keyLine, keyProblem);
        return false;
      }
      const r = this.convert(spec.of, value, keyPath, keyLine);
      if (r.ok) entries.push([key, r.value]);
      return r.ok;
    });
    return ok ? { ok: true, value: Object.fromEntries(entries) } : FAIL;
  }

  object(field: AnyField, node: YAMLMap | undefined, path: string, line: number): Maybe {
    const spec = field.spec;
    if (spec.kind !== "obj") return FAIL;
    const fields = spec.fields;
    const found = new Map<string, unknown>();
    let ok = this.pairs(node, path, line, false, (key, value, keyPath, keyLine) => {
      const f = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (!f) {
        this.report(keyPath, keyLine, unknownField(key, Object.keys(fields)));
        return false;
      }
      const r = this.convert(f, value, keyPath, keyLine);
      if (r.ok) found.set(key, r.value);
      return r.ok;
    });
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(fields)) {
      if (found.has(name)) {
        out[name] = found.get(name);
      } else if (this.lines.has(childPath(path, name))) {
        // Present but invalid: already reported.
      } else if (f.required) {
        this.report(childPath(path, name), line, "Missing required field");
        ok = false;
      } else if (f.default !== undefined) {
        out[name] = structuredClone(f.default);
      } else {
        const r = this.convert(f, undefined, childPath(path, name), line);
        if (r.ok) out[name] = r.value;
        else ok = false;
      }
    }
    return ok ? { ok: true, value: out } : FAIL;
  }

  /** Walks a mapping's pairs, reporting non-string and duplicate keys; false if any failed. */
  pairs(
    node: YAMLMap | undefined,
    path: string,
    line: number,
    isMapKey: boolean,
    each: (key: string, value: unknown, keyPath: string, keyLine: number) => boolean,
  ): boolean {
    let ok = true;
    const seen = new Map<string, number>();
    for (const pair of node?.items ?? []) {
      const k = isAlias(pair.key) ? pair.key.resolve(this.doc) : pair.key;
      const keyLine = isScalar(k) || isMap(k) || isSeq(k) ? this.lineOfNode(k, line) : line;
      if (!isScalar(k) || typeof k.value !== "string") {
        this.report(path, keyLine, `Expected a text key, got ${describeNode(k)}; put it in quotes`);
        ok = false;
        continue;
      }
      const keyPath = childPath(path, k.value, isMapKey);
      const first = seen.get(k.value);
      if (first !== undefined) {
        this.report(keyPath, keyLine, `Duplicate key; first defined on line ${first}`);
        ok = false;
        continue;
      }
      seen.set(k.value, keyLine);
      this.lines.set(keyPath, keyLine);
      if (!each(k.value, pair.value, keyPath, keyLine)) ok = false;
    }
    return ok;
  }
}

function describeNode(node: unknown): string {
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (!isScalar(node) || node.value === null || node.value === undefined) return "nothing";
  const v = node.value;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  return String(v);
}

function unknownField(key: string, known: string[]): string {
  const close = known.find((k) => k.toLowerCase() === key.toLowerCase()) ??
    known.find((k) => editDistance(k, key) <= 2);
  return close ? `Unknown field; did you mean ${close}?` : `Unknown field`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(sub, (prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
