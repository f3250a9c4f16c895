import { rolloutDeviceStates } from '../db/schema.ts';

/** A rollout's devices counted by state; a timeout is counted apart from other failures. */
export const COUNT_KEYS = [...rolloutDeviceStates, 'timeout'] as const;
export type Counts = Record<(typeof COUNT_KEYS)[number], number>;
export const emptyCounts = (): Counts => Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as unknown as Counts;
