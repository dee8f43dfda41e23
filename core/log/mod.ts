/**
 * logfmt logging: per-thread configuration, per-package levels, protocol transcripts
 * with credential and message-data redaction. See `log.ts` for the contract.
 *
 * @module
 */
export * from "./log.ts";
