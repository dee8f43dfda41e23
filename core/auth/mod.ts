/**
 * Password credentials and SASL server mechanisms: PLAIN, LOGIN, SCRAM-SHA-1,
 * SCRAM-SHA-256 and their -PLUS variants.
 * @module
 */

export * from "./base64.ts";
export * from "./credentials.ts";
export * from "./error.ts";
export * from "./limits.ts";
export * from "./plain.ts";
export * from "./saslprep.ts";
export * from "./scram.ts";
