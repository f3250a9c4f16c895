import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { compact } from './harness.ts';
import { useBridgeRig, type LocalBroker } from './local-broker.ts';

const rig = useBridgeRig();

interface Config {
  unique_id: string;
  device: { identifiers: string[]; manufacturer: string; name: string };
  availability: { topic: string }[];
  origin: { name: string };
  state_topic: string;
  command_topic?: string;
}

const configsOf = (l: LocalBroker, address: string) =>
  l.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.includes(`/switchfleet_${address}/`) && m.text !== '');

describe('Home Assistant MQTT discovery', () => {
  it('announces a switch, a press button, battery and RSSI sensors and an update entity, each with unique_id, device, availability and origin', async () => {
    const l = await rig.startLocalBroker();
    const bench = await rig.startBench({ switches: [{}], gateway: { local: { url: l.url } } });
    const address = compact(bench.switches[0]!.address);
    await expect.poll(() => new Set(configsOf(l, address).map((m) => m.topic)).size).toBe(5);
    const components = [...new Set(configsOf(l, address).map((m) => m.topic.split('/')[1]))].sort();
    expect(components).toEqual(['button', 'sensor', 'switch', 'update']);
    const latest = new Map(configsOf(l, address).map((m) => [m.topic, JSON.parse(m.text) as Config]));
    const ids = new Set<string>();
    for (const c of latest.values()) {
      ids.add(c.unique_id);
      expect(c.device.identifiers).toEqual([`switchfleet_${address}`]);
      expect(c.device.manufacturer).toBe('SwitchBot');
      expect(c.availability.map((a) => a.topic)).toEqual(['switchfleet/bridge/state', `switchfleet/${c.device.name}/availability`]);
      expect(c.origin.name).toMatch(/SwitchFleet/);
      expect(c.state_topic).toBe(`switchfleet/${c.device.name}`);
    }
    expect(ids.size).toBe(5);
    const sw = latest.get(`homeassistant/switch/switchfleet_${address}/switch/config`)!;
    expect(sw.command_topic).toBe(`${sw.state_topic}/set`);
    // Retained: a subscriber arriving later (Home Assistant after its own restart) gets all five.
    const late = await mqtt.connectAsync(l.directUrl, { protocolVersion: 4, clientId: 'late-ha' });
    const retained = new Set<string>();
    late.on('message', (topic, _payload, packet) => packet.retain && retained.add(topic));
    await late.subscribeAsync('homeassistant/#', { qos: 1 });
    await expect.poll(() => retained.size).toBe(5);
    await late.endAsync(true);
  });

  it('publishes discovery again when Home Assistant comes online and when the local link reconnects', async () => {
    const l = await rig.startLocalBroker();
    const bench = await rig.startBench({ switches: [{}], gateway: { local: { url: l.url } } });
    const address = compact(bench.switches[0]!.address);
    await expect.poll(() => new Set(configsOf(l, address).map((m) => m.topic)).size).toBe(5);

    let before = configsOf(l, address).length;
    await l.watcher.publishAsync('homeassistant/status', 'online');
    await expect.poll(() => configsOf(l, address).length).toBeGreaterThanOrEqual(before + 5);

    before = configsOf(l, address).length;
    await l.link.cut();
    await expect.poll(() => bench.gateway.deps.local?.connected).toBe(false);
    await l.link.restore();
    await expect.poll(() => configsOf(l, address).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 5);
  });
});
