/**
 * The household usage model on a virtual clock: about perMinute presses per switch per minute in
 * all, spread over the switches, replayed by its seed, nothing at rate 0, waiting for switches that
 * are not there yet. Counts only, with wide tolerances (a Poisson count of mean m has sd √m).
 */
import { VirtualClock } from '@switchfleet/firmware-sim';
import { describe, expect, it } from 'vitest';
import { startUsage, UsageError } from '../src/fleet/usage.ts';

const SWITCHES = Array.from({ length: 20 }, (_, i) => `dev-${i}`);

async function run(options: { perMinute: number; seed: number; minutes: number; devices?: () => string[] }) {
  const clock = new VirtualClock();
  const sent: { at: number; deviceId: string; action: string }[] = [];
  const usage = startUsage({
    perMinute: options.perMinute,
    seed: options.seed,
    clock,
    devices: options.devices ?? (() => SWITCHES),
    send: async (deviceId, action) => void sent.push({ at: clock.now(), deviceId, action }),
  });
  await clock.advance(options.minutes * 60_000);
  await usage.stop();
  await clock.advance(10 * 60_000);
  return { sent, usage };
}

describe('the usage model', () => {
  it('issues about perMinute presses per switch per minute, on every switch', async () => {
    const { sent, usage } = await run({ perMinute: 6, seed: 7, minutes: 10 });
    // Mean 20 × 6 × 10 = 1200, sd ≈ 35.
    expect(sent.length).toBeGreaterThan(1050);
    expect(sent.length).toBeLessThan(1350);
    expect(usage.issued).toBe(sent.length);
    const perSwitch = SWITCHES.map((id) => sent.filter((s) => s.deviceId === id).length);
    for (const n of perSwitch) expect(n).toBeGreaterThan(25);
    expect(new Set(sent.map((s) => s.action))).toEqual(new Set(['toggle']));
  });

  it('replays the same presses from the same seed, and others from another', async () => {
    const a = await run({ perMinute: 3, seed: 11, minutes: 2 });
    const b = await run({ perMinute: 3, seed: 11, minutes: 2 });
    const c = await run({ perMinute: 3, seed: 12, minutes: 2 });
    expect(b.sent).toEqual(a.sent);
    expect(c.sent).not.toEqual(a.sent);
  });

  it('issues nothing at rate 0 and after stop, and refuses a negative rate', async () => {
    expect((await run({ perMinute: 0, seed: 1, minutes: 5 })).sent).toEqual([]);
    const { sent } = await run({ perMinute: 6, seed: 1, minutes: 1 });
    expect(sent.every((s) => s.at <= 60_000)).toBe(true);
    expect(() => startUsage({ perMinute: -1, seed: 1, devices: () => [], send: async () => {} })).toThrow(UsageError);
  });

  it('waits for switches to appear, and counts the commands the path refused', async () => {
    const clock = new VirtualClock();
    let devices: string[] = [];
    const usage = startUsage({
      perMinute: 30,
      seed: 3,
      clock,
      devices: () => devices,
      send: async (deviceId) => {
        if (deviceId === 'busy') throw new Error('409');
      },
    });
    await clock.advance(60_000);
    expect(usage.issued).toBe(0);
    devices = ['busy', 'fine'];
    await clock.advance(60_000);
    await usage.stop();
    // Mean 2 × 30 = 60 in the minute, about half of them refused.
    expect(usage.issued).toBeGreaterThan(35);
    expect(usage.issued).toBeLessThan(90);
    expect(usage.refused).toBeGreaterThan(usage.issued * 0.25);
    expect(usage.refused).toBeLessThan(usage.issued * 0.75);
  });
});
