/**
 * Every request and response shape of the API, defined once in TypeBox and used three ways: request
 * validation (Ajv), response serialization (fast-json-stringify) and the OpenAPI document.
 */
import { Type, type Static } from 'typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED, NOT_FOUND' }),
      message: Type.String(),
      details: Type.Array(
        Type.Object({
          field: Type.String({ description: 'The offending field, e.g. "action" or "waitMs"' }),
          in: Type.Optional(Type.String({ description: 'body, querystring, params or headers' })),
          message: Type.String(),
        }),
      ),
    }),
  },
  { $id: 'ErrorBody', description: 'The one error shape of every non-2xx answer' },
);
export type ErrorBody = Static<typeof ErrorBody>;

const Email = Type.String({ format: 'email', maxLength: 254 });

export const RegisterBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 8, maxLength: 200 }) },
  { additionalProperties: false },
);

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const UserBody = Type.Object({ id: Type.String({ format: 'uuid' }), email: Type.String() });

export const TokenBody = Type.Object(
  {
    accessToken: Type.String({ description: 'JWT (HS256), short-lived' }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
    refreshToken: Type.String({ description: 'One-time token for POST /v1/auth/refresh; each use returns the next one' }),
    refreshExpiresAt: Type.String({ format: 'date-time' }),
  },
  {
    examples: [
      {
        accessToken: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.sig',
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: 'q3Jm0aQ6m4b1n5cY2wqK8x0pZ7rT9uV1sL3dF6gH8jk',
        refreshExpiresAt: '2025-02-01T12:00:00.000Z',
      },
    ],
  },
);

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const SwitchState = Type.Object({ on: Type.Boolean() });
function SwitchStateRef() {
  return Type.Object({ on: Type.Boolean() });
}

export const Device = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  model: Type.String(),
  firmwareVersion: Type.Union([Type.String(), Type.Null()]),
  online: Type.Boolean({ description: 'Heard by its gateway, and the gateway is connected' }),
  state: Type.Union([SwitchState, Type.Null()], { description: 'Null until the relay state has been reported' }),
  battery: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()]),
  rssi: Type.Union([Type.Integer(), Type.Null()]),
  lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  roomId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
});

export const DevicePatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    roomId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'A room of the device\'s home; null takes it out' })),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ name: 'Desk lamp' }, { roomId: null }] },
);

const Stamp = Type.Object({ timestamp: Type.String({ format: 'date-time' }) });

export const ShadowBody = Type.Object(
  {
    deviceId: Type.String({ format: 'uuid' }),
    version: Type.Integer({ minimum: 0, description: 'Bumped on every write of either side; send it back as If-Match' }),
    state: Type.Object({
      desired: Type.Object({ on: Type.Optional(Type.Boolean()) }),
      reported: Type.Object({
        on: Type.Optional(Type.Boolean()),
        online: Type.Boolean(),
        battery: Type.Optional(Type.Integer()),
        rssi: Type.Optional(Type.Integer()),
      }),
      delta: Type.Optional(Type.Object({ on: Type.Boolean() }, { description: 'Desired fields that differ from reported' })),
    }),
    metadata: Type.Object({
      desired: Type.Object({ on: Type.Optional(Stamp) }),
      reported: Type.Object({ on: Type.Optional(Stamp), online: Type.Optional(Stamp), battery: Type.Optional(Stamp), rssi: Type.Optional(Stamp) }),
    }),
    timestamp: Type.String({ format: 'date-time' }),
  },
  {
    description: 'The device shadow, in the manner of AWS IoT Device Shadow',
    examples: [
      {
        deviceId: '6f1c1e9e-1111-4000-8000-000000000001',
        version: 7,
        state: { desired: { on: true }, reported: { on: false, online: true, battery: 91 }, delta: { on: true } },
        metadata: { desired: { on: { timestamp: '2025-01-01T12:00:00.000Z' } }, reported: { on: { timestamp: '2025-01-01T11:59:00.000Z' } } },
        timestamp: '2025-01-01T12:00:00.000Z',
      },
    ],
  },
);

export const DesiredBody = Type.Object({ on: Type.Boolean() }, { additionalProperties: false, examples: [{ on: true }] });

export const DesiredHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ pattern: '^(W/)?"?[0-9]{1,9}"?$', description: 'The shadow version the change is based on; 409 when stale' })),
});

export const HistoryQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive; default 24 h before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive; default now' })),
  },
  { additionalProperties: false },
);

