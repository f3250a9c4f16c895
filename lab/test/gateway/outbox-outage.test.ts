import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slow } from '@switchfleet/firmware-sim';
import { useBench } from './harness.ts';

/**
 * The "broker down for 30 s under load", in real time: reconnect attempts are refused for
 * the whole outage while switches keep changing (commands finishing, switches leaving and coming
 * back into range), so everything produced meanwhile goes to disk and must come out once, in order.
 */
const OUTAGE_MS = 30_000;

const rig = useBench();

describe('the cloud link going down under load', () => {
  it('delivers every report and result produced during the outage once it is back, and nothing else', async () => {
    const bench = await rig.startBench({
      switches: Array.from({ length: 10 }, () => ({ behaviours: [slow(150)] })),
      gateway: { ble: { maxConnections: 3 }, outbox: { segmentBytes: 8192 } },
    });
    const b = bench;
    const { outbox, cloud } = b.gateway.deps;
    await Promise.all(b.switches.map((sw) => b.reportFor(sw)));
    const storedOffline: number[] = [];
    outbox.onStored((seq) => {
      if (!cloud.connected) storedOffline.push(seq);
    });

    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => b.command(b.switches[i % 10]!, 'toggle', { ttlMs: 30_000 })),
    );
    await expect.poll(() => b.results.length).toBeGreaterThan(0);
    await b.uplink.cut();
    await expect.poll(() => cloud.connected).toBe(false);
    ids.push(...(await Promise.all(b.switches.slice(0, 5).map((sw) => b.command(sw, 'on', { ttlMs: 90_000 })))));
    const outageEnds = Date.now() + OUTAGE_MS;
    for (let round = 0; Date.now() < outageEnds; round++) {
      // Load while the broker is away: availability flips as switches wander out of range and back.
      for (const sw of b.switches.slice(7)) sw.moveTo(round % 2 === 0 ? 500 : 3);
      await new Promise((r) => setTimeout(r, Math.min(2_500, Math.max(0, outageEnds - Date.now()))));
    }
    for (const sw of b.switches.slice(7)) sw.moveTo(3);
    expect(outbox.stats().records).toBeGreaterThan(0);
    await b.uplink.restore();

    await Promise.all(ids.map((id) => b.resultFor(id, 20_000)));
    await expect.poll(() => outbox.stats().records, { timeout: 10_000 }).toBe(0);
    const produced = Array.from({ length: outbox.nextSeq - outbox.firstSeq }, (_, i) => outbox.firstSeq + i);
    expect([...new Set(b.arrivals)].sort((x, y) => x - y)).toEqual(produced);
    expect(outbox.stats().dropped).toBe(0);
    expect(storedOffline.length).toBeGreaterThan(10);
    // One terminal result per command: a repeat may only be the same message again.
    for (const id of ids) expect(new Set(b.results.filter((r) => r.commandId === id).map((r) => r.seq)).size).toBe(1);
    // Delivered messages were compacted away while the test ran: the log rolled, old segments went.
    const segments = readdirSync(join(b.dataDir, 'outbox'));
    expect(segments.length).toBeLessThanOrEqual(2);
    expect(segments).not.toContain('seg-000000000001.log');
  }, 120_000);
});
