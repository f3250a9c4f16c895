/**
 * The operators' fleet view: switches and gateways as hardware. These shapes have no field for a
 * name (of a device, room or home), an e-mail address or anything else a household typed, and with
 * additionalProperties false the serializer drops whatever a service might add.
 */
import { Type } from 'typebox';
import { EX } from './examples.ts';
import { Text } from './http.ts';

const JOB_ID = '3b1f7a2e-8c4d-4e5f-9a6b-7c8d9e0f1a2b';
const RELEASE_ID = '9c2d4e6f-8a0b-4c1d-8e3f-5a7b9c1d3e5f';
const NO_PERSONAL_DATA =
  'Fleet data only: no name of a device, room or home, no e-mail address, nothing a household typed.';
const Nullable = <T extends ReturnType<typeof Type.String | typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;

const updateExample = { id: JOB_ID, releaseId: RELEASE_ID, state: 'running', phase: 'uploading', progress: 0.25 };
const FleetUpdate = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The update job (GET /v1/admin/updates/{id})' }),
    releaseId: Type.String({ format: 'uuid' }),
    state: Type.Union([Type.Literal('queued'), Type.Literal('waiting'), Type.Literal('running')]),
    phase: Nullable(Type.String({ description: 'downloading, uploading, testing, rebooting or confirming' })),
    progress: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
      description: "Share of the image's bytes moved in the current phase",
    }),
  },
  closed,
);

const deviceExample = {
  id: EX.deviceId,
  homeId: EX.homeId,
  gatewayId: EX.gatewayId,
  address: 'c0ffee0000b1',
  hardwareId: 'sf-sw1-r1',
  model: 'WoHand',
  firmware: { version: '1.2.0', update: updateExample },
  online: true,
  lastSeen: EX.at,
  battery: 87,
  rssi: -61,
  createdAt: EX.at,
};
export const FleetDeviceBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    homeId: Type.String({ format: 'uuid' }),
    gatewayId: Type.String(),
    address: Type.String({ description: 'BLE address, 12 lower-case hex digits' }),
    hardwareId: Nullable(
      Type.String({ description: 'The hardware model releases are built for; null until reported' }),
    ),
    model: Type.String({ description: 'The SwitchBot model the switch announces, e.g. WoHand' }),
    firmware: Type.Object(
      {
        version: Nullable(Type.String({ description: 'The version the switch reports' })),
        update: Type.Union([FleetUpdate, Type.Null()], { description: 'The update job not yet ended, if any' }),
      },
      closed,
    ),
    online: Type.Boolean({ description: 'The gateway hears the switch and is itself connected' }),
    lastSeen: Nullable(Type.String({ format: 'date-time' })),
    battery: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
    rssi: Nullable(Type.Integer()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { ...closed, description: NO_PERSONAL_DATA, examples: [deviceExample] },
);

