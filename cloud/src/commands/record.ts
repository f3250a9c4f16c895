/** A command as stored, in the shape services hand out. */
import type { commands, CommandRowStatus } from '../db/schema.ts';

export type CommandRecord = typeof commands.$inferSelect;
export type { CommandRowStatus };

export const OPEN_STATUSES = ['pending', 'sent'] as const satisfies readonly CommandRowStatus[];

export function isTerminal(status: CommandRowStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'expired';
}
