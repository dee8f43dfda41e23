/**
 * MIME structure of a message with byte offsets: parse once at delivery, serve any part
 * later by byte range. See `structure.ts` for the contract.
 *
 * @module
 */
export * from "./structure.ts";
export * from "./problem.ts";
export * from "./text.ts";
