/**
 * Prints a fully annotated example config file from a schema.
 *
 * Contract: `describe(schema)` returns YAML in which every field is preceded by `# `
 * comment lines (its doc; "Required"; the allowed values or range; the default when an
 * example is shown instead) and set to its example value if it has one, else its
 * default. The output validates cleanly against the schema, and reads back as the
 * defaults with examples in place. It is what `postern config describe` prints and what
 * the files in `config/` hold. Top-level fields are separated by a blank line.
 *
 * @module
 */

import { stringify } from "yaml";
import type { AnyField, Fields } from "./schema.ts";
import { formatDuration, formatSize } from "./_units.ts";

/** Returns an annotated example YAML file for `schema` (an `obj`). */
export function describe(schema: AnyField): string {
  if (schema.spec.kind !== "obj") throw new Error("Cannot describe schema: the root must be obj");
  const out = [`# ${schema.doc}`];
  body(out, "", schema.spec.fields, shownValue(schema), true);
  return out.join("\n") + "\n";
}

/** The value describe shows for a field: its example, else its default. */
function shownValue(field: AnyField): unknown {
  if (field.example !== undefined) return field.example;
  if (field.spec.kind === "obj") {
    const fields = Object.entries(field.spec.fields);
    return Object.fromEntries(fields.map(([name, f]) => [name, shownValue(f)]));
  }
  if (field.default !== undefined) return field.default;
  throw new Error(`Cannot describe field "${field.doc}": it is required and has no example`);
}

/** Fields of an object `value` at `indent`. */
function body(out: string[], indent: string, fields: Fields, value: unknown, top = false): void {
  const values = isRecord(value) ? value : {};
  for (const [name, field] of Object.entries(fields)) {
    const v = Object.hasOwn(values, name) ? values[name] : shownValue(field);
    if (top) out.push("");
    for (const line of comments(field, v)) out.push(`${indent}# ${line}`);
    entry(out, indent, name, field, v);
  }
}

function comments(field: AnyField, value: unknown): string[] {
  const lines = [field.doc];
  const spec = field.spec;
  if (field.required) lines.push("Required");
  if (spec.kind === "enum") lines.push(`One of: ${spec.values.join(", ")}`);
  if (spec.kind === "int" && spec.min !== undefined && spec.max !== undefined) {
    lines.push(`From ${spec.min} to ${spec.max}`);
  } else if (spec.kind === "int" && spec.min !== undefined) lines.push(`At least ${spec.min}`);
  else if (spec.kind === "int" && spec.max !== undefined) lines.push(`At most ${spec.max}`);
  if (spec.kind === "list" && spec.minItems > 0) lines.push("Must not be empty");
  if (field.example !== undefined && value === field.example && field.default !== undefined) {
    lines.push(`Example; the default is ${inline(field, field.default)}`);
  }
  return lines;
}

/** `key: value` or `key:` with a nested block. */
function entry(out: string[], indent: string, key: string, field: AnyField, value: unknown): void {
  const head = `${indent}${scalarText(key)}:`;
  const spec = field.spec;
  if (spec.kind === "obj") {
    out.push(head);
    body(out, indent + "  ", spec.fields, value);
  } else if (spec.kind === "list") {
    const items = Array.isArray(value) ? value : [];
    if (items.length === 0) return void out.push(`${head} []`);
    out.push(head);
    for (const item of items) listItem(out, indent + "  ", spec.of, item);
  } else if (spec.kind === "map") {
    const entries = Object.entries(isRecord(value) ? value : {});
    if (entries.length === 0) return void out.push(`${head} {}`);
    out.push(head);
    for (const [k, v] of entries) entry(out, indent + "  ", k, spec.of, v);
  } else {
    out.push(`${head} ${inline(field, value)}`);
  }
}

/** `- value`, or an object whose first field shares the dash's line. */
function listItem(out: string[], indent: string, of: AnyField, item: unknown): void {
  const spec = of.spec;
  if (spec.kind === "list" || spec.kind === "map") {
    throw new Error("Cannot describe schema: lists of lists or maps are not supported");
  }
  if (spec.kind !== "obj") return void out.push(`${indent}- ${inline(of, item)}`);
  const lines: string[] = [];
  body(lines, indent + "  ", spec.fields, item);
  const first = lines.findIndex((l) => !l.trimStart().startsWith("#"));
  lines.forEach((line, i) => {
    if (i < first) out.push(indent + line.trimStart());
    else if (i === first) out.push(`${indent}- ${line.trimStart()}`);
    else out.push(line);
  });
}

/** A scalar (or empty collection) as YAML on one line. */
function inline(field: AnyField, value: unknown): string {
  const kind = field.spec.kind;
  if (kind === "duration" && typeof value === "number") return formatDuration(value);
  if (kind === "size" && typeof value === "number") return scalarText(formatSize(value));
  if (Array.isArray(value) && value.length === 0) return "[]";
  if (isRecord(value) && Object.keys(value).length === 0) return "{}";
  return scalarText(value);
}

function scalarText(value: unknown): string {
  return stringify(value, { lineWidth: 0, collectionStyle: "flow" }).trimEnd();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
