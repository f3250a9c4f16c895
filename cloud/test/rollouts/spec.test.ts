import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { RolloutError } from '../../src/rollouts/rules/errors.ts';
import {
  ROLLOUT_DEFAULTS,
  ROLLOUT_EXAMPLE,
  type RolloutSpec,
  RolloutSpecSchema,
  resolveSpec,
  STAGE_DEFAULTS,
} from '../../src/rollouts/rules/spec.ts';

const invalid = (spec: unknown): RolloutError => {
  try {
    resolveSpec(spec as RolloutSpec);
  } catch (err) {
    if (err instanceof RolloutError) return err;
    throw err;
  }
  throw new Error('resolveSpec accepted an invalid spec');
};

describe('rollout spec', () => {
  it('accepts the documented example and keeps every value it gives', () => {
    expect(Value.Check(RolloutSpecSchema, ROLLOUT_EXAMPLE)).toBe(true);
    const spec = resolveSpec(ROLLOUT_EXAMPLE);
    expect(spec.onAbort).toBe('rollback');
    expect(spec.windows).toEqual([
      { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '01:00', to: '05:00' },
    ]);
    expect(spec.stages[0]).toEqual({
      count: 1,
      successThreshold: 100,
      errorThreshold: 0,
      minSample: 1,
      soakSeconds: 600,
      approval: false,
    });
    // The third stage gives only percent and soak: the rest are the stage defaults.
    expect(spec.stages[2]).toEqual({ percent: 100, ...STAGE_DEFAULTS, soakSeconds: 0, approval: false });
  });

  it('fills every default when only releaseId and stages are given, and resolves presets', () => {
    const spec = resolveSpec({ releaseId: 'r', stages: [{ preset: 'one' }, { preset: '10%' }, { preset: '100%' }] });
    expect({ ...spec, releaseId: undefined, stages: undefined }).toEqual({
      ...ROLLOUT_DEFAULTS,
      releaseId: undefined,
      stages: undefined,
    });
    expect(spec.stages.map((s) => [s.count, s.percent])).toEqual([
      [1, undefined],
      [undefined, 10],
      [undefined, 100],
    ]);
    expect(ROLLOUT_DEFAULTS.caps).toEqual({ perGateway: 1, perHomePercent: 50, fleet: 500 });
  });

  it('merges partial objects with their defaults', () => {
    const spec = resolveSpec({
      releaseId: 'r',
      stages: [{ percent: 100 }],
      caps: { fleet: 7 },
      health: { confidence: 0.99 },
    });
    expect(spec.caps).toEqual({ perGateway: 1, perHomePercent: 50, fleet: 7 });
    expect(spec.health).toEqual({ enabled: true, confidence: 0.99 });
  });

  it.each([
    ['no stage size', { stages: [{ successThreshold: 90 }] }, 'stages[0]'],
    ['two stage sizes', { stages: [{ count: 1, percent: 100 }] }, 'stages[0]'],
    ['percent below 1', { stages: [{ percent: 0.5 }, { percent: 100 }] }, 'stages[0].percent'],
    ['percent above 100', { stages: [{ percent: 101 }] }, 'stages[0].percent'],
    ['shrinking percents', { stages: [{ percent: 50 }, { percent: 10 }, { percent: 100 }] }, 'stages[1].percent'],
    ['shrinking counts', { stages: [{ count: 5 }, { count: 2 }, { percent: 100 }] }, 'stages[1].count'],
    ['a last stage short of 100 %', { stages: [{ count: 1 }, { percent: 50 }] }, 'stages[1]'],
    [
      'a success threshold above 100',
      { stages: [{ percent: 100, successThreshold: 120 }] },
      'stages[0].successThreshold',
    ],
    ['a negative error threshold', { stages: [{ percent: 100, errorThreshold: -1 }] }, 'stages[0].errorThreshold'],
    ['a time that is not HH:MM', { windows: [{ from: '25:00', to: '05:00' }] }, 'windows[0]'],
    ['an unknown day', { windows: [{ days: ['someday'], from: '01:00', to: '05:00' }] }, 'windows[0].days'],
    ['a zero gateway cap', { caps: { perGateway: 0 } }, 'caps.perGateway'],
    ['a confidence of 1', { health: { confidence: 1 } }, 'health.confidence'],
    ['an unknown abort action', { onAbort: 'explode' }, 'onAbort'],
  ])('refuses %s with INVALID_SPEC (422) naming the field', (_name, patch, field) => {
    const err = invalid({ releaseId: 'r', stages: [{ percent: 100 }], ...patch });
    expect(err.code).toBe('INVALID_SPEC');
    expect(err.statusCode).toBe(422);
    expect(err.details).toEqual({ field });
  });

  it('the schema refuses unknown fields and a missing releaseId', () => {
    expect(Value.Check(RolloutSpecSchema, { ...ROLLOUT_EXAMPLE, extra: 1 })).toBe(false);
    expect(Value.Check(RolloutSpecSchema, { stages: [{ percent: 100 }] })).toBe(false);
    expect(invalid({ stages: [{ percent: 100 }] }).details).toEqual({ field: 'releaseId' });
    // Ids the database holds as uuid, and text without U+0000, are checked before any statement sees them.
    const withTarget = (target: object) => Value.Check(RolloutSpecSchema, { ...ROLLOUT_EXAMPLE, target });
    expect(withTarget({ deviceIds: ['not-a-uuid'] })).toBe(false);
    expect(withTarget({ gatewayIds: ['gw\u0000'] })).toBe(false);
    expect(withTarget({ gatewayIds: ['gw-1'], deviceIds: ['5a0e8d3c-1b2f-4a6e-8c9d-0e1f2a3b4c5d'] })).toBe(true);
    expect(Value.Check(RolloutSpecSchema, { ...ROLLOUT_EXAMPLE, releaseId: 'r1' })).toBe(false);
  });

  it('each error code carries its HTTP status', () => {
    const status = (code: RolloutError['code']) => new RolloutError(code, 'x').statusCode;
    expect([
      status('INVALID_SPEC'),
      status('NOT_FOUND'),
      status('INVALID_TRANSITION'),
      status('DEVICE_IN_ROLLOUT'),
    ]).toEqual([422, 404, 409, 409]);
  });
});
