/**
 * Postern's configuration: the schema DSL, validation with file:line problems, annotated
 * examples, and the two config files (`config/postern.yaml`, `config/domains.yaml`).
 *
 * @module
 */

export * from "./schema.ts";
export * from "./validate.ts";
export * from "./describe.ts";
export * from "./postern.ts";
export * from "./domains.ts";
export { formatDuration, formatSize, type Parsed, parseDuration, parseSize } from "./_units.ts";
export * from "./edit.ts";
