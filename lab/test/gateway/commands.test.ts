import { describe, expect, it } from 'vitest';
import { compact, useBench } from './harness.ts';

const rig = useBench();

describe('commands and the radio schedule', () => {
  it('gives a freed radio slot to a user command before a waiting read', async () => {
    const bench = await rig.startBench({
      switches: [{}, {}, {}],
      gateway: { ble: { maxConnections: 1, idleMs: 5000 } },
    });
    await Promise.all(bench.switches.map((sw) => bench.reportFor(sw, (r) => r.device.firmwareVersion !== undefined)));
    const [a, b, c] = bench.switches.map((sw) => compact(sw.address));
    const { pool } = bench.gateway.deps;
    const order: string[] = [];
    let release = () => {};
    const held = pool.withConnection(a!, 'ota', () => new Promise<void>((r) => (release = r)));
    await expect.poll(() => pool.inUse).toBe(1);
    const read = pool.withConnection(b!, 'read', async () => void order.push('read'));
    const command = pool.withConnection(c!, 'command', async () => void order.push('command'));
    await expect.poll(() => pool.queued).toBe(2);
    release();
    await Promise.all([held, read, command]);
    expect(order).toEqual(['command', 'read']);
    expect(pool.peak).toBe(1);
  });

  it('answers an invalid command whose id it can read with one failed result, and keeps serving', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const topic = `sf/v1/gw/${bench.gatewayId}/dev/${compact(sw!.address)}/cmd`;
    await bench.cloud.publishAsync(
      topic,
      JSON.stringify({
        v: 1,
        commandId: 'bad-1',
        action: 'explode',
        issuedAt: new Date().toISOString(),
        expiresAt: new Date().toISOString(),
      }),
      { qos: 1 },
    );
    const failed = await bench.resultFor('bad-1');
    expect(failed).toMatchObject({ status: 'failed', reason: 'unsupported' });
    expect(failed.detail).toMatch(/action/);
    const ok = await bench.resultFor(await bench.command(sw!, 'on'));
    expect(ok.status).toBe('succeeded');
    expect(bench.results.filter((r) => r.commandId === 'bad-1')).toHaveLength(1);
  });

  it('expires a command that arrives after its expiry without touching the switch', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const result = await bench.resultFor(await bench.command(sw!, 'on', { ttlMs: -1000 }));
    expect(result).toMatchObject({ status: 'expired', reason: 'expired' });
    expect(sw!.state.on).toBe(false);
  });

  it('numbers every report and result with strictly increasing sequence numbers', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }, { on: true }] });
    await Promise.all(bench.switches.map((sw) => bench.reportFor(sw)));
    for (const sw of bench.switches) await bench.resultFor(await bench.command(sw, 'toggle'));
    const seqs = bench.arrivals;
    expect(seqs.length).toBeGreaterThan(3);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
  });
});
