import { describe, expect, it } from 'vitest';
import { evaluateStage, type StageCounts } from '../../src/rollouts/rules/evaluate.ts';
import type { StageSpec } from '../../src/rollouts/rules/spec.ts';

const T0 = Date.parse('2026-01-15T02:00:00Z');
const stage = (patch: Partial<StageSpec> = {}): StageSpec => ({
  percent: 50,
  successThreshold: 95,
  errorThreshold: 5,
  minSample: 10,
  soakSeconds: 600,
  approval: false,
  ...patch,
});
const counts = (patch: Partial<StageCounts>): StageCounts => {
  const c = { pending: 0, waiting: 0, updating: 0, succeeded: 0, failed: 0, reverted: 0, timeout: 0, skipped: 0 };
  const merged = { ...c, cancelled: 0, ...patch };
  const total =
    merged.pending +
    merged.waiting +
    merged.updating +
    merged.succeeded +
    merged.failed +
    merged.reverted +
    merged.timeout +
    merged.skipped +
    merged.cancelled;
  return { total, ...merged };
};
const soakOver = { now: T0 + 600_000, successMetAt: T0 };

describe('evaluateStage', () => {
  it('success is a gate: a finished stage below the threshold does not pass, even with no errors', () => {
    const lenient = stage({ errorThreshold: 100 });
    const verdict = evaluateStage(lenient, counts({ succeeded: 18, cancelled: 2 }), soakOver, true);
    expect(verdict).toMatchObject({ kind: 'failed', reason: 'success_unreachable' });
    // 18 of 20 confirmed and 2 still to come: it keeps running, it does not pass.
    expect(evaluateStage(lenient, counts({ succeeded: 18, waiting: 2 }), soakOver, true)).toEqual({
      kind: 'continue',
    });
    expect(evaluateStage(lenient, counts({ succeeded: 19, waiting: 1 }), soakOver, true)).toEqual({ kind: 'passed' });
  });

  it('skipped devices are not part of the stage the threshold is taken of', () => {
    expect(evaluateStage(stage(), counts({ succeeded: 19, skipped: 5 }), soakOver, false)).toEqual({ kind: 'passed' });
  });

  it('errors are not judged before the minimum sample has ended', () => {
    expect(evaluateStage(stage(), counts({ failed: 3, pending: 47 }), soakOver, false)).toEqual({ kind: 'continue' });
    const verdict = evaluateStage(stage(), counts({ failed: 3, succeeded: 7, pending: 40 }), soakOver, false);
    expect(verdict).toMatchObject({ kind: 'failed', reason: 'error_threshold' });
  });

  it('a stage smaller than its minimum sample is judged once all of it ended', () => {
    const small = stage({ successThreshold: 60 });
    expect(evaluateStage(small, counts({ succeeded: 3, failed: 2 }), soakOver, false)).toMatchObject({
      kind: 'failed',
      reason: 'error_threshold',
    });
  });

  it('the error threshold is strictly above: equal is not a failure', () => {
    const ten = stage({ errorThreshold: 10, successThreshold: 80 });
    expect(evaluateStage(ten, counts({ failed: 1, succeeded: 9, pending: 10 }), soakOver, false)).toEqual({
      kind: 'continue',
    });
    expect(evaluateStage(ten, counts({ failed: 2, succeeded: 8, pending: 10 }), soakOver, false)).toMatchObject({
      kind: 'failed',
      reason: 'error_threshold',
    });
  });

  it('failure kinds count apart and together: reverted and timed out are failures too', () => {
    const verdict = evaluateStage(
      stage(),
      counts({ reverted: 1, timeout: 1, succeeded: 8, pending: 10 }),
      soakOver,
      false,
    );
    expect(verdict).toMatchObject({ kind: 'failed', reason: 'error_threshold' });
    expect(verdict.kind === 'failed' && verdict.detail).toContain('reverted 1, timed out 1');
  });

  it('waiting is not a failure', () => {
    expect(evaluateStage(stage(), counts({ waiting: 40, succeeded: 10 }), soakOver, false)).toEqual({
      kind: 'continue',
    });
  });

  it('soaks once the gate is met, then waits for approval, then passes', () => {
    const gated = stage({ approval: true });
    const met = counts({ succeeded: 20 });
    expect(evaluateStage(gated, met, { now: T0 + 1000, successMetAt: T0 }, false)).toEqual({
      kind: 'soak',
      until: T0 + 600_000,
    });
    // The engine has not recorded the moment yet: the soak starts now.
    expect(evaluateStage(gated, met, { now: T0, successMetAt: null }, false)).toEqual({
      kind: 'soak',
      until: T0 + 600_000,
    });
    expect(evaluateStage(gated, met, soakOver, false)).toEqual({ kind: 'await_approval' });
    expect(evaluateStage(gated, met, soakOver, true)).toEqual({ kind: 'passed' });
    expect(evaluateStage(stage(), met, soakOver, false)).toEqual({ kind: 'passed' });
    expect(evaluateStage(stage({ soakSeconds: 0 }), met, { now: T0, successMetAt: null }, false)).toEqual({
      kind: 'passed',
    });
  });

  it('an empty stage (the plan had no new device for it) passes after its soak', () => {
    expect(evaluateStage(stage(), counts({}), { now: T0, successMetAt: null }, false)).toEqual({
      kind: 'soak',
      until: T0 + 600_000,
    });
    expect(evaluateStage(stage(), counts({ skipped: 3 }), soakOver, false)).toEqual({ kind: 'passed' });
  });

  it('a degraded health verdict during soak fails the stage', () => {
    const verdict = evaluateStage(stage(), counts({ succeeded: 20 }), { now: T0 + 1000, successMetAt: T0 }, false, {
      degraded: true,
      detail: 'command failure rate 0.2 vs 0.01',
    });
    expect(verdict).toEqual({ kind: 'failed', reason: 'health', detail: 'command failure rate 0.2 vs 0.01' });
  });
});
