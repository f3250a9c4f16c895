/**
 * The body of a rollout (POST /v1/admin/rollouts and /plan) as a TypeBox schema, its defaults, and
 * resolveSpec, which fills every default and checks what a JSON Schema cannot express.
 */
import { type Static, Type } from 'typebox';
import { RolloutError } from './errors.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];
const DaySchema = Type.Union([
  Type.Literal('mon'),
  Type.Literal('tue'),
  Type.Literal('wed'),
  Type.Literal('thu'),
  Type.Literal('fri'),
  Type.Literal('sat'),
  Type.Literal('sun'),
]);
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

const Percent = (description: string) => Type.Number({ minimum: 0, maximum: 100, description });
/** PostgreSQL's text cannot hold U+0000, so a string with it would fail in a statement (a 5xx): refused here. */
const NO_NUL = '^[^\\u0000]*$';
const MAX_IDS = 10_000;
const Uuids = (description: string) =>
  Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: MAX_IDS, description }));
const Texts = (description: string) =>
  Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL }), { maxItems: MAX_IDS, description }),
  );

const StageSchema = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, description: 'Cumulative number of target switches' })),
    percent: Type.Optional(
      Type.Number({ minimum: 1, maximum: 100, description: 'Cumulative share of the target, 1..100' }),
    ),
    preset: Type.Optional(
      Type.Union([Type.Literal('one'), Type.Literal('10%'), Type.Literal('50%'), Type.Literal('100%')], {
        description: 'Shorthand for count 1 or percent 10, 50, 100',
      }),
    ),
    successThreshold: Type.Optional(Percent('% of the stage confirmed on the new version for it to pass (95)')),
    errorThreshold: Type.Optional(Percent('Stage fails when failed+reverted+timed out exceed this % of ended (5)')),
    minSample: Type.Optional(Type.Integer({ minimum: 1, description: 'Ended devices before errors are judged (10)' })),
    soakSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'Watch time after the success gate (600)' })),
    approval: Type.Optional(
      Type.Boolean({
        description:
          'Open this stage only after an operator approve, given once the stage before it has soaked (false)',
      }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of count, percent or preset' },
);

const WindowSchema = Type.Object(
  {
    days: Type.Optional(
      Type.Array(DaySchema, {
        minItems: 1,
        description: 'Days the window starts on, in the home time zone (every day)',
      }),
    ),
    from: Type.String({ pattern: HH_MM.source, description: 'Local start, HH:MM' }),
    to: Type.String({ pattern: HH_MM.source, description: 'Local end, HH:MM; at or before from: spans midnight' }),
  },
  { additionalProperties: false },
);

export const ROLLOUT_EXAMPLE = {
  releaseId: '9c2d4e6f-8a0b-4c1d-8e3f-5a7b9c1d3e5f',
  target: { fromVersions: [], homeIds: [], gatewayIds: [], deviceIds: [] },
  stages: [
    { count: 1, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 600, approval: false },
    { percent: 50, successThreshold: 95, errorThreshold: 5, minSample: 10, soakSeconds: 3600 },
    { percent: 100, soakSeconds: 0 },
  ],
  caps: { perGateway: 1, perHomePercent: 50, fleet: 500 },
  retry: { max: 2, backoffSeconds: 60 },
  deviceTimeoutSeconds: 900,
  windows: [{ days: [...DAYS], from: '01:00', to: '05:00' }],
  batteryMin: 30,
  health: { enabled: true, confidence: 0.95 },
  onAbort: 'rollback' as const,
};

export const RolloutSpecSchema = Type.Object(
  {
    releaseId: Type.String({ format: 'uuid', description: 'The release to install; it must have passed its gate' }),
    target: Type.Optional(
      Type.Object(
        {
          fromVersions: Texts('Only switches on one of these versions ([] = any)'),
          homeIds: Uuids('Only switches in these homes ([] = every home)'),
          gatewayIds: Texts('Only switches behind these gateways ([] = every gateway)'),
          deviceIds: Uuids('Only these switches ([] = every switch of the release hardware)'),
        },
        { additionalProperties: false, description: 'Narrows the release hardware; lists are ANDed' },
      ),
    ),
    stages: Type.Array(StageSchema, { minItems: 1, maxItems: 20, description: 'Cumulative; the last is 100 %' }),
    caps: Type.Optional(
      Type.Object(
        {
          perGateway: Type.Optional(
            Type.Integer({
              minimum: 1,
              description:
                'Concurrent uploads per gateway (1): jobs not yet past uploading; rebooting and confirming ones free the radio',
            }),
          ),
          perHomePercent: Type.Optional(
            Type.Number({ minimum: 1, maximum: 100, description: 'Share of a home updating at once (50)' }),
          ),
          fleet: Type.Optional(Type.Integer({ minimum: 1, description: 'Concurrent updates fleet-wide (500)' })),
        },
        { additionalProperties: false },
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          max: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Retries after a failure (2)' })),
          backoffSeconds: Type.Optional(
            Type.Integer({ minimum: 0, description: 'First retry delay, doubled each time (60)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    deviceTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'Per-device deadline (900)' })),
    windows: Type.Optional(
      Type.Array(WindowSchema, { description: 'Maintenance windows in the home time zone ([] = any time)' }),
    ),
    batteryMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'Battery % to start (30)' })),
    health: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ description: 'Compare updated with not-yet-updated (true)' })),
          confidence: Type.Optional(
            Type.Number({ minimum: 0.5, maximum: 0.9999, description: 'One-sided confidence (0.95)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    onAbort: Type.Optional(
      Type.Union([Type.Literal('halt'), Type.Literal('rollback')], { description: 'What a failed gate does (halt)' }),
    ),
  },
  { additionalProperties: false, description: 'A staged rollout of one release', examples: [ROLLOUT_EXAMPLE] },
);
export type RolloutSpec = Static<typeof RolloutSpecSchema>;

export interface StageSpec {
  count?: number;
  percent?: number;
  preset?: 'one' | '10%' | '50%' | '100%';
  successThreshold: number;
  errorThreshold: number;
  minSample: number;
  soakSeconds: number;
  approval: boolean;
}

export interface ResolvedRolloutSpec {
  releaseId: string;
  target: { fromVersions: string[]; homeIds: string[]; gatewayIds: string[]; deviceIds: string[] };
  stages: StageSpec[];
  caps: { perGateway: number; perHomePercent: number; fleet: number };
  retry: { max: number; backoffSeconds: number };
  deviceTimeoutSeconds: number;
  windows: { days: Day[]; from: string; to: string }[];
  batteryMin: number;
  health: { enabled: boolean; confidence: number };
  onAbort: 'halt' | 'rollback';
}

export const ROLLOUT_DEFAULTS: Omit<ResolvedRolloutSpec, 'releaseId' | 'stages'> = {
  target: { fromVersions: [], homeIds: [], gatewayIds: [], deviceIds: [] },
  caps: { perGateway: 1, perHomePercent: 50, fleet: 500 },
  retry: { max: 2, backoffSeconds: 60 },
  deviceTimeoutSeconds: 900,
  windows: [],
  batteryMin: 30,
  health: { enabled: true, confidence: 0.95 },
  onAbort: 'halt',
};

export const STAGE_DEFAULTS = { successThreshold: 95, errorThreshold: 5, minSample: 10, soakSeconds: 600 };

const PRESETS: Record<NonNullable<StageSpec['preset']>, { count?: number; percent?: number }> = {
  one: { count: 1 },
  '10%': { percent: 10 },
  '50%': { percent: 50 },
  '100%': { percent: 100 },
};

const invalid = (field: string, message: string): RolloutError =>
  new RolloutError('INVALID_SPEC', `${field}: ${message}`, { field });

function resolveStage(stage: RolloutSpec['stages'][number], i: number): StageSpec {
  const field = `stages[${i}]`;
  const given = [stage.count, stage.percent, stage.preset].filter((v) => v !== undefined).length;
  if (given !== 1) throw invalid(field, 'give exactly one of count, percent or preset');
  const size = stage.preset ? PRESETS[stage.preset] : { count: stage.count, percent: stage.percent };
  if (size.count !== undefined && !(Number.isInteger(size.count) && size.count >= 1)) {
    throw invalid(`${field}.count`, 'must be an integer of at least 1');
  }
  if (size.percent !== undefined && !(size.percent >= 1 && size.percent <= 100)) {
    throw invalid(`${field}.percent`, 'must be between 1 and 100');
  }
  const out: StageSpec = {
    ...(size.count !== undefined ? { count: size.count } : { percent: size.percent }),
    successThreshold: stage.successThreshold ?? STAGE_DEFAULTS.successThreshold,
    errorThreshold: stage.errorThreshold ?? STAGE_DEFAULTS.errorThreshold,
    minSample: stage.minSample ?? STAGE_DEFAULTS.minSample,
    soakSeconds: stage.soakSeconds ?? STAGE_DEFAULTS.soakSeconds,
    approval: stage.approval ?? false,
  };
  for (const key of ['successThreshold', 'errorThreshold'] as const) {
    if (!(out[key] >= 0 && out[key] <= 100)) throw invalid(`${field}.${key}`, 'must be between 0 and 100');
  }
  if (!(Number.isInteger(out.minSample) && out.minSample >= 1)) throw invalid(`${field}.minSample`, 'must be ≥ 1');
  if (!(Number.isInteger(out.soakSeconds) && out.soakSeconds >= 0)) throw invalid(`${field}.soakSeconds`, '≥ 0');
  return out;
}

/** Sizes are cumulative, so a later stage may not be smaller than an earlier one of the same kind; a count
 *  and a percent are compared only once the target is known (planRollout never shrinks a stage). */
function checkSizes(stages: StageSpec[]): void {
  let count = 0;
  let percent = 0;
  stages.forEach((s, i) => {
    if (s.count !== undefined && s.count < count) throw invalid(`stages[${i}].count`, 'sizes are cumulative');
    if (s.percent !== undefined && s.percent < percent) throw invalid(`stages[${i}].percent`, 'sizes are cumulative');
    count = s.count ?? count;
    percent = s.percent ?? percent;
  });
  if (stages.at(-1)?.percent !== 100) throw invalid(`stages[${stages.length - 1}]`, 'the last stage must be 100 %');
}

/** Fills defaults and checks what the schema cannot; throws RolloutError('INVALID_SPEC', …). */
export function resolveSpec(spec: RolloutSpec): ResolvedRolloutSpec {
  if (typeof spec?.releaseId !== 'string' || spec.releaseId === '') throw invalid('releaseId', 'is required');
  if (!Array.isArray(spec.stages) || spec.stages.length === 0) throw invalid('stages', 'give at least one stage');
  const stages = spec.stages.map(resolveStage);
  checkSizes(stages);
  const d = ROLLOUT_DEFAULTS;
  const windows = (spec.windows ?? []).map((w, i) => {
    if (!HH_MM.test(w.from) || !HH_MM.test(w.to)) throw invalid(`windows[${i}]`, 'from and to are "HH:MM"');
    const days = w.days ?? [...DAYS];
    if (days.length === 0 || days.some((day) => !DAYS.includes(day))) throw invalid(`windows[${i}].days`, 'mon..sun');
    return { days: [...new Set(days)], from: w.from, to: w.to };
  });
  const resolved: ResolvedRolloutSpec = {
    releaseId: spec.releaseId,
    target: {
      fromVersions: [...(spec.target?.fromVersions ?? [])],
      homeIds: [...(spec.target?.homeIds ?? [])],
      gatewayIds: [...(spec.target?.gatewayIds ?? [])],
      deviceIds: [...(spec.target?.deviceIds ?? [])],
    },
    stages,
    caps: { ...d.caps, ...spec.caps },
    retry: { ...d.retry, ...spec.retry },
    deviceTimeoutSeconds: spec.deviceTimeoutSeconds ?? d.deviceTimeoutSeconds,
    windows,
    batteryMin: spec.batteryMin ?? d.batteryMin,
    health: { ...d.health, ...spec.health },
    onAbort: spec.onAbort ?? d.onAbort,
  };
  checkRanges(resolved);
  return resolved;
}

function checkRanges(s: ResolvedRolloutSpec): void {
  const { caps, retry, health } = s;
  if (!(Number.isInteger(caps.perGateway) && caps.perGateway >= 1)) throw invalid('caps.perGateway', '≥ 1');
  if (!(Number.isInteger(caps.fleet) && caps.fleet >= 1)) throw invalid('caps.fleet', '≥ 1');
  if (!(caps.perHomePercent > 0 && caps.perHomePercent <= 100)) throw invalid('caps.perHomePercent', '0 < p ≤ 100');
  if (!(Number.isInteger(retry.max) && retry.max >= 0)) throw invalid('retry.max', 'must be an integer ≥ 0');
  if (!(retry.backoffSeconds >= 0)) throw invalid('retry.backoffSeconds', 'must be ≥ 0');
  if (!(s.deviceTimeoutSeconds >= 1)) throw invalid('deviceTimeoutSeconds', 'must be ≥ 1');
  if (!(s.batteryMin >= 0 && s.batteryMin <= 100)) throw invalid('batteryMin', 'must be between 0 and 100');
  if (!(health.confidence >= 0.5 && health.confidence < 1)) throw invalid('health.confidence', '0.5 ≤ c < 1');
  if (s.onAbort !== 'halt' && s.onAbort !== 'rollback') throw invalid('onAbort', 'halt or rollback');
}
