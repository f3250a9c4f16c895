import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startBench, type Bench } from './harness.ts';
import { startLocalBroker, type LocalBroker } from './local-broker.ts';

let bench: Bench | undefined;
let local: LocalBroker | undefined;
afterEach(async () => {
  await bench?.close();
  await local?.close();
  bench = undefined;
  local = undefined;
});

/** What a fresh `mosquitto_sub -v -t <filter>` prints at once: the retained messages. */
async function retained(url: string, filter: string, settleMs = 400): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: `sub-${Date.now()}` });
  const seen = new Map<string, string>();
  client.on('message', (topic, payload, packet) => {
    if (packet.retain) seen.set(topic, payload.toString());
  });
  await client.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, settleMs));
  await client.endAsync(true);
  return seen;
}

describe('the local bridge on mosquitto across a gateway restart', () => {
  it('keeps retained state for every switch, and shows no availability for a switch not heard since', async () => {
    local = await startLocalBroker('mosquitto');
    bench = await startBench({ switches: [{ on: true }, { on: false }, {}], gateway: { local: { url: local.url, homeassistant: false } } });
    const l = local;
    const names = bench.switches.map((sw) => `switch-${sw.address.replace(/:/g, '').toLowerCase().slice(-4)}`);
    for (const n of names) await l.waitFor(`switchfleet/${n}/availability`, (t) => t === '{"state":"online"}');

    const gone = bench.switches[2]!;
    gone.moveTo(500);
    await bench.restartGateway();
    await l.waitFor('switchfleet/bridge/state', (t) => t === '{"state":"online"}');
    await expect.poll(() => bench!.gateway.deps.registry.all().length).toBe(2);
    await new Promise((r) => setTimeout(r, 200));

    const after = await retained(l.directUrl, 'switchfleet/#');
    for (const n of names) expect(after.has(`switchfleet/${n}`)).toBe(true);
    expect(JSON.parse(after.get(`switchfleet/${names[0]}`)!).state).toBe('ON');
    expect(after.get('switchfleet/bridge/state')).toBe('{"state":"online"}');
    expect(after.has(`switchfleet/${names[2]}/availability`)).toBe(false);

    gone.moveTo(2);
    await l.waitFor(`switchfleet/${names[2]}/availability`, (t) => t === '{"state":"online"}');
  });

  it('leaves the bridge state offline when the gateway stops', async () => {
    local = await startLocalBroker('mosquitto');
    bench = await startBench({ switches: [{}], gateway: { local: { url: local.url, homeassistant: false } } });
    await local.waitFor('switchfleet/bridge/state', (t) => t === '{"state":"online"}');
    await bench.gateway.stop();
    await local.waitFor('switchfleet/bridge/state', (t) => t === '{"state":"offline"}');
    expect((await retained(local.directUrl, 'switchfleet/bridge/state')).get('switchfleet/bridge/state')).toBe('{"state":"offline"}');
  });
});
