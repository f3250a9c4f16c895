/** Staged rollouts as the admin API shows them: the plan, a rollout with its counts, its devices. */
import { COUNT_KEYS } from '@switchfleet/cloud';
import { Type } from 'typebox';

const ROLLOUT_ID = '6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c';
const RELEASE_ID = '9c2d4e6f-8a0b-4c1d-8e3f-5a7b9c1d3e5f';
const DEVICE_ID = '5a0e8d3c-1b2f-4a6e-8c9d-0e1f2a3b4c5d';
const AT = '2025-01-01T12:00:00.000Z';
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const NullableText = Type.Union([Type.String(), Type.Null()]);
/** The rollout's own count keys (cloud/src/rollouts/counts.ts), so the schema cannot drift from the counts. */
const countNames = COUNT_KEYS;
const Counts = Type.Object(
  Object.fromEntries(countNames.map((k) => [k, Type.Integer({ minimum: 0 })])) as Record<
    (typeof countNames)[number],
    ReturnType<typeof Type.Integer>
  >,
  { description: 'Devices by state; `failed` excludes timeouts, counted apart as `timeout`' },
);
const counts = Object.fromEntries(countNames.map((k) => [k, 0]));

export const RolloutPlanBody = Type.Object(
  {
    stages: Type.Array(
      Type.Object({
        devices: Type.Array(Type.String()),
        homes: Type.Array(Type.String()),
        gateways: Type.Array(Type.String()),
      }),
    ),
    skipped: Type.Array(
      Type.Object({
        deviceId: Type.String(),
        reason: Type.String({ description: 'wrong_hardware, already_on_version, in_other_rollout, …' }),
      }),
    ),
    estimate: Type.Object({
      makespanSeconds: Type.Number(),
      lowerBoundSeconds: Type.Number(),
      radioSecondsPerGateway: Type.Record(Type.String(), Type.Number()),
    }),
  },
  {
    examples: [
      {
        stages: [{ devices: [DEVICE_ID], homes: ['home-1'], gateways: ['gw-1'] }],
        skipped: [],
        estimate: { makespanSeconds: 120, lowerBoundSeconds: 90, radioSecondsPerGateway: { 'gw-1': 90 } },
      },
    ],
  },
);

const rolloutExample = {
  id: ROLLOUT_ID,
  releaseId: RELEASE_ID,
  state: 'running',
  reason: null,
  detail: null,
  parentId: null,
  currentStage: 0,
  createdBy: '7d3f1c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b',
  createdAt: AT,
  startedAt: AT,
  endedAt: null,
};
const RolloutFields = {
  id: Type.String({ format: 'uuid' }),
  releaseId: Type.String({ format: 'uuid' }),
  state: Type.String({
    description: 'draft, awaiting_approval, running, paused, completed, cancelled, halted or rolled_back',
  }),
  reason: Type.Union([Type.String(), Type.Null()], {
    description: 'Why it stopped: error_threshold, success_unreachable, health, release_refused, cancelled',
  }),
  detail: NullableText,
  parentId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
    description: 'For a rollback: the rollout it undoes',
  }),
  currentStage: Type.Integer({ minimum: 0 }),
  createdBy: NullableText,
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Time,
  endedAt: Time,
};
export const RolloutSummary = Type.Object(RolloutFields, { examples: [rolloutExample] });
export const RolloutList = Type.Array(RolloutSummary, { examples: [[rolloutExample]] });

export const RolloutBody = Type.Object(
  {
    ...RolloutFields,
    spec: Type.Object({}, { additionalProperties: true, description: 'The spec with every default filled in' }),
    stages: Type.Array(
      Type.Object({
        index: Type.Integer({ minimum: 0 }),
        state: Type.String({ description: 'pending, running, soaking, awaiting_approval, passed or failed' }),
        successMetAt: Time,
        approvedBy: NullableText,
        approvedAt: Time,
        startedAt: Time,
        endedAt: Time,
        counts: Type.Object({ total: Type.Integer({ minimum: 0 }), ...Counts.properties }),
      }),
    ),
    counts: Counts,
    gateways: Type.Array(Type.Object({ gatewayId: Type.String(), counts: Counts })),
    report: Type.Object({
      plannedMakespanSeconds: Type.Integer(),
      lowerBoundSeconds: Type.Integer(),
      actualMakespanSeconds: Type.Union([Type.Integer(), Type.Null()]),
    }),
  },
  {
    examples: [
      {
        ...rolloutExample,
        spec: {},
        stages: [
          {
            index: 0,
            state: 'running',
            successMetAt: null,
            approvedBy: null,
            approvedAt: null,
            startedAt: AT,
            endedAt: null,
            counts: { ...counts, total: 1, updating: 1 },
          },
        ],
        counts: { ...counts, updating: 1 },
        gateways: [{ gatewayId: 'gw-1', counts: { ...counts, updating: 1 } }],
        report: { plannedMakespanSeconds: 120, lowerBoundSeconds: 90, actualMakespanSeconds: null },
      },
    ],
  },
);

const deviceExample = {
  deviceId: DEVICE_ID,
  stage: 0,
  state: 'waiting',
  waitReason: 'out_of_window',
  failKind: null,
  reason: null,
  attempts: 0,
  retryAt: null,
  jobId: null,
  previousVersion: '1.1.0',
  updatedAt: AT,
};
export const RolloutDevicePage = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        deviceId: Type.String({ format: 'uuid' }),
        stage: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'null when skipped' }),
        state: Type.String({
          description: 'pending, waiting, updating, succeeded, failed, reverted, skipped or cancelled',
        }),
        waitReason: Type.Union([Type.String(), Type.Null()], {
          description: 'gateway_offline, device_offline, out_of_window, battery, cap or backoff',
        }),
        failKind: Type.Union([Type.String(), Type.Null()], { description: 'failed, reverted or timeout' }),
        reason: Type.Union([Type.String(), Type.Null()], { description: 'Why skipped, or why the update failed' }),
        attempts: Type.Integer({ minimum: 0 }),
        retryAt: Time,
        jobId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
        previousVersion: NullableText,
        updatedAt: Type.String({ format: 'date-time' }),
      }),
    ),
    next: Type.Union([Type.String(), Type.Null()], { description: 'The cursor of the next page; null at the end' }),
  },
  { examples: [{ items: [deviceExample], next: null }] },
);

export const RolloutParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Rollout id', examples: [ROLLOUT_ID] }),
});
export const RolloutListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, examples: [50] })),
});
export const RolloutDeviceQuery = Type.Object({
  after: Type.Optional(
    Type.String({ format: 'uuid', description: 'The `next` of the page before', examples: [DEVICE_ID] }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, examples: [100] })),
});
