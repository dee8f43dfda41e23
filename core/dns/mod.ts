/**
 * DNS stub resolver with the DNSSEC AD bit, for SPF/DKIM/DMARC, MX, DANE and MTA-STS:
 * {@linkcode Resolver} over a {@linkcode DnsTransport}, its wire codec, name handling,
 * and an adapter for npm:mailauth.
 * @module
 */

export * from "./cache.ts";
export * from "./error.ts";
export * from "./ip.ts";
export * from "./limits.ts";
export * from "./mailauth.ts";
export * from "./name.ts";
export * from "./query.ts";
export * from "./resolver.ts";
export * from "./transport.ts";
export * from "./types.ts";
export * from "./wire.ts";
