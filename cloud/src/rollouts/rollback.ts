/**
 * A rollback is itself a staged rollout: back to the previous passed release, for the switches the
 * halted rollout updated, under the same caps, windows and gates. Its stages scale to that smaller
 * set by themselves: a share stays a share of it, a count (a canary) stays a count, at most all of it.
 * An abort of the rollback halts it (a rollback is not rolled back).
 */
import type { ResolvedRolloutSpec, RolloutSpec } from './rules/spec.ts';

export function rollbackSpec(spec: ResolvedRolloutSpec, releaseId: string, deviceIds: string[]): RolloutSpec {
  // Resolved stages carry their size as a count or a percent; a preset beside it would be a second size.
  const stages = spec.stages.map(({ preset: _preset, ...stage }) => stage);
  return {
    ...spec,
    releaseId,
    target: { fromVersions: [], homeIds: [], gatewayIds: [], deviceIds },
    stages,
    onAbort: 'halt',
  };
}
