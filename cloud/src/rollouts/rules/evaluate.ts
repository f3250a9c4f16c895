/** A stage's verdict from its devices' counts. */
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

export function evaluateStage(
  stage: StageSpec,
  counts: StageCounts,
  timing: { now: number; successMetAt: number | null },
  approvalGiven: boolean,
): StageVerdict {
  const bad = counts.failed + counts.reverted + counts.timeout;
  const ended = counts.succeeded + bad;
  if (ended >= stage.minSample && ended > 0 && (bad / ended) * 100 > stage.errorThreshold) {
    return { kind: 'failed', reason: 'error_threshold', detail: `${bad} of ${ended} ended devices failed` };
  }
  const eligible = counts.total - counts.skipped;
  const needed = Math.ceil((stage.successThreshold / 100) * eligible - 1e-9);
  if (counts.succeeded < needed) {
    const open = counts.pending + counts.waiting + counts.updating;
    if (counts.succeeded + open < needed) {
      return { kind: 'failed', reason: 'success_unreachable', detail: `${counts.succeeded} of ${needed} needed` };
    }
    return { kind: 'continue' };
  }
  const until = (timing.successMetAt ?? timing.now) + stage.soakSeconds * 1000;
  if (timing.now < until) return { kind: 'soak', until };
  if (stage.approval && !approvalGiven) return { kind: 'await_approval' };
  return { kind: 'passed' };
}
