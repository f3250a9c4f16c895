/** Commands to a switch and their outcomes. */
import { Type, type Static } from 'typebox';
import { SwitchState } from './devices.ts';
import { EX } from './examples.ts';
import { Text } from './http.ts';

export const CommandBody = Type.Object(
  {
    action: Type.Enum(['on', 'off', 'toggle', 'press'], {
      description:
        "What the switch should do. on/off also set the shadow's desired state; press is an action, not a state.",
    }),
    ttlMs: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 600_000,
        description: 'How long the command may wait (e.g. for an offline gateway) before it expires; default 30 s',
      }),
    ),
  },
  { additionalProperties: false, examples: [{ action: 'on' }, { action: 'press', ttlMs: 60000 }] },
);

export const CommandHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Text({
      minLength: 1,
      maxLength: 255,
      examples: ['5b0f3c1e-app-retry-1'],
      description:
        'Retrying with the same key returns the first command instead of sending a second; ' +
        'the same key with another body answers 422',
    }),
  ),
  traceparent: Type.Optional(
    Type.String({
      description: 'W3C trace context; carried to the gateway in the command envelope',
      examples: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    }),
  ),
});

export const CommandParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Command id', examples: [EX.commandId] }),
});

export const CommandView = Type.Object(
  {
    commandId: Type.String({ format: 'uuid' }),
    deviceId: Type.String({ format: 'uuid' }),
    action: Type.String(),
    status: Type.Enum(['pending', 'sent', 'succeeded', 'failed', 'expired']),
    reason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why it did not succeed, e.g. out_of_range, expired',
    }),
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
export const DEFAULT_WAIT_MS = 10_000;

export const CommandQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Answer once the command is terminal (or the wait ends)',
        examples: [true],
      }),
    ),
    waitMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_WAIT_MS,
        default: DEFAULT_WAIT_MS,
        description: 'Longest wait with wait=true',
        examples: [5000],
      }),
    ),
  },
  { additionalProperties: false },
);

const OpenStatus = Type.Enum(['pending', 'sent', 'succeeded', 'failed', 'expired']);

export const CommandAccepted = Type.Object(
  { commandId: Type.String({ format: 'uuid' }), status: OpenStatus },
  { description: 'Accepted; not (yet) terminal', examples: [{ commandId: EX.commandId, status: 'sent' }] },
);

export const CommandOutcome = Type.Object(
  {
    commandId: Type.String({ format: 'uuid' }),
    status: Type.Enum(['succeeded', 'failed', 'expired']),
    reason: Type.Optional(Type.String({ description: 'Why it did not succeed, e.g. out_of_range, expired' })),
    detail: Type.Optional(Type.String()),
    state: Type.Union([SwitchState, Type.Null()], { description: 'The switch as last known after the command' }),
  },
  {
    description: 'Terminal outcome (wait=true)',
    examples: [{ commandId: EX.commandId, status: 'succeeded', state: { on: true } }],
  },
);
