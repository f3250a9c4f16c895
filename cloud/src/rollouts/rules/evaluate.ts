/**
 * A stage's verdict from its device counts. Success is a gate (the stage passes only when enough of
 * its switches are confirmed on the new version, then soaks); errors stop it early once a minimum
 * sample has ended. The functions are pure: the engine passes the clock and remembers successMetAt.
 */
import type { StageSpec } from './spec.ts';

export interface StageCounts {
  total: number;
  pending: number;
  waiting: number;
  updating: number;
  succeeded: number;
  failed: number;
  reverted: number;
  timeout: number;
  skipped: number;
  cancelled: number;
}

export type StageVerdict =
  | { kind: 'continue' }
  | { kind: 'soak'; until: number }
  | { kind: 'await_approval' }
  | { kind: 'passed' }
  | { kind: 'failed'; reason: 'error_threshold' | 'success_unreachable' | 'health'; detail: string };

/** A degraded health verdict during soak fails the stage (health.ts computes it). */
export interface StageHealth {
  degraded: boolean;
  detail: string;
}

const pct = (n: number): string => `${Math.round(n * 10) / 10} %`;

/** Success is a gate: passed only when succeeded ≥ successThreshold % of (total − skipped) AND soak is over.
 *  Errors: judged once ended (succeeded+failed+reverted+timeout) ≥ minSample (or, in a stage smaller than
 *  its minimum sample, once all its devices ended), over ended devices, failed when
 *  (failed+reverted+timeout)/ended × 100 > errorThreshold (strictly above). waiting never counts as failure.
 *  success_unreachable: every device ended (none pending, waiting or updating) and the success threshold
 *  is not met. */
export function evaluateStage(
  stage: StageSpec,
  counts: StageCounts,
  timing: { now: number; successMetAt: number | null },
  approvalGiven: boolean,
  health?: StageHealth,
): StageVerdict {
  const eligible = Math.max(0, counts.total - counts.skipped);
  const bad = counts.failed + counts.reverted + counts.timeout;
  const ended = counts.succeeded + bad;
  const sample = Math.min(stage.minSample, eligible);
  if (ended > 0 && ended >= sample && bad * 100 > stage.errorThreshold * ended) {
    return {
      kind: 'failed',
      reason: 'error_threshold',
      detail:
        `${pct((bad * 100) / ended)} of ${ended} ended devices did not update (failed ${counts.failed}, ` +
        `reverted ${counts.reverted}, timed out ${counts.timeout}); threshold ${stage.errorThreshold} %`,
    };
  }
  // Integer comparison (succeeded / eligible ≥ threshold / 100) so 95 % of 20 is exactly 19.
  const successMet = counts.succeeded * 100 >= stage.successThreshold * eligible;
  if (!successMet) {
    // Only once nothing is left to run: before that, the minimum sample and the error threshold decide
    // whether to stop early, so a few early failures never end a stage on their own.
    if (counts.pending + counts.waiting + counts.updating > 0) return { kind: 'continue' };
    return {
      kind: 'failed',
      reason: 'success_unreachable',
      detail: `${counts.succeeded} of ${eligible} devices confirmed, below the success threshold of ${stage.successThreshold} %`,
    };
  }
  if (health?.degraded) return { kind: 'failed', reason: 'health', detail: health.detail };
  const until = (timing.successMetAt ?? timing.now) + stage.soakSeconds * 1000;
  if (timing.now < until) return { kind: 'soak', until };
  if (stage.approval && !approvalGiven) return { kind: 'await_approval' };
  return { kind: 'passed' };
}
