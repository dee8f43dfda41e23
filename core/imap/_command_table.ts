/**
 * Types and state sets shared by the command handler modules (commands*.ts), kept apart
 * so those modules and the table that joins them do not import each other.
 */

import type { Command, CommandName } from "./command.ts";
import type { ImapSession } from "./session.ts";

export type SessionState = "notAuthenticated" | "authenticated" | "selected" | "logout";

/** The command type of verb `N` (members whose `name` is a union are narrowed to `N`). */
export type CommandOf<N extends CommandName> = Command extends infer C
  ? C extends { name: infer M } ? N extends M ? C & { name: N } : never : never
  : never;

export interface CommandEntry<N extends CommandName> {
  states: readonly SessionState[];
  run(s: ImapSession, cmd: CommandOf<N>): Promise<string | undefined>;
  /** True when untagged EXPUNGE must wait until after this command (RFC 9051 §7.5.1). */
  holdsExpunge?(cmd: CommandOf<N>): boolean;
}

export const any: readonly SessionState[] = ["notAuthenticated", "authenticated", "selected"];
export const authed: readonly SessionState[] = ["authenticated", "selected"];
export const selectedOnly: readonly SessionState[] = ["selected"];
export const notAuthed: readonly SessionState[] = ["notAuthenticated"];
