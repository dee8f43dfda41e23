/**
 * Test helpers shared by the parser's tests: commands are framed by the real framer,
 * then parsed.
 */

import assert from "node:assert/strict";
import type { Command, ParseErrorCode, SearchKey, SequenceSet } from "./command.ts";
import { type FramedCommand, ImapFramer } from "./framer.ts";
import { parseCommand, ParseError, type ParseOptions } from "./parser.ts";

const encoder = new TextEncoder();
export const bytes = (s: string) => encoder.encode(s);

/** Frames `input` (CRLF appended) with the real framer; it must hold one command. */
export function frameOne(input: string | Uint8Array): FramedCommand {
  const framer = new ImapFramer({ appendLimit: 1 << 20 });
  const commands: FramedCommand[] = [];
  let events = framer.push(typeof input === "string" ? bytes(`${input}\r\n`) : input);
  while (events.length > 0) {
    for (const event of events) {
      if (event.kind === "error") assert.fail(event.error.message);
      if (event.kind === "command") commands.push(event.command);
    }
    events = framer.push();
  }
  assert.equal(commands.length, 1, "one command");
  return commands[0]!;
}

export function parse(input: string | Uint8Array, options?: ParseOptions): Command | ParseError {
  return parseCommand(frameOne(input), options);
}

export function ok(input: string | Uint8Array, options?: ParseOptions): Command {
  const result = parse(input, options);
  if (result instanceof ParseError) assert.fail(`${result.message} at ${result.position}`);
  return result;
}

export function bad(
  input: string | Uint8Array,
  code: ParseErrorCode = "Syntax",
  options?: ParseOptions,
): ParseError {
  const result = parse(input, options);
  assert.ok(result instanceof ParseError, `expected ${code} for ${JSON.stringify(input)}`);
  assert.equal(result.code, code, result.message);
  assert.match(result.message, /^Cannot parse command: /);
  return result;
}

export const set = (...ranges: [number | "*", (number | "*")?][]): SequenceSet => ({
  kind: "ranges",
  ranges: ranges.map(([first, last]) => ({ first, last: last ?? first })),
});

export const search = (command: Command): SearchKey[] => {
  assert.ok(command.name === "SEARCH");
  return command.criteria;
};