const page = <T extends ReturnType<typeof Type.Object>>(item: T, example: object) =>
  Type.Object(
    {
      items: Type.Array(item, { description: 'In id order' }),
      nextCursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` for the next page; null on the last page',
      }),
    },
    { ...closed, examples: [{ items: [example], nextCursor: 'ZDo2ZjFj' }] },
  );
export const FleetDevicePage = page(FleetDeviceBody, deviceExample);

const gatewayExample = {
  id: EX.gatewayId,
  homeId: EX.homeId,
  online: true,
  lastSeen: EX.at,
  version: '0.9.0',
  devices: { total: 8, online: 7 },
  activeUpdates: 1,
  createdAt: EX.at,
};
const gatewayFields = {
  id: Type.String(),
  homeId: Nullable(Type.String({ format: 'uuid', description: 'Null while unclaimed' })),
  online: Type.Boolean({ description: 'Connected to the broker now' }),
  lastSeen: Nullable(Type.String({ format: 'date-time', description: 'Its last status message' })),
  version: Nullable(Type.String({ description: 'The software version it last reported; null if never' })),
  devices: Type.Object(
    {
      total: Type.Integer({ minimum: 0 }),
      online: Type.Integer({ minimum: 0, description: 'Heard now, through this gateway while it is connected' }),
    },
    closed,
  ),
  activeUpdates: Type.Integer({ minimum: 0, description: 'Update jobs on its switches not yet ended' }),
  createdAt: Type.String({ format: 'date-time' }),
};
export const FleetGatewayBody = Type.Object(gatewayFields, {
  ...closed,
  description: NO_PERSONAL_DATA,
  examples: [gatewayExample],
});
export const FleetGatewayPage = page(FleetGatewayBody, gatewayExample);
export const FleetGatewayDetailBody = Type.Object(
  {
    ...gatewayFields,
    updates: Type.Array(Type.Object({ ...FleetUpdate.properties, deviceId: Type.String({ format: 'uuid' }) }, closed), {
      description: 'Its update jobs not yet ended, oldest first',
    }),
  },
  {
    ...closed,
    description: NO_PERSONAL_DATA,
    examples: [{ ...gatewayExample, updates: [{ ...updateExample, deviceId: EX.deviceId }] }],
  },
);

const cursorAndLimit = {
  cursor: Type.Optional(
    Text({ minLength: 1, maxLength: 200, description: 'The nextCursor of the page before', examples: ['ZDo2ZjFj'] }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, examples: [50] })),
};
const Filter = (description: string, example: string) =>
  Type.Optional(Text({ minLength: 1, maxLength: 64, description, examples: [example] }));
export const FleetDeviceQueryString = Type.Object(
  {
    hardwareId: Filter('Only switches of this hardware model', 'sf-sw1-r1'),
    version: Filter('Only switches reporting this firmware version', '1.2.0'),
    gatewayId: Filter('Only switches behind this gateway', EX.gatewayId),
    homeId: Type.Optional(
      Type.String({ format: 'uuid', description: 'Only switches of this home', examples: [EX.homeId] }),
    ),
    online: Type.Optional(
      Type.Boolean({ description: 'Only switches reachable now (true) or not (false)', examples: [true] }),
    ),
    ...cursorAndLimit,
  },
  closed,
);
export const FleetGatewayQueryString = Type.Object(
  {
    online: Type.Optional(
      Type.Boolean({ description: 'Only gateways connected now (true) or not (false)', examples: [true] }),
    ),
    homeId: Type.Optional(
      Type.String({ format: 'uuid', description: 'Only gateways of this home', examples: [EX.homeId] }),
    ),
    ...cursorAndLimit,
  },
  closed,
);

export const FleetDeviceParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Device id', examples: [EX.deviceId] }),
});
export const FleetGatewayParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Gateway id', examples: [EX.gatewayId] }),
});

const SECRET_EXAMPLE = 'Qm9vdHN0cmFwU2VjcmV0LXNob3duLW9uY2U';
export const ProvisionGatewayBody = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description: 'The gateway id (its MQTT username and client id); default gw- and ten hex digits',
        examples: [EX.gatewayId],
      }),
    ),
    homeId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Provision straight into this home; without it the gateway gets a one-time claim code',
      }),
    ),
  },
  { ...closed, examples: [{ id: EX.gatewayId }] },
);
export const GatewayCredentialsBody = Type.Object(
  {
    gatewayId: Type.String({ examples: [EX.gatewayId] }),
    secret: Type.String({
      description: 'The MQTT password; shown once, stored only hashed',
      examples: [SECRET_EXAMPLE],
    }),
    claimCode: Type.Optional(
      Type.String({ description: 'One-time code the home owner claims the gateway with; only without homeId' }),
    ),
  },
  { ...closed, examples: [{ gatewayId: EX.gatewayId, secret: SECRET_EXAMPLE, claimCode: 'K7QX2M9PZR4TB8WN' }] },
);
