/**
 * The bridge itself as a Home Assistant device, as Zigbee2MQTT publishes its own: every switch
 * names it as via_device, so HA needs it discovered. Its entities read and drive the bridge topics:
 * connection state (<base>/bridge/state), version and permit join (<base>/bridge/info), and a
 * restart button (<base>/bridge/request/restart).
 */
import {
  bridgeIdentifier,
  defaultEntityId,
  origin,
  type DiscoveryContext,
  type DiscoveryMessage,
} from './homeassistant.ts';

export function bridgeDiscoveryMessages(ctx: DiscoveryContext): DiscoveryMessage[] {
  const bridge = `${ctx.base}/bridge`;
  const id = bridgeIdentifier(ctx);
  const device = {
    identifiers: [id],
    name: `SwitchFleet Bridge ${ctx.gatewayId}`,
    manufacturer: 'SwitchFleet',
    model: 'Bridge',
    sw_version: ctx.version,
  };
  const online = { availability: [{ topic: `${bridge}/state`, value_template: '{{ value_json.state }}' }] };
  const entity = (component: string, object: string, payload: Record<string, unknown>): DiscoveryMessage => ({
    topic: `${ctx.prefix}/${component}/${id}/${object}/config`,
    payload: {
      ...payload,
      unique_id: `${id}_${object}`,
      default_entity_id: defaultEntityId(component, `switchfleet_bridge_${ctx.gatewayId}_${object}`),
      device,
      origin: origin(ctx),
    },
  });
  return [
    // No availability of its own: it is what shows the bridge offline.
    entity('binary_sensor', 'connection_state', {
      name: 'Connection state',
      device_class: 'connectivity',
      entity_category: 'diagnostic',
      state_topic: `${bridge}/state`,
      value_template: '{{ value_json.state }}',
      payload_on: 'online',
      payload_off: 'offline',
    }),
    entity('button', 'restart', {
      ...online,
      name: 'Restart',
      device_class: 'restart',
      command_topic: `${bridge}/request/restart`,
      payload_press: '',
    }),
    entity('switch', 'permit_join', {
      ...online,
      name: 'Permit join',
      state_topic: `${bridge}/info`,
      value_template: '{{ value_json.permit_join | lower }}',
      state_on: 'true',
      state_off: 'false',
      command_topic: `${bridge}/request/permit_join`,
      payload_on: '{"time": 254}',
      payload_off: '{"time": 0}',
    }),
    entity('sensor', 'version', {
      ...online,
      name: 'Version',
      entity_category: 'diagnostic',
      state_topic: `${bridge}/info`,
      value_template: '{{ value_json.version }}',
    }),
  ];
}
