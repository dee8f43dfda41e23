/**
 * A small schema DSL for Postern's YAML config files.
 *
 * Contract: every field has a kind, a one-line `doc`, and either a default or
 * `required: true`; `Infer<typeof schema>` is the type of the value `validate` returns,
 * with every field present (defaults filled). Schemas are plain data: `validate.ts`
 * reads YAML against them and `describe.ts` prints annotated examples from them.
 * Constructors throw on schema mistakes (a field with neither default nor `required`,
 * a default that does not parse), which are programming errors found at import time.
 *
 * Implementation notes: `Field<T>` carries `T` only through `default`, `example` and
 * `check`; `check` uses method syntax so that `Field<string>` is a `Field<unknown>`.
 * Options are `NoInfer` so that `T` comes from the kind (an example like `"debug"` must
 * not widen an enum to `string`).
 *
 * @module
 */

import { parseDuration, parseSize } from "./_units.ts";

/** What a field holds; see the constructor of the same name for each. */
export type Spec =
  | { readonly kind: "str" }
  | { readonly kind: "int"; readonly min: number | undefined; readonly max: number | undefined }
  | { readonly kind: "bool" }
  | { readonly kind: "duration" }
  | { readonly kind: "size" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "list"; readonly of: AnyField; readonly minItems: number }
  | {
    readonly kind: "map";
    readonly of: AnyField;
    readonly keyCheck: ((key: string) => string | undefined) | undefined;
  }
  | { readonly kind: "obj"; readonly fields: Readonly<Record<string, AnyField>> };

/** A schema node producing values of type `T`. */
export interface Field<T> {
  readonly spec: Spec;
  /** One line of documentation, sentence case, no trailing period. */
  readonly doc: string;
  /** Absent is an error; `default` is then undefined. */
  readonly required: boolean;
  /** Value for an absent field; undefined when required or (obj) when computed per field. */
  readonly default: T | undefined;
  /** Shown by `describe` instead of the default, e.g. for an empty list. */
  readonly example: T | undefined;
  /** Extra validation of a well-typed value: an error message or undefined. */
  check?(value: T): string | undefined;
}

/** Any field; what containers hold. */
export type AnyField = Field<unknown>;

/** The value type a field produces. */
export type Infer<S> = S extends Field<infer T> ? T : never;

/** Options common to all kinds. */
export interface FieldOptions<T> {
  /** One line of documentation, sentence case, no trailing period. */
  doc: string;
  /** Absent is an error. */
  required?: boolean;
  /** Shown by `describe` instead of an empty default. */
  example?: T;
  /** Extra validation: return an error message (sentence case, no period) or undefined. */
  check?: (value: T) => string | undefined;
}

/** Options of scalar kinds, whose default is written in config syntax for durations/sizes. */
export interface ScalarOptions<T, D = T> extends FieldOptions<T> {
  default?: D;
}

function make<T>(spec: Spec, opts: FieldOptions<T>, dflt: T | undefined): Field<T> {
  const required = opts.required ?? false;
  if (required === (dflt !== undefined) && spec.kind !== "obj") {
    throw new Error(`Cannot define field "${opts.doc}": give it either a default or required`);
  }
  const field: Field<T> = {
    spec,
    doc: opts.doc,
    required,
    default: required ? undefined : dflt,
    example: opts.example,
  };
  return opts.check ? { ...field, check: opts.check } : field;
}

function unit(parsed: { value: number } | { error: string }): number {
  if ("error" in parsed) throw new Error(`Cannot define field: ${parsed.error}`);
  return parsed.value;
}

/** A string. */
export function str(opts: ScalarOptions<string>): Field<string> {
  return make({ kind: "str" }, opts, opts.default);
}

/** An integer, optionally bounded (inclusive). */
export function int(opts: ScalarOptions<number> & { min?: number; max?: number }): Field<number> {
  return make({ kind: "int", min: opts.min, max: opts.max }, opts, opts.default);
}

/** `true` or `false`. */
export function bool(opts: ScalarOptions<boolean>): Field<boolean> {
  return make({ kind: "bool" }, opts, opts.default);
}

/** A duration like "250ms", "30s", "1h30m" (or 0), as milliseconds; default in that syntax. */
export function duration(opts: ScalarOptions<number, string>): Field<number> {
  const dflt = opts.default === undefined ? undefined : unit(parseDuration(opts.default));
  return make({ kind: "duration" }, opts, dflt);
}

/** A size like "512KB", "20MB" or a number of bytes (KB = 1024), as bytes. */
export function size(opts: ScalarOptions<number, string | number>): Field<number> {
  const d = opts.default;
  const dflt = d === undefined ? undefined : typeof d === "number" ? d : unit(parseSize(d));
  return make({ kind: "size" }, opts, dflt);
}

/** One of a fixed set of strings. */
export function enumOf<const V extends readonly string[]>(
  values: V,
  opts: ScalarOptions<NoInfer<V[number]>>,
): Field<V[number]> {
  return make({ kind: "enum", values }, opts, opts.default);
}

/** A YAML sequence of `of`; defaults to the empty list unless required. */
export function list<T>(
  of: Field<T>,
  opts: ScalarOptions<NoInfer<T[]>> & { minItems?: number },
): Field<T[]> {
  const dflt = opts.required ? undefined : opts.default ?? [];
  return make({ kind: "list", of, minItems: opts.minItems ?? 0 }, opts, dflt);
}

/** A YAML mapping from arbitrary string keys (checked by `keyCheck`) to `of`; default `{}`. */
export function map<T>(
  of: Field<T>,
  opts: ScalarOptions<NoInfer<Record<string, T>>> & {
    keyCheck?: (key: string) => string | undefined;
  },
): Field<Record<string, T>> {
  const dflt = opts.required ? undefined : opts.default ?? {};
  return make({ kind: "map", of, keyCheck: opts.keyCheck }, opts, dflt);
}

/** Field definitions of an object. */
export type Fields = Readonly<Record<string, AnyField>>;

/** The value type of an object with fields `F`. */
export type InferFields<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/**
 * A YAML mapping with exactly these fields; unknown keys are errors. Its default is
 * computed from the fields' defaults (undefined if one is required).
 */
export function obj<F extends Fields>(
  fields: F,
  opts: FieldOptions<NoInfer<InferFields<F>>>,
): Field<InferFields<F>> {
  const entries = Object.entries(fields);
  const complete = entries.every(([, f]) => f.default !== undefined);
  const dflt = complete
    ? Object.fromEntries(entries.map(([k, f]) => [k, f.default])) as InferFields<F>
    : undefined;
  return make({ kind: "obj", fields }, opts, opts.required ? undefined : dflt);
}
