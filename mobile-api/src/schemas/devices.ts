/** Devices, their shadow and history. */
import { Type } from 'typebox';
import { IF_MATCH_PATTERN } from '../conditional.ts';
import { EX } from './examples.ts';
import { Text } from './http.ts';

export const SwitchState = Type.Object({ on: Type.Boolean() });
function SwitchStateRef() {
  return Type.Object({ on: Type.Boolean() });
}

const deviceExample = {
  id: EX.deviceId,
  name: 'Desk lamp',
  model: 'WoHand',
  firmwareVersion: '6.3',
  online: true,
  state: { on: true },
  battery: 91,
  rssi: -62,
  lastSeen: EX.at,
  roomId: EX.roomId,
  firmware: { version: '6.3', update: { state: 'running', progress: 0.4 } },
};

export const Device = Type.Object(
  {
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
    firmware: Type.Object({
      version: Type.Union([Type.String(), Type.Null()]),
      update: Type.Union(
        [
          Type.Object({
            state: Type.Union([Type.Literal('queued'), Type.Literal('waiting'), Type.Literal('running')]),
            progress: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
              description: "Share of the image's bytes moved in the current phase",
            }),
          }),
          Type.Null(),
        ],
        { description: 'The update in progress, null when none is' },
      ),
    }),
  },
  { examples: [deviceExample] },
);

export const DevicePatch = Type.Object(
  {
    name: Type.Optional(Text({ minLength: 1, maxLength: 64 })),
    roomId: Type.Optional(
      Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
        description: "A room of the device's home; null takes it out",
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ name: 'Desk lamp' }, { roomId: null }] },
);

const Stamp = Type.Object({ timestamp: Type.String({ format: 'date-time' }) });

export const ShadowBody = Type.Object(
  {
    deviceId: Type.String({ format: 'uuid' }),
    version: Type.Integer({
      minimum: 0,
      description: 'Bumped on every write of either side; send it back as If-Match',
    }),
    state: Type.Object({
      desired: Type.Object({ on: Type.Optional(Type.Boolean()) }),
      reported: Type.Object({
        on: Type.Optional(Type.Boolean()),
        online: Type.Boolean(),
        battery: Type.Optional(Type.Integer()),
        rssi: Type.Optional(Type.Integer()),
      }),
      delta: Type.Optional(
        Type.Object({ on: Type.Boolean() }, { description: 'Desired fields that differ from reported' }),
      ),
    }),
    metadata: Type.Object({
      desired: Type.Object({ on: Type.Optional(Stamp) }),
      reported: Type.Object({
        on: Type.Optional(Stamp),
        online: Type.Optional(Stamp),
        battery: Type.Optional(Stamp),
        rssi: Type.Optional(Stamp),
      }),
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
        metadata: {
          desired: { on: { timestamp: '2025-01-01T12:00:00.000Z' } },
          reported: { on: { timestamp: '2025-01-01T11:59:00.000Z' } },
        },
        timestamp: '2025-01-01T12:00:00.000Z',
      },
    ],
  },
);

export const DesiredBody = Type.Object(
  { on: Type.Boolean() },
  { additionalProperties: false, examples: [{ on: true }] },
);

export const DesiredHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      pattern: IF_MATCH_PATTERN,
      maxLength: 1024,
      examples: ['"7"'],
      description:
        'RFC 9110 §13.1.1: `*` or entity tags (the ETag of GET shadow); ' +
        "412 unless the shadow's is one of them (weak tags never match)",
    }),
  ),
});

export const HistoryQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Inclusive; default 24 h before `to`',
        examples: ['2025-01-01T00:00:00.000Z'],
      }),
    ),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive; default now', examples: [EX.at] })),
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
  {
    description: 'Reports in the range, oldest first, at most 1000',
    examples: [[{ ts: '2025-01-01T12:00:00.000Z', online: true, state: { on: true }, battery: 90, rssi: -60 }]],
  },
);

export const DeviceList = Type.Array(Device, { examples: [[deviceExample]] });

export const DeviceParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Device id', examples: [EX.deviceId] }),
});
