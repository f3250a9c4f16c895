import { describe, expect, it } from 'vitest';
import { useBridgeRig } from './local-broker.ts';

const rig = useBridgeRig();

async function start(switches: { on?: boolean; battery?: number }[], kind: 'aedes' | 'mosquitto' = 'aedes') {
  const local = await rig.startLocalBroker(kind);
  const bench = await rig.startBench({ switches, gateway: { local: { url: local.url, homeassistant: false } } });
  const names = bench.switches.map((sw) => `switch-${sw.address.replace(/:/g, '').toLowerCase().slice(-4)}`);
  for (const name of names) await local.waitFor(`switchfleet/${name}`);
  return { bench, local, names };
}

describe('the local Zigbee2MQTT-compatible bridge', () => {
  it('publishes retained state, availability, the device list and the bridge state for every switch it hears', async () => {
    const { local: l, names } = await start([{ on: true, battery: 87 }, { on: false }]);
    const state = await l.waitFor(`switchfleet/${names[0]}`, (t) => JSON.parse(t).battery === 87);
    expect(JSON.parse(state)).toMatchObject({ state: 'ON', battery: 87, update: { state: 'idle' } });
    expect(JSON.parse(state).rssi).toBeLessThan(0);
    expect(JSON.parse(state).linkquality).toBeGreaterThanOrEqual(0);
    expect(Date.parse(JSON.parse(state).last_seen)).not.toBeNaN();
    expect(JSON.parse(await l.waitFor(`switchfleet/${names[1]}`)).state).toBe('OFF');
    expect(await l.waitFor(`switchfleet/${names[0]}/availability`)).toBe('{"state":"online"}');
    expect(l.json('switchfleet/bridge/state')).toEqual({ state: 'online' });
    await l.waitFor('switchfleet/bridge/devices', (t) => JSON.parse(t).length === 2);
    const devices =
      l.json<{ friendly_name: string; manufacturer: string; definition: { exposes: unknown[] } }[]>(
        'switchfleet/bridge/devices',
      )!;
    expect(devices.map((d) => d.friendly_name).sort()).toEqual([...names].sort());
    expect(devices[0]!.definition.exposes.length).toBeGreaterThan(0);
    expect(l.json('switchfleet/bridge/info')).toMatchObject({
      permit_join: false,
      config: { mqtt: { base_topic: 'switchfleet' } },
    });
  });

  it('switches a switch from <base>/<name>/set while the cloud link is down, and reports it to the cloud later', async () => {
    const { bench: b, local: l, names } = await start([{ on: false }]);
    await b.uplink.cut();
    await expect.poll(() => b.gateway.deps.cloud.connected).toBe(false);
    await l.watcher.publishAsync(`switchfleet/${names[0]}/set`, '{"state":"ON"}');
    await l.waitFor(`switchfleet/${names[0]}`, (t) => JSON.parse(t).state === 'ON');
    expect(b.switches[0]!.state.on).toBe(true);
    await b.uplink.restore();
    await b.reportFor(b.switches[0]!, (r) => r.state?.on === true);
  });

  it('reads a switch on /get and toggles it with a bare TOGGLE', async () => {
    const { bench: b, local: l, names } = await start([{ on: true }]);
    await l.watcher.publishAsync(`switchfleet/${names[0]}/set`, 'TOGGLE');
    await l.waitFor(`switchfleet/${names[0]}`, (t) => JSON.parse(t).state === 'OFF');
    expect(b.switches[0]!.state.on).toBe(false);
    const before = l.messages.filter((m) => m.topic === `switchfleet/${names[0]}`).length;
    await l.watcher.publishAsync(`switchfleet/${names[0]}/get`, '{"state":""}');
    await expect
      .poll(() => l.messages.filter((m) => m.topic === `switchfleet/${names[0]}`).length)
      .toBeGreaterThan(before);
  });

  it('answers bridge requests with status, data and the caller transaction', async () => {
    const { local: l } = await start([{}]);
    expect(await l.request('health_check', {})).toMatchObject({ status: 'ok', data: { healthy: true } });
    const join = await l.request('permit_join', { time: 60 });
    expect(join).toMatchObject({ status: 'ok', data: { time: 60 } });
    expect(join.transaction).toMatch(/^t-/);
    await l.waitFor('switchfleet/bridge/info', (t) => JSON.parse(t).permit_join === true);
    expect(await l.request('permit_join', { time: 9999 })).toMatchObject({ status: 'error' });
  });

  it('renames a switch: state moves to the new topic and the old retained topics are cleared', async () => {
    const { local: l, names } = await start([{ on: true }]);
    const res = await l.request('device/rename', { from: names[0], to: 'kitchen' });
    expect(res).toMatchObject({ status: 'ok', data: { from: names[0], to: 'kitchen' } });
    expect(JSON.parse(await l.waitFor('switchfleet/kitchen')).state).toBe('ON');
    await l.waitFor('switchfleet/kitchen/availability', (t) => t === '{"state":"online"}');
    await l.waitFor(`switchfleet/${names[0]}`, (t) => t === '');
    expect(await l.request('device/rename', { from: 'kitchen', to: 'a/b' })).toMatchObject({ status: 'error' });
  });

  it('keeps a new name across a gateway restart', async () => {
    const { bench: b, local: l, names } = await start([{ on: true }]);
    expect((await l.request('device/rename', { from: names[0], to: 'hallway' })).status).toBe('ok');
    await b.restartGateway();
    await expect.poll(() => b.gateway.deps.registry.all().map((d) => d.name)).toEqual(['hallway']);
    await l.waitFor('switchfleet/bridge/devices', (t) => JSON.parse(t)[0]?.friendly_name === 'hallway');
  });

  it('removes a switch: it leaves the device list, its topics are cleared, and commands to it fail', async () => {
    const { bench: b, local: l, names } = await start([{}, {}]);
    const res = await l.request('device/remove', { id: names[0] });
    expect(res.status).toBe('ok');
    await l.waitFor('switchfleet/bridge/devices', (t) => JSON.parse(t).length === 1);
    await l.waitFor(`switchfleet/${names[0]}/availability`, (t) => t === '');
    expect(
      l.messages.some((m) => m.topic === 'switchfleet/bridge/event' && JSON.parse(m.text).type === 'device_leave'),
    ).toBe(true);
    // Still advertising, yet not let back in while joining is closed.
    await new Promise((r) => setTimeout(r, 300));
    expect(b.gateway.deps.registry.get(b.switches[0]!.address.replace(/:/g, '').toLowerCase())).toBeUndefined();
    const result = await b.resultFor(await b.command(b.switches[0]!, 'on'));
    expect(result).toMatchObject({ status: 'failed', reason: 'unknown_device' });
  });

  it('refuses an OTA update while no image source is configured, with an error that says so', async () => {
    const { local: l, names } = await start([{}]);
    const res = await l.request('device/ota_update/update', { id: names[0] });
    expect(res.status).toBe('error');
    expect(res.error).toMatch(/image source is missing/);
  });

  it("accepts Zigbee2MQTT's <name>/set/<attribute> form, with the bare or JSON value as payload", async () => {
    const { bench: b, local: l, names } = await start([{ on: false }]);
    await l.watcher.publishAsync(`switchfleet/${names[0]}/set/state`, 'ON');
    await l.waitFor(`switchfleet/${names[0]}`, (t) => JSON.parse(t).state === 'ON');
    expect(b.switches[0]!.state.on).toBe(true);
    await l.watcher.publishAsync(`switchfleet/${names[0]}/set/state`, '"OFF"');
    await l.waitFor(`switchfleet/${names[0]}`, (t) => JSON.parse(t).state === 'OFF');
    expect(b.switches[0]!.state.on).toBe(false);
    await l.watcher.publishAsync(`switchfleet/${names[0]}/set/brightness`, '10');
    const logged = (text: string) => (t: string) => (JSON.parse(t) as { message: string }).message.includes(text);
    await l.waitFor('switchfleet/bridge/logging', logged('unknown attribute "brightness"'));
    await l.watcher.publishAsync(`switchfleet/${names[0]}/set/state`, 'press');
    await l.waitFor('switchfleet/bridge/logging', logged('unknown state or action "press"'));
    expect(b.switches[0]!.state.pressCount).toBe(2);
  });

  it('restarts the gateway on bridge/request/restart: offline, then back built anew, and serving', async () => {
    const { bench: b, local: l, names } = await start([{ on: false }]);
    const before = b.gateway.deps;
    const from = l.messages.length;
    // Unheard across the restart, so the request below surely comes before the switch's first
    // advertisement to the new gateway: the bridge said online, so it must still serve it.
    b.switches[0]!.moveTo(500);
    expect(await l.request('restart', '')).toMatchObject({ status: 'ok' });
    // From the stop on (the first start's 'online' may reach the watcher late on a loaded machine).
    const bridgeStates = () => {
      const states = l.messages
        .slice(from)
        .filter((m) => m.topic === 'switchfleet/bridge/state')
        .map((m) => (JSON.parse(m.text) as { state: string }).state);
      return states.indexOf('offline') < 0 ? [] : states.slice(states.indexOf('offline'));
    };
    await expect.poll(bridgeStates, { timeout: 10_000 }).toEqual(['offline', 'online']);
    expect(b.gateway.deps).not.toBe(before);
    await expect.poll(() => b.gateway.deps.cloud.connected, { timeout: 10_000 }).toBe(true);
    await l.watcher.publishAsync(`switchfleet/${names[0]}/set`, 'ON', { qos: 1 });
    // Answered after the set was taken in (the same connection, forwarded in order), so only then
    // is the switch heard again.
    expect(await l.request('health_check', {})).toMatchObject({ status: 'ok' });
    b.switches[0]!.moveTo(2);
    await l.waitFor(`switchfleet/${names[0]}`, (t) => JSON.parse(t).state === 'ON');
    expect(l.messages.slice(from).filter((m) => m.topic === 'switchfleet/bridge/logging')).toEqual([]);
    await b.reportFor(b.switches[0]!, (r) => r.state?.on === true);
  });
});
