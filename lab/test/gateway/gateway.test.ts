import { describe, expect, it } from 'vitest';
import { lowBattery, noNotifications } from '@switchfleet/firmware-sim';
import { compact, useBench } from './harness.ts';

const rig = useBench();

describe('the gateway on a simulated radio', () => {
  it('reports every switch it hears, with the identity read in its interview', async () => {
    const bench = await rig.startBench({
      switches: [
        { firmwareVersion: '1.0.3', on: true },
        { firmwareVersion: '1.0.3', on: false },
      ],
    });
    for (const sw of bench.switches) {
      const report = await bench.reportFor(sw, (r) => r.device.firmwareVersion === '1.0.3');
      expect(report.online).toBe(true);
      expect(report.state?.on).toBe(sw.state.on);
      expect(report.device.hardwareId).toBe(sw.state.hardwareId);
      expect(report.rssi).toBeLessThan(0);
    }
  });

  it('turns a switch on and reports the new state in the one result', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const id = await bench.command(sw!, 'on');
    const result = await bench.resultFor(id);
    expect(result).toMatchObject({ commandId: id, status: 'succeeded', state: { on: true } });
    expect(sw!.state.on).toBe(true);
  });

  it('toggles from the state it learned passively', async () => {
    const bench = await rig.startBench({ switches: [{ on: true }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const result = await bench.resultFor(await bench.command(sw!, 'toggle'));
    expect(result.state).toEqual({ on: false });
    expect(sw!.state.on).toBe(false);
  });

  it('runs a redelivered command once and answers it again with the same result', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const id = await bench.command(sw!, 'toggle');
    const first = await bench.resultFor(id);
    const before = sw!.state.changeCounter;
    await bench.command(sw!, 'toggle', { commandId: id });
    await expect.poll(() => bench.results.filter((r) => r.commandId === id).length).toBe(2);
    const [a, b] = bench.results.filter((r) => r.commandId === id);
    expect(b).toEqual(a);
    expect(first.state).toEqual({ on: true });
    expect(sw!.state.changeCounter).toBe(before);
    expect(sw!.state.on).toBe(true);
  });

  it('expires a command for a switch it cannot reach, with the reason', async () => {
    const bench = await rig.startBench({ switches: [{}] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    sw!.moveTo(500);
    await bench.reportFor(sw!, (r) => !r.online);
    const result = await bench.resultFor(await bench.command(sw!, 'on', { ttlMs: 400 }));
    expect(result).toMatchObject({ status: 'expired', reason: 'out_of_range' });
  });

  it('fails at once with low_battery when the switch refuses for its battery', async () => {
    const bench = await rig.startBench({ switches: [{ battery: 5, behaviours: [lowBattery(10)] }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const result = await bench.resultFor(await bench.command(sw!, 'on'));
    expect(result).toMatchObject({ status: 'failed', reason: 'low_battery' });
    expect(sw!.state.on).toBe(false);
  });

  it('expires with timeout when the switch never answers', async () => {
    const bench = await rig.startBench({ switches: [{ behaviours: [noNotifications()] }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const result = await bench.resultFor(await bench.command(sw!, 'on', { ttlMs: 1500 }));
    expect(result).toMatchObject({ status: 'expired', reason: 'timeout' });
  });

  it('never holds more links than allowed under 100 concurrent commands, and answers each once', async () => {
    const bench = await rig.startBench({
      switches: Array.from({ length: 20 }, () => ({})),
      gateway: { ble: { maxConnections: 3 } },
    });
    await Promise.all(bench.switches.map((sw) => bench.reportFor(sw)));
    const ids = await Promise.all(
      Array.from({ length: 100 }, (_, i) => bench.command(bench.switches[i % 20]!, 'toggle', { ttlMs: 20_000 })),
    );
    const results = await Promise.all(ids.map((id) => bench.resultFor(id, 25_000)));
    expect(results.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(bench.gateway.deps.pool.peak).toBeLessThanOrEqual(3);
    for (const id of ids) expect(bench.results.filter((r) => r.commandId === id)).toHaveLength(1);
    // 5 toggles per switch from off: each ends on.
    for (const sw of bench.switches) expect(sw.state.on).toBe(true);
  });

  it('ignores a malformed command and keeps serving the next one', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    await bench.cloud.publishAsync(
      `sf/v1/gw/${bench.gatewayId}/dev/${compact(sw!.address)}/cmd`,
      '{"v":1,"action":"explode"',
      { qos: 1 },
    );
    const result = await bench.resultFor(await bench.command(sw!, 'on'));
    expect(result.status).toBe('succeeded');
    expect(bench.gateway.deps.cloud.rejected).toBe(1);
  });
});
