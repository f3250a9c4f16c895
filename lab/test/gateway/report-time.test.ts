/**
 * When a report says the switch was as reported: its time is the latest news of the switch, the
 * last advertisement or the last change (a command's answer), so the cloud's history says when the
 * switch changed. And a switch still heard is reported again now and then, so the cloud, which
 * takes a switch not reported for a while as gone, keeps it online.
 */
import type { DeviceReport } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { useBench } from './harness.ts';

const rig = useBench();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('report times', () => {
  it('a report after a toggle carries the time of the toggle, not of an older sighting', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    const times: number[] = [];
    for (const action of ['on', 'off', 'on'] as const) {
      await pause(300);
      const before = Date.now();
      const result = await bench.resultFor(await bench.command(sw!, action));
      expect(result.status).toBe('succeeded');
      const after = (r: DeviceReport) => r.state?.on === (action === 'on') && Date.parse(r.ts) >= before;
      const report = await bench.reportFor(sw!, after, 5000);
      times.push(Date.parse(report.ts));
    }
    expect(new Set(times).size).toBe(3);
  }, 30_000);

  it('reports a switch it still hears again every reportEveryMs, with the time of the last sighting', async () => {
    const gateway = { availability: { reportEveryMs: 300 } };
    const bench = await rig.startBench({ switches: [{ on: false }], gateway });
    const [sw] = bench.switches;
    const first = await bench.reportFor(sw!);
    const later = (r: DeviceReport) => r.seq > first.seq && Date.parse(r.ts) > Date.parse(first.ts) + 500;
    const again = await bench.reportFor(sw!, later, 5000);
    expect(again.online).toBe(true);
    expect(again.state).toEqual(first.state);
  }, 30_000);
});
