/**
 * JSON payloads between gateway and cloud. One TypeBox schema per message, used by both ends for
 * validation and by the protocol document test. MQTT 3.1.1 has no user properties (aedes speaks
 * 3.1.1 only), so metadata such as the W3C `traceparent` travels inside the JSON envelope.
 */
import { Type, type Static } from 'typebox';

/** Gateway ids and device addresses are topic levels, so they must never contain '/', '+' or '#'. */
export const GatewayId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
/** A BLE address as 12 lower-case hex digits without separators (e.g. "c0ffee000001"). */
export const DeviceAddress = Type.String({ pattern: '^[0-9a-f]{12}$' });
export const Traceparent = Type.String({ pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' });
/**
 * An RFC 3339 date-time in UTC that a JavaScript Date can hold. UTC only ("Z", RFC 3339 §4.3; a
 * lower-case "z" as §5.6 allows): the protocol promises UTC, and a numeric offset ("+02:00") would
 * make the same instant two strings, where the outbox's identity of a report compares instants.
 * RFC 3339 also allows a leap second (23:59:60) and RFC 9557 a zone-name suffix ("…Z[Europe/Paris]");
 * Date.parse reads neither, and a receiver that cannot place a report in time cannot store it. The
 * pattern refuses all three; the format keeps the calendar check (no 30 February).
 */
export const Timestamp = Type.String({
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:[0-5]\\d(\\.\\d+)?[Zz]$',
  description: 'ISO 8601 in UTC',
});
/**
 * Sequence numbers are per gateway and strictly increase across everything it publishes upward. The
 * cloud stores them as bigint and reads them as JavaScript numbers, which hold integers exactly up
 * to 2^53 - 1: the bound of what is accepted, so a schema-valid report is one the database can hold.
 */
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const SwitchState = Type.Object({ on: Type.Boolean() }, { additionalProperties: false });

export const DeviceIdentity = Type.Object(
  {
    address: DeviceAddress,
    model: Type.String({ maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 64 })),
    firmwareVersion: Type.Optional(Type.String({ maxLength: 32 })),
    hardwareId: Type.Optional(Type.String({ maxLength: 64 })),
    serial: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const GatewayStatus = Type.Object(
  {
    v: Type.Literal(1),
    online: Type.Boolean(),
    ts: Timestamp,
    version: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);

export const DeviceReport = Type.Object(
  {
    v: Type.Literal(1),
    seq: Seq,
    ts: Timestamp,
    device: DeviceIdentity,
    /** False when the gateway has lost the switch (out of range, not heard within its window). */
    online: Type.Boolean(),
    state: Type.Optional(SwitchState),
    battery: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    rssi: Type.Optional(Type.Integer({ minimum: -127, maximum: 20 })),
    traceparent: Type.Optional(Traceparent),
  },
  { additionalProperties: false },
);

export const CommandAction = Type.Union([
  Type.Literal('on'),
  Type.Literal('off'),
  Type.Literal('toggle'),
  Type.Literal('press'),
]);

export const CommandRequest = Type.Object(
  {
    v: Type.Literal(1),
    commandId: Type.String({ minLength: 1, maxLength: 64 }),
    action: CommandAction,
    issuedAt: Timestamp,
    /** After this instant the gateway must not act; it answers "expired" instead. */
    expiresAt: Timestamp,
    traceparent: Type.Optional(Traceparent),
  },
  { additionalProperties: false },
);

export const CommandStatus = Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('expired')]);

/** Why a command did not succeed. Stable codes; `detail` carries the human text. */
export const FailureReason = Type.Union([
  Type.Literal('out_of_range'),
  Type.Literal('busy'),
  Type.Literal('timeout'),
  Type.Literal('low_battery'),
  Type.Literal('unsupported'),
  Type.Literal('device_error'),
  Type.Literal('unknown_device'),
  Type.Literal('expired'),
  Type.Literal('gateway_error'),
  /** The switch is being updated; the command was not tried (the cloud answers 409 DEVICE_UPDATING). */
  Type.Literal('device_updating'),
  /** The switch answered the action as done, but the state it reports afterwards is unchanged. */
  Type.Literal('no_effect'),
]);

export const CommandResult = Type.Object(
  {
    v: Type.Literal(1),
    seq: Seq,
    ts: Timestamp,
    commandId: Type.String({ minLength: 1, maxLength: 64 }),
    status: CommandStatus,
    reason: Type.Optional(FailureReason),
    detail: Type.Optional(Type.String({ maxLength: 512 })),
    state: Type.Optional(SwitchState),
    traceparent: Type.Optional(Traceparent),
  },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });

/** Periodic gateway health: radio slots, queues, outbox backlog and recent errors. */
export const GatewayHealth = Type.Object(
  {
    v: Type.Literal(1),
    ts: Timestamp,
    uptimeS: Count,
    connections: Type.Object(
      { inUse: Count, max: Count, peak: Count, waiting: Count },
      { additionalProperties: false },
    ),
    commands: Type.Object({ running: Count, taken: Count }, { additionalProperties: false }),
    outbox: Type.Object(
      { records: Count, bytes: Count, oldestAgeMs: Count, dropped: Count, delivered: Count },
      { additionalProperties: false },
    ),
    devices: Type.Object({ known: Count, online: Count }, { additionalProperties: false }),
    links: Type.Object(
      { cloud: Type.Boolean(), local: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    rssMb: Type.Number({ minimum: 0 }),
    lastErrors: Type.Array(
      Type.Object({ ts: Timestamp, message: Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
      { maxItems: 10 },
    ),
  },
  { additionalProperties: false },
);

export type GatewayHealth = Static<typeof GatewayHealth>;
export type GatewayStatus = Static<typeof GatewayStatus>;
export type DeviceReport = Static<typeof DeviceReport>;
export type DeviceIdentity = Static<typeof DeviceIdentity>;
export type CommandRequest = Static<typeof CommandRequest>;
export type CommandResult = Static<typeof CommandResult>;
export type CommandAction = Static<typeof CommandAction>;
export type CommandStatus = Static<typeof CommandStatus>;
export type FailureReason = Static<typeof FailureReason>;
export type SwitchState = Static<typeof SwitchState>;

/** A command request issued at `now` (default: this instant) that the gateway may act on for `ttlMs`. */
export function commandRequest(
  commandId: string,
  action: CommandAction,
  ttlMs: number,
  options: { now?: number; traceparent?: string } = {},
): CommandRequest {
  const now = options.now ?? Date.now();
  const request: CommandRequest = {
    v: 1,
    commandId,
    action,
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
  };
  if (options.traceparent !== undefined) request.traceparent = options.traceparent;
  return request;
}