export const HistoryList = Type.Array(
  Type.Object({
    ts: Type.String({ format: 'date-time' }),
    online: Type.Boolean(),
    state: Type.Union([SwitchStateRef(), Type.Null()]),
    battery: Type.Union([Type.Integer(), Type.Null()]),
    rssi: Type.Union([Type.Integer(), Type.Null()]),
  }),
  { description: 'Reports in the range, oldest first, at most 1000', examples: [[{ ts: '2025-01-01T12:00:00.000Z', online: true, state: { on: true }, battery: 90, rssi: -60 }]] },
);

export const DeviceList = Type.Array(Device);

export const DeviceParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Device id' }) });

export const CommandBody = Type.Object(
  {
    action: Type.Enum(['on', 'off', 'toggle', 'press'], {
      description: 'What the switch should do. on/off also set the shadow\'s desired state; press is an action, not a state.',
    }),
    ttlMs: Type.Optional(
      Type.Integer({ minimum: 1000, maximum: 600_000, description: 'How long the command may wait (e.g. for an offline gateway) before it expires; default 30 s' }),
    ),
  },
  { additionalProperties: false, examples: [{ action: 'on' }, { action: 'press', ttlMs: 60000 }] },
);

export const CommandHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Retrying with the same key returns the first command instead of sending a second; the same key with another body answers 422',
    }),
  ),
  traceparent: Type.Optional(Type.String({ description: 'W3C trace context; carried to the gateway in the command envelope' })),
});

export const CommandParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Command id' }) });

export const CommandView = Type.Object(
  {
    commandId: Type.String({ format: 'uuid' }),
    deviceId: Type.String({ format: 'uuid' }),
    action: Type.String(),
    status: Type.Enum(['pending', 'sent', 'succeeded', 'failed', 'expired']),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it did not succeed, e.g. out_of_range, expired' }),
    detail: Type.Union([Type.String(), Type.Null()]),
    source: Type.Enum(['user', 'delta', 'schedule']),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  {
    examples: [
      {
        commandId: '0b7f2a4e-3c1d-4f5e-9a8b-7c6d5e4f3a2b',
        deviceId: '6f1c1e9e-1111-4000-8000-000000000001',
        action: 'on',
        status: 'failed',
        reason: 'out_of_range',
        detail: 'no advertisement for 30 s',
        source: 'user',
        createdAt: '2025-01-01T12:00:00.000Z',
        expiresAt: '2025-01-01T12:00:30.000Z',
        completedAt: '2025-01-01T12:00:02.000Z',
      },
    ],
  },
);
export type CommandBody = Static<typeof CommandBody>;

export const MAX_WAIT_MS = 30_000;

export const CommandQuery = Type.Object(
  {
    wait: Type.Boolean({ default: false, description: 'Answer once the command is terminal (or the wait ends)' }),
    waitMs: Type.Integer({ minimum: 0, maximum: MAX_WAIT_MS, default: 10_000, description: 'Longest wait with wait=true' }),
  },
  { additionalProperties: false },
);

const OpenStatus = Type.Enum(['pending', 'sent', 'succeeded', 'failed', 'expired']);

export const CommandAccepted = Type.Object(
  { commandId: Type.String({ format: 'uuid' }), status: OpenStatus },
  { description: 'Accepted; not (yet) terminal' },
);

export const CommandOutcome = Type.Object(
  {
    commandId: Type.String({ format: 'uuid' }),
    status: Type.Enum(['succeeded', 'failed', 'expired']),
    reason: Type.Optional(Type.String({ description: 'Why it did not succeed, e.g. out_of_range, expired' })),
    detail: Type.Optional(Type.String()),
    state: Type.Union([SwitchState, Type.Null()], { description: 'The switch as last known after the command' }),
  },
  { description: 'Terminal outcome (wait=true)' },
);

export const Health = Type.Object({
  status: Type.Enum(['ok', 'degraded']),
  db: Type.Enum(['up', 'down']),
  broker: Type.Enum(['up', 'down']),
  gatewaysOnline: Type.Integer({ minimum: 0 }),
});

/** Shared by every route: error answers all have the same shape. */
export const errorResponses = {
  400: Type.Ref('ErrorBody'),
  401: Type.Ref('ErrorBody'),
  403: Type.Ref('ErrorBody'),
  404: Type.Ref('ErrorBody'),
  409: Type.Ref('ErrorBody'),
  422: Type.Ref('ErrorBody'),
  429: Type.Ref('ErrorBody'),
  500: Type.Ref('ErrorBody'),
} as const;
