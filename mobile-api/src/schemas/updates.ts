/** Firmware update jobs as the admin API shows them (no household's personal data), and the download route's query. */
import { Type } from 'typebox';

const JOB_ID = '3b1f7a2e-8c4d-4e5f-9a6b-7c8d9e0f1a2b';
const DEVICE_ID = '5a0e8d3c-1b2f-4a6e-8c9d-0e1f2a3b4c5d';
const RELEASE_ID = '9c2d4e6f-8a0b-4c1d-8e3f-5a7b9c1d3e5f';
const AT = '2025-01-01T12:00:00.000Z';
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NullableInt = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);

const jobExample = {
  id: JOB_ID,
  deviceId: DEVICE_ID,
  releaseId: RELEASE_ID,
  sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  targetVersion: '1.2.0',
  state: 'running',
  phase: 'uploading',
  waitingReason: null,
  reason: null,
  detail: null,
  bytes: 65536,
  totalBytes: 262144,
  rate: 9000,
  progress: 0.25,
  deadline: '2025-01-01T13:00:00.000Z',
  createdBy: '7d3f1c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b',
  createdAt: AT,
  startedAt: AT,
  endedAt: null,
  version: null,
  rolloutId: null,
};

export const UpdateJobBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    deviceId: Type.String({ format: 'uuid' }),
    releaseId: Type.String({ format: 'uuid' }),
    sha256: Type.String(),
    targetVersion: Type.String({ description: 'The release version the switch must report after its reboot' }),
    state: Type.Union([
      Type.Literal('queued'),
      Type.Literal('waiting'),
      Type.Literal('running'),
      Type.Literal('succeeded'),
      Type.Literal('failed'),
      Type.Literal('cancelled'),
    ]),
    phase: Nullable(Type.String({ description: 'downloading, uploading, testing, rebooting or confirming' })),
    waitingReason: Nullable(Type.String({ description: 'gateway_offline or switch_not_heard' })),
    reason: Nullable(Type.String({ description: 'Why it did not succeed: verify_failed, timeout, device_error, …' })),
    detail: Nullable(Type.String()),
    bytes: NullableInt,
    totalBytes: NullableInt,
    rate: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'bytes per second' }),
    progress: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
    deadline: Type.String({ format: 'date-time' }),
    createdBy: Nullable(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Nullable(Type.String({ format: 'date-time' })),
    endedAt: Nullable(Type.String({ format: 'date-time' })),
    version: Nullable(Type.String({ description: 'The version the switch reported at the end' })),
    rolloutId: Nullable(Type.String({ format: 'uuid' })),
  },
  { examples: [jobExample] },
);
export const UpdateJobList = Type.Array(UpdateJobBody, { examples: [[jobExample]] });

export const NewUpdateBody = Type.Object(
  { releaseId: Type.String({ format: 'uuid', description: 'A release that passed its tests' }) },
  { additionalProperties: false, examples: [{ releaseId: RELEASE_ID }] },
);
export const UpdateParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Update job id', examples: [JOB_ID] }),
});
export const DeviceUpdateParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Device id', examples: [DEVICE_ID] }),
});
export const UpdateListQuery = Type.Object({
  deviceId: Type.String({
    format: 'uuid',
    description: 'The device whose jobs to list, newest first',
    examples: [DEVICE_ID],
  }),
});

export const FirmwareParams = Type.Object({
  sha256: Type.String({ description: 'The image sha256, lower-case hex', examples: [jobExample.sha256] }),
});
export const FirmwareQuery = Type.Object({
  gw: Type.Optional(
    Type.String({ maxLength: 128, description: 'The gateway the URL was made for', examples: ['gw-1'] }),
  ),
  exp: Type.Optional(Type.String({ maxLength: 16, description: 'Expiry, Unix seconds', examples: ['1735736400'] })),
  sig: Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'HMAC-SHA256 of the path, expiry and gateway, base64url',
      examples: ['q4m2Xy0v9aVdJ6nY8kq0Vb1mJ2xq8vHcW6n4bT1s9Zc'],
    }),
  ),
});
