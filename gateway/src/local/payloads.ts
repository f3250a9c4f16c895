/**
 * Zigbee2MQTT-shaped payloads for BLE switches, so tools written for Zigbee2MQTT read them
 * unchanged: the device state object, bridge/devices entries, bridge/info, and parsing of /set.
 */
import type { CommandAction } from '@switchfleet/protocol';
import type { DeviceRecord } from '../devices/registry.ts';

/** The device's `update` field (Zigbee2MQTT's OTA state shape). */
export interface UpdateState {
  state: 'idle' | 'available' | 'updating';
  installed_version: string | null;
  latest_version: string | null;
  progress?: number;
  remaining?: number;
}

export const VENDOR = 'SwitchBot';

/** Zigbee2MQTT's device id is its IEEE address; ours is the BLE address with the same prefix. */
export function ieeeOf(address: string): string {
  return `0x${address}`;
}

/** Zigbee's link quality is 0..255; map the RSSI's useful range (-100..-30 dBm) onto it. */
export function linkQuality(rssi: number): number {
  return Math.max(0, Math.min(255, Math.round(((rssi + 100) / 70) * 255)));
}

export function deviceState(rec: DeviceRecord, update: UpdateState | undefined): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  if (rec.on !== undefined) state.state = rec.on ? 'ON' : 'OFF';
  if (rec.battery !== undefined) state.battery = rec.battery;
  if (rec.rssi !== undefined) {
    state.rssi = Math.round(rec.rssi);
    state.linkquality = linkQuality(rec.rssi);
  }
  state.last_seen = new Date(rec.lastSeen).toISOString();
  state.update = update ?? {
    state: 'idle',
    installed_version: rec.firmwareVersion ?? null,
    latest_version: rec.firmwareVersion ?? null,
  };
  return state;
}

/**
 * What a switch offers in its mode (SwitchBotAPI-BLE bot.md): in switch (on/off) mode the Bot
 * refuses a plain press, and in press mode every action is a momentary press with no lasting
 * state, so the SwitchBot app shows On/Off for the one and a single Press for the other. Until the
 * mode was heard, neither is offered.
 */
export function controlsOf(rec: Pick<DeviceRecord, 'mode'>): { onOff: boolean; press: boolean } {
  return { onOff: rec.mode === 'switch', press: rec.mode === 'press' };
}

const stateExpose = {
  type: 'switch',
  features: [{ type: 'binary', name: 'state', property: 'state', access: 7, value_on: 'ON', value_off: 'OFF' }].map(
    (f) => ({ ...f, value_toggle: 'TOGGLE' }),
  ),
};
const pressExpose = { type: 'enum', name: 'action', property: 'action', access: 2, values: ['press'] };
const sensorExposes = [
  { type: 'numeric', name: 'battery', property: 'battery', access: 1, unit: '%', value_min: 0, value_max: 100 },
  { type: 'numeric', name: 'rssi', property: 'rssi', access: 1, unit: 'dBm' },
  {
    type: 'numeric',
    name: 'linkquality',
    property: 'linkquality',
    access: 1,
    unit: 'lqi',
    value_min: 0,
    value_max: 255,
  },
];

function exposesOf(rec: DeviceRecord): unknown[] {
  const c = controlsOf(rec);
  return [...(c.onOff ? [stateExpose] : []), ...(c.press ? [pressExpose] : []), ...sensorExposes];
}

export function deviceEntry(rec: DeviceRecord): Record<string, unknown> {
  return {
    ieee_address: ieeeOf(rec.address),
    friendly_name: rec.name,
    type: 'EndDevice',
    network_address: 0,
    supported: true,
    disabled: false,
    interview_completed: rec.interviewed,
    interviewing: !rec.interviewed,
    manufacturer: VENDOR,
    model_id: rec.model,
    power_source: 'Battery',
    software_build_id: rec.firmwareVersion ?? null,
    hardware_id: rec.hardwareId ?? null,
    definition: {
      model: rec.model,
      vendor: VENDOR,
      description: 'Bluetooth LE switch pusher (SwitchBot Bot profile)',
      exposes: exposesOf(rec),
      options: [],
    },
  };
}

export type SetRequest = { kind: 'command'; action: CommandAction } | { kind: 'invalid'; reason: string };

const SET_ATTRIBUTES = ['state', 'action'] as const;
const EXPECTED = 'expected {"state":"ON"|"OFF"|"TOGGLE"} or {"action":"press"}';

/**
 * Parses `<base>/<name>/set`: {"state":"ON|OFF|TOGGLE"}, {"action":"press"}, or the bare words; and
 * Zigbee2MQTT's `<base>/<name>/set/<attribute>` form, whose payload is the attribute's value, taken
 * as JSON when it parses and as the plain text otherwise (so `ON` and `"ON"` both work).
 */
export function parseSet(payload: Buffer, attribute?: string): SetRequest {
  const text = payload.toString('utf8').trim();
  let value: unknown = text;
  if (attribute !== undefined) {
    if (!(SET_ATTRIBUTES as readonly string[]).includes(attribute)) {
      return { kind: 'invalid', reason: `unknown attribute "${attribute.slice(0, 32)}": expected state or action` };
    }
    try {
      value = { [attribute]: JSON.parse(text) as unknown };
    } catch {
      value = { [attribute]: text };
    }
  } else if (text.startsWith('{')) {
    try {
      value = JSON.parse(text);
    } catch {
      return { kind: 'invalid', reason: 'payload is not valid JSON' };
    }
  }
  if (typeof value === 'string') return commandOf(value, STATES_AND_PRESS);
  const fields = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if (typeof fields.state === 'string') return commandOf(fields.state, STATES);
  if (typeof fields.action === 'string') return commandOf(fields.action, PRESS);
  return { kind: 'invalid', reason: EXPECTED };
}

const STATES = { on: 'on', off: 'off', toggle: 'toggle' } as const;
const PRESS = { press: 'press' } as const;
const STATES_AND_PRESS = { ...STATES, ...PRESS };

function commandOf(word: string, allowed: Readonly<Record<string, CommandAction>>): SetRequest {
  const action = Object.hasOwn(allowed, word.toLowerCase()) ? allowed[word.toLowerCase()] : undefined;
  if (!action) return { kind: 'invalid', reason: `unknown state or action "${word.slice(0, 32)}"` };
  return { kind: 'command', action };
}

/** A name that works as one topic level and is not the bridge's own. */
export function checkFriendlyName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'the new name must be a non-empty string';
  if (name.length > 64) return 'the new name is longer than 64 characters';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is refused on purpose (MQTT 3.1.1 §1.5.3)
  if (/[/+#\u0000]/.test(name)) return 'the new name may not contain "/", "+", "#" or NUL';
  if (name === 'bridge' || /^0x[0-9a-f]+$/i.test(name)) return `"${name}" is reserved`;
  return undefined;
}
