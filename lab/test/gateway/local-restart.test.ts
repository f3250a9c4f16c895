import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { useBridgeRig } from './local-broker.ts';

const rig = useBridgeRig();

/**
 * What `mosquitto_sub -v --retained-only` prints against the broker: the retained messages, read by
 * the real client a household would use (Debian's mosquitto-clients, installed by .ci/run).
 */
async function retained(url: string, filter: string): Promise<Map<string, string>> {
  const { hostname, port } = new URL(url);
  const out = await new Promise<string>((resolve, reject) => {
    // -W: stop after a second; with --retained-only it exits at once on the first live message.
    execFile(
      'mosquitto_sub',
      ['-h', hostname, '-p', port, '-V', 'mqttv311', '-v', '--retained-only', '-W', '1', '-t', filter],
      (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
          reject(new Error('mosquitto_sub is not installed (apt-get install mosquitto-clients)'));
        else resolve(stdout);
      },
    );
  });
  const seen = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const space = line.indexOf(' ');
    seen.set(line.slice(0, space), line.slice(space + 1));
  }
  return seen;
}

describe('the local bridge on mosquitto across a gateway restart', () => {
  it('keeps retained state for every switch, and shows no availability for a switch not heard since', async () => {
    const l = await rig.startLocalBroker('mosquitto');
    const bench = await rig.startBench({
      switches: [{ on: true }, { on: false }, {}],
      gateway: { local: { url: l.url, homeassistant: false } },
    });
    const names = bench.switches.map((sw) => `switch-${sw.address.replace(/:/g, '').toLowerCase().slice(-4)}`);
    for (const n of names) await l.waitFor(`switchfleet/${n}/availability`, (t) => t === '{"state":"online"}');

    const gone = bench.switches[2]!;
    gone.moveTo(500);
    await bench.restartGateway();
    await l.waitFor('switchfleet/bridge/state', (t) => t === '{"state":"online"}');
    await expect.poll(() => bench.gateway.deps.registry.all().length).toBe(2);
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
    const local = await rig.startLocalBroker('mosquitto');
    const bench = await rig.startBench({
      switches: [{}],
      gateway: { local: { url: local.url, homeassistant: false } },
    });
    await local.waitFor('switchfleet/bridge/state', (t) => t === '{"state":"online"}');
    await bench.gateway.stop();
    await local.waitFor('switchfleet/bridge/state', (t) => t === '{"state":"offline"}');
    expect((await retained(local.directUrl, 'switchfleet/bridge/state')).get('switchfleet/bridge/state')).toBe(
      '{"state":"offline"}',
    );
  });
});
