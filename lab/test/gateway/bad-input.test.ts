import { describe, expect, it } from 'vitest';
import { compact } from './harness.ts';
import { useBridgeRig, type LocalBroker } from './local-broker.ts';

const rig = useBridgeRig();

const errorsLogged = (l: LocalBroker) =>
  l.messages
    .filter((m) => m.topic === 'switchfleet/bridge/logging')
    .map((m) => (JSON.parse(m.text) as { message: string }).message);

describe('bad input on the local bridge and the cloud link', () => {
  it('answers unknown operations, malformed and oversized requests with an error response, and keeps serving', async () => {
    const l = await rig.startLocalBroker();
    const bench = await rig.startBench({
      switches: [{ on: false }],
      gateway: { local: { url: l.url, homeassistant: false, maxPayloadBytes: 1024 } },
    });
    const name = `switch-${compact(bench.switches[0]!.address).slice(-4)}`;
    await l.waitFor(`switchfleet/${name}`);

    expect(await l.request('self_destruct', {})).toMatchObject({
      status: 'error',
      error: 'unknown operation "self_destruct"',
    });
    expect(await l.request('device/rename', '{"from": ')).toMatchObject({
      status: 'error',
      error: 'payload is not valid JSON',
    });
    expect(await l.request('device/remove', { id: 'x'.repeat(2000) })).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/exceeds 1024/),
    });
    expect(await l.request('device/remove', { id: 'no-such-switch' })).toMatchObject({
      status: 'error',
      error: 'device "no-such-switch" does not exist',
    });
    expect(await l.request('device/rename', '["not","an","object"]')).toMatchObject({
      status: 'error',
      error: 'payload must be a JSON object',
    });

    await l.watcher.publishAsync('switchfleet/ghost/set', '{"state":"ON"}');
    await l.watcher.publishAsync(`switchfleet/${name}/set`, '{"state":"EXPLODE"}');
    await l.watcher.publishAsync(`switchfleet/${name}/set`, Buffer.alloc(5000, 65));
    await expect.poll(() => errorsLogged(l).length).toBe(3);
    expect(errorsLogged(l)).toEqual([
      'set for unknown device "ghost"',
      `${name}/set: unknown state or action "EXPLODE"`,
      `${name}/set: payload of 5000 bytes exceeds 1024`,
    ]);

    await l.watcher.publishAsync(`switchfleet/${name}/set`, 'ON');
    await l.waitFor(`switchfleet/${name}`, (t) => JSON.parse(t).state === 'ON');
    expect(bench.switches[0]!.state.on).toBe(true);
  });

  it('rejects an oversized cloud command without a result and runs the next one', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }] });
    const sw = bench.switches[0]!;
    await bench.reportFor(sw);
    const topic = `sf/v1/gw/${bench.gatewayId}/dev/${compact(sw.address)}/cmd`;
    await bench.cloud.publishAsync(topic, JSON.stringify({ commandId: 'huge', pad: 'x'.repeat(20_000) }), { qos: 1 });
    const ok = await bench.resultFor(await bench.command(sw, 'on'));
    expect(ok.status).toBe('succeeded');
    expect(bench.gateway.deps.cloud.rejected).toBe(1);
    expect(bench.results.some((r) => r.commandId === 'huge')).toBe(false);
  });
});
