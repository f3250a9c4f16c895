/** The rollout's request body, its defaults, and the checks a schema cannot express. */
import { Type, type Static } from 'typebox';
import { RolloutError } from './errors.ts';

const Percent = Type.Number({ minimum: 0, maximum: 100 });
const Day = Type.Union([
  Type.Literal('mon'),
  Type.Literal('tue'),
  Type.Literal('wed'),
  Type.Literal('thu'),
  Type.Literal('fri'),
  Type.Literal('sat'),
  Type.Literal('sun'),
]);
const Ids = Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100_000 });

const Stage = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1 })),
    percent: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
    preset: Type.Optional(
      Type.Union([Type.Literal('one'), Type.Literal('10%'), Type.Literal('50%'), Type.Literal('100%')]),
    ),
    successThreshold: Type.Optional(Percent),
    errorThreshold: Type.Optional(Percent),
    minSample: Type.Optional(Type.Integer({ minimum: 1 })),
    soakSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    approval: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RolloutSpecSchema = Type.Object(
  {
    releaseId: Type.String({ format: 'uuid', description: 'A release that passed its tests' }),
    target: Type.Optional(
      Type.Object(
        {
          fromVersions: Type.Optional(Ids),
          homeIds: Type.Optional(Ids),
          gatewayIds: Type.Optional(Ids),
          deviceIds: Type.Optional(Ids),
        },
        { additionalProperties: false },
      ),
    ),
    stages: Type.Array(Stage, { minItems: 1, maxItems: 20 }),
    caps: Type.Optional(
      Type.Object(
        {
          perGateway: Type.Optional(Type.Integer({ minimum: 1 })),
          perHomePercent: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
          fleet: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          max: Type.Optional(Type.Integer({ minimum: 0 })),
          backoffSeconds: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    deviceTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    windows: Type.Optional(
      Type.Array(
        Type.Object({ days: Type.Array(Day), from: Type.String(), to: Type.String() }, { additionalProperties: false }),
      ),
    ),
    batteryMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    health: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          confidence: Type.Optional(Type.Number({ minimum: 0.5, maximum: 0.9999 })),
        },
        { additionalProperties: false },
      ),
    ),
    onAbort: Type.Optional(Type.Union([Type.Literal('halt'), Type.Literal('rollback')])),
  },
  {
    additionalProperties: false,
    examples: [{ releaseId: '9c2d4e6f-8a0b-4c1d-8e3f-5a7b9c1d3e5f', stages: [{ count: 1 }, { percent: 100 }] }],
  },
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
type WindowDay = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export interface ResolvedRolloutSpec {
  releaseId: string;
  target: { fromVersions: string[]; homeIds: string[]; gatewayIds: string[]; deviceIds: string[] };
  stages: StageSpec[];
  caps: { perGateway: number; perHomePercent: number; fleet: number };
  retry: { max: number; backoffSeconds: number };
  deviceTimeoutSeconds: number;
  windows: { days: WindowDay[]; from: string; to: string }[];
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

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const PRESET = { one: { count: 1 }, '10%': { percent: 10 }, '50%': { percent: 50 }, '100%': { percent: 100 } };

export function resolveSpec(spec: RolloutSpec): ResolvedRolloutSpec {
  const bad = (message: string): never => {
    throw new RolloutError('INVALID_SPEC', message);
  };
  const stages = spec.stages.map((s, i): StageSpec => {
    const sized = [s.count, s.percent, s.preset].filter((v) => v !== undefined).length;
    if (sized !== 1) bad(`stage ${i}: give exactly one of count, percent or preset`);
    const size = s.preset ? PRESET[s.preset] : s.count !== undefined ? { count: s.count } : { percent: s.percent! };
    return {
      ...size,
      successThreshold: s.successThreshold ?? 95,
      errorThreshold: s.errorThreshold ?? 5,
      minSample: s.minSample ?? 1,
      soakSeconds: s.soakSeconds ?? 0,
      approval: s.approval ?? false,
    };
  });
  for (let i = 1; i < stages.length; i++) {
    const [a, b] = [stages[i - 1]!, stages[i]!];
    if (a.percent !== undefined && b.percent !== undefined && b.percent < a.percent) {
      bad(`stage ${i}: stage sizes must not decrease`);
    }
    if (a.percent !== undefined && b.count !== undefined) bad(`stage ${i}: a count cannot follow a percent`);
  }
  if (stages.at(-1)!.percent !== 100) bad('the last stage must cover 100 % of the target');
  const windows = (spec.windows ?? []).map((w) => ({ ...w, days: w.days as WindowDay[] }));
  for (const w of windows) if (!HHMM.test(w.from) || !HHMM.test(w.to)) bad('window times are "HH:MM"');
  const d = ROLLOUT_DEFAULTS;
  return {
    releaseId: spec.releaseId,
    target: { ...d.target, ...spec.target },
    stages,
    caps: { ...d.caps, ...spec.caps },
    retry: { ...d.retry, ...spec.retry },
    deviceTimeoutSeconds: spec.deviceTimeoutSeconds ?? d.deviceTimeoutSeconds,
    windows,
    batteryMin: spec.batteryMin ?? d.batteryMin,
    health: { ...d.health, ...spec.health },
    onAbort: spec.onAbort ?? d.onAbort,
  };
}
