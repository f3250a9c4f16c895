/**
 * Home Assistant MQTT discovery for each switch: an on/off switch (switch mode) or a press button
 * (press mode), battery and RSSI sensors and a firmware update entity, all on one HA device linked
 * to the bridge's own device (via_device), each with a unique_id, availability (the bridge and the
 * switch must both be online), origin and default_entity_id, as HA's MQTT discovery documents.
 * Config topics: <prefix>/<component>/<node_id>/<object_id>/config, retained; the entity a mode
 * does not offer gets an empty retained config, which removes it from HA.
 */
import type { DeviceRecord } from '../devices/registry.ts';
import { controlsOf, VENDOR } from './payloads.ts';

export interface DiscoveryContext {
  prefix: string;
  base: string;
  gatewayId: string;
  version: string;
}

export interface DiscoveryMessage {
  topic: string;
  /** Undefined: the entity is not offered, and its retained config is cleared. */
  payload: Record<string, unknown> | undefined;
}

const OBJECTS = ['switch', 'press', 'battery', 'rssi', 'update'] as const;
const COMPONENT: Record<(typeof OBJECTS)[number], string> = {
  switch: 'switch',
  press: 'button',
  battery: 'sensor',
  rssi: 'sensor',
  update: 'update',
};

function nodeId(address: string): string {
  return `switchfleet_${address}`;
}

/** The HA device identifier of the bridge itself, which every switch names as its via_device. */
export function bridgeIdentifier(ctx: DiscoveryContext): string {
  return `switchfleet_bridge_${ctx.gatewayId}`;
}

export function origin(ctx: DiscoveryContext): Record<string, unknown> {
  return { name: 'SwitchFleet gateway', sw_version: ctx.version, support_url: 'https://github.com/switchfleet' };
}

/**
 * HA's suggested entity id, `<domain>.<object id>`: `default_entity_id` replaced the deprecated
 * `object_id` option in HA 2025.10. Entity ids are lower case letters, digits and underscores.
 */
export function defaultEntityId(component: string, objectId: string): string {
  const slug = objectId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `${component}.${slug || 'switchfleet'}`;
}

/** Topics of every discovery config of one switch (to clear them when it is removed). */
export function discoveryTopics(ctx: DiscoveryContext, address: string): string[] {
  return OBJECTS.map((o) => `${ctx.prefix}/${COMPONENT[o]}/${nodeId(address)}/${o}/config`);
}

export function discoveryMessages(ctx: DiscoveryContext, rec: DeviceRecord): DiscoveryMessage[] {
  const stateTopic = `${ctx.base}/${rec.name}`;
  const common = {
    availability: [
      { topic: `${ctx.base}/bridge/state`, value_template: '{{ value_json.state }}' },
      { topic: `${stateTopic}/availability`, value_template: '{{ value_json.state }}' },
    ],
    availability_mode: 'all',
    device: {
      identifiers: [nodeId(rec.address)],
      name: rec.name,
      manufacturer: VENDOR,
      model: rec.model,
      ...(rec.firmwareVersion ? { sw_version: rec.firmwareVersion } : {}),
      ...(rec.hardwareId ? { hw_version: rec.hardwareId } : {}),
      connections: [['bluetooth', rec.address.replace(/(..)(?!$)/g, '$1:')]],
      via_device: bridgeIdentifier(ctx),
    },
    origin: origin(ctx),
    state_topic: stateTopic,
  };
  const id = (o: string) => `${rec.address}_${o}_switchfleet`;
  const config: Record<(typeof OBJECTS)[number], Record<string, unknown>> = {
    switch: {
      ...common,
      name: null,
      unique_id: id('switch'),
      default_entity_id: defaultEntityId('switch', `${rec.name}`),
      command_topic: `${stateTopic}/set`,
      payload_on: '{"state":"ON"}',
      payload_off: '{"state":"OFF"}',
      value_template: '{{ value_json.state }}',
      state_on: 'ON',
      state_off: 'OFF',
    },
    press: {
      ...common,
      name: 'Press',
      unique_id: id('press'),
      default_entity_id: defaultEntityId('button', `${rec.name}_press`),
      command_topic: `${stateTopic}/set`,
      payload_press: '{"action":"press"}',
    },
    battery: {
      ...common,
      name: 'Battery',
      unique_id: id('battery'),
      default_entity_id: defaultEntityId('sensor', `${rec.name}_battery`),
      device_class: 'battery',
      unit_of_measurement: '%',
      state_class: 'measurement',
      entity_category: 'diagnostic',
      value_template: '{{ value_json.battery }}',
    },
    rssi: {
      ...common,
      name: 'RSSI',
      unique_id: id('rssi'),
      default_entity_id: defaultEntityId('sensor', `${rec.name}_rssi`),
      device_class: 'signal_strength',
      unit_of_measurement: 'dBm',
      state_class: 'measurement',
      entity_category: 'diagnostic',
      enabled_by_default: false,
      value_template: '{{ value_json.rssi }}',
    },
    update: {
      ...common,
      name: 'Firmware',
      unique_id: id('update'),
      default_entity_id: defaultEntityId('update', `${rec.name}_firmware`),
      device_class: 'firmware',
      entity_category: 'config',
      command_topic: `${ctx.base}/bridge/request/device/ota_update/update`,
      payload_install: JSON.stringify({ id: rec.address }),
      value_template: "{{ value_json['update']['installed_version'] }}",
      latest_version_topic: stateTopic,
      latest_version_template: "{{ value_json['update']['latest_version'] }}",
      json_attributes_topic: stateTopic,
      json_attributes_template: "{{ value_json['update'] | tojson }}",
    },
  };
  const controls = controlsOf(rec);
  const offered = (o: (typeof OBJECTS)[number]) =>
    o === 'switch' ? controls.onOff : o === 'press' ? controls.press : true;
  const topics = discoveryTopics(ctx, rec.address);
  return OBJECTS.map((o, i) => ({ topic: topics[i]!, payload: offered(o) ? config[o] : undefined }));
}
