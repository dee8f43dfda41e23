/**
 * mbox and maildir codecs for `postern import` and `postern export`: pure and streaming,
 * no file I/O.
 * @module
 */

export * from "./limits.ts";
export * from "./maildir.ts";
export * from "./mbox.ts";
export * from "./mbox_write.ts";
