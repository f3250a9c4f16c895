/** Shared builders for the rollout rule tests: a resolved spec from a few overrides and a seeded RNG. */
import { type RolloutSpec, type ResolvedRolloutSpec, resolveSpec } from '../../src/rollouts/rules/spec.ts';

export const MINUTE = 60_000;

export function makeSpec(overrides: Partial<RolloutSpec> = {}): ResolvedRolloutSpec {
  return resolveSpec({ releaseId: 'rel-1', stages: [{ percent: 100 }], ...overrides });
}

/** mulberry32: a tiny seeded generator, so a failing random case is the same case on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
