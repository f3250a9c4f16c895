import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { compact } from './harness.ts';
import { useBridgeRig, type LocalBroker } from './local-broker.ts';

const rig = useBridgeRig();

interface Config {
  unique_id: string;
  default_entity_id: string;
  object_id?: string;
  device: { identifiers: string[]; manufacturer: string; name: string; via_device?: string };
  availability: { topic: string }[];
  origin: { name: string };
  state_topic: string;
  command_topic?: string;
  payload_press?: string;
  payload_on?: string;
}

/** Discovery configs as Home Assistant holds them now: the last retained payload per topic, cleared ones left out. */
const current = (l: LocalBroker) =>
  new Map(
    [...l.last]
      .filter(([topic, text]) => topic.startsWith('homeassistant/') && topic.endsWith('/config') && text !== '')
      .map(([t, text]) => [t, JSON.parse(text) as Config]),
  );

const configsOf = (l: LocalBroker, address: string) =>
  l.messages.filter(
    (m) => m.topic.startsWith('homeassistant/') && m.topic.includes(`/switchfleet_${address}/`) && m.text !== '',
  );

describe('Home Assistant MQTT discovery', () => {
  // Each entity with unique_id, default_entity_id, device, availability and origin.
  it('announces a switch in switch mode: an on/off switch, battery and RSSI sensors and an update entity', async () => {
    const l = await rig.startLocalBroker();
    const bench = await rig.startBench({ switches: [{ mode: 'switch' }], gateway: { local: { url: l.url } } });
    const address = compact(bench.switches[0]!.address);
    await expect.poll(() => new Set(configsOf(l, address).map((m) => m.topic)).size, { timeout: 10_000 }).toBe(4);
    const components = [...new Set(configsOf(l, address).map((m) => m.topic.split('/')[1]))].sort();
    expect(components).toEqual(['sensor', 'switch', 'update']);
    const latest = new Map(configsOf(l, address).map((m) => [m.topic, JSON.parse(m.text) as Config]));
    const ids = new Set<string>();
    for (const c of latest.values()) {
      ids.add(c.unique_id);
      expect(c.device.identifiers).toEqual([`switchfleet_${address}`]);
      expect(c.device.manufacturer).toBe('SwitchBot');
      expect(c.availability.map((a) => a.topic)).toEqual([
        'switchfleet/bridge/state',
        `switchfleet/${c.device.name}/availability`,
      ]);
      expect(c.origin.name).toMatch(/SwitchFleet/);
      expect(c.state_topic).toBe(`switchfleet/${c.device.name}`);
      // object_id is deprecated since HA 2025.10; default_entity_id is "<domain>.<object id>".
      expect(c.object_id).toBeUndefined();
      expect(c.default_entity_id).toMatch(/^(switch|sensor|update)\.[a-z0-9_]+$/);
    }
    expect(ids.size).toBe(4);
    const sw = latest.get(`homeassistant/switch/switchfleet_${address}/switch/config`)!;
    expect(sw.command_topic).toBe(`${sw.state_topic}/set`);
    expect(sw.default_entity_id).toBe(`switch.${sw.device.name.replace(/-/g, '_')}`);
    // Retained: a subscriber arriving later (Home Assistant after its own restart) gets all four.
    const late = await mqtt.connectAsync(l.directUrl, { protocolVersion: 4, clientId: 'late-ha' });
    const retained = new Set<string>();
    late.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0 && topic.includes(`/switchfleet_${address}/`)) retained.add(topic);
    });
    await late.subscribeAsync('homeassistant/#', { qos: 1 });
    await expect.poll(() => retained.size, { timeout: 10_000 }).toBe(4);
    await late.endAsync(true);
  });

  it('publishes discovery again when Home Assistant comes online and when the local link reconnects', async () => {
    const l = await rig.startLocalBroker();
    const bench = await rig.startBench({ switches: [{}], gateway: { local: { url: l.url } } });
    const address = compact(bench.switches[0]!.address);
    await expect.poll(() => new Set(configsOf(l, address).map((m) => m.topic)).size, { timeout: 10_000 }).toBe(4);

    let before = configsOf(l, address).length;
    await l.watcher.publishAsync('homeassistant/status', 'online');
    await expect.poll(() => configsOf(l, address).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 4);

    before = configsOf(l, address).length;
    await l.link.cut();
    await expect.poll(() => bench.gateway.deps.local?.connected).toBe(false);
    await l.link.restore();
    await expect.poll(() => configsOf(l, address).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 4);
  });

  it('offers Press only on a switch in press mode, and every Press and switch it offers works', async () => {
    const l = await rig.startLocalBroker();
    const switches = [{ mode: 'switch' as const, on: false }, { mode: 'press' as const }];
    const bench = await rig.startBench({ switches, gateway: { local: { url: l.url } } });
    const [inSwitchMode, inPressMode] = bench.switches.map((sw) => compact(sw.address));
    const topic = (component: string, address: string, object: string) =>
      `homeassistant/${component}/switchfleet_${address}/${object}/config`;
    await expect.poll(() => current(l).has(topic('button', inPressMode!, 'press')), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => current(l).has(topic('switch', inSwitchMode!, 'switch')), { timeout: 10_000 }).toBe(true);
    const configs = current(l);
    expect(configs.has(topic('button', inSwitchMode!, 'press'))).toBe(false);
    expect(configs.has(topic('switch', inPressMode!, 'switch'))).toBe(false);

    // What Home Assistant does when the buttons and switches are used: publish their payloads.
    const switchesBy = new Map(bench.switches.map((sw) => [compact(sw.address), sw]));
    let used = 0;
    for (const [t, c] of configs) {
      const address = /switchfleet_([0-9a-f]{12})\//.exec(t)?.[1];
      const sw = address === undefined ? undefined : switchesBy.get(address);
      if (!sw || !c.command_topic || c.command_topic.includes('/bridge/')) continue;
      const presses = sw.state.pressCount;
      await l.watcher.publishAsync(c.command_topic, c.payload_press ?? c.payload_on!);
      await expect.poll(() => sw.state.pressCount, { timeout: 5000 }).toBe(presses + 1);
      used += 1;
    }
    expect(used).toBe(2);
    expect(bench.switches[0]!.state.on).toBe(true);
    expect(l.messages.filter((m) => m.topic === 'switchfleet/bridge/logging')).toEqual([]);
  });

  it('moves the offer when a switch changes mode: the Press button appears and the on/off switch goes', async () => {
    const l = await rig.startLocalBroker();
    const bench = await rig.startBench({ switches: [{ mode: 'switch' }], gateway: { local: { url: l.url } } });
    const address = compact(bench.switches[0]!.address);
    await l.waitFor(`homeassistant/switch/switchfleet_${address}/switch/config`, (t) => t !== '');
    bench.switches[0]!.store.mode = 'press'; // as the SwitchBot app's mode setting leaves it
    await l.waitFor(`homeassistant/button/switchfleet_${address}/press/config`, (t) => t !== '');
    await l.waitFor(`homeassistant/switch/switchfleet_${address}/switch/config`, (t) => t === '');
    const exposes = (t: string) => JSON.stringify((JSON.parse(t) as { definition: unknown }[])[0]!.definition);
    const entry = await l.waitFor('switchfleet/bridge/devices', (t) => exposes(t).includes('"press"'));
    expect(exposes(entry)).not.toContain('"state"');
  });

  it('publishes the bridge as a device, named by every via_device, with restart and permit join', async () => {
    const l = await rig.startLocalBroker();
    const switches = [{ mode: 'switch' as const }, { mode: 'press' as const }];
    const bench = await rig.startBench({ switches, gateway: { local: { url: l.url } } });
    const bridgeTopic = `homeassistant/button/switchfleet_bridge_${bench.gatewayId}/restart/config`;
    await expect.poll(() => current(l).has(bridgeTopic), { timeout: 10_000 }).toBe(true);
    const switchConfigs = () => [...current(l).keys()].filter((t) => /switchfleet_[0-9a-f]{12}\//.test(t)).length;
    await expect.poll(switchConfigs, { timeout: 10_000 }).toBe(8);
    const configs = [...current(l).values()];
    const devices = new Set(configs.flatMap((c) => c.device.identifiers));
    const vias = configs.filter((c) => c.device.via_device !== undefined);
    expect(vias.length).toBe(8);
    for (const c of vias) expect(devices.has(c.device.via_device!)).toBe(true);
    const restart = current(l).get(bridgeTopic)!;
    expect(restart.command_topic).toBe('switchfleet/bridge/request/restart');
    const bridgeNode = `switchfleet_bridge_${bench.gatewayId}`;
    const state = current(l).get(`homeassistant/binary_sensor/${bridgeNode}/connection_state/config`)!;
    expect(state.state_topic).toBe('switchfleet/bridge/state');
    // The permit join switch's payloads are requests the bridge answers.
    const join = current(l).get(`homeassistant/switch/switchfleet_bridge_${bench.gatewayId}/permit_join/config`)!;
    await l.watcher.publishAsync(join.command_topic!, join.payload_on!);
    await l.waitFor('switchfleet/bridge/info', (t) => JSON.parse(t).permit_join === true);
    // The response and the info are two messages on two topics: wait for the response itself.
    const response = await l.waitFor('switchfleet/bridge/response/permit_join');
    expect(JSON.parse(response).status).toBe('ok');
  });
});
