/**
 * A switch that answers an action as done but does not move its relay: the production gateway reads
 * the state back on the same link (basic info) and ends the command failed with reason no_effect,
 * carrying the state the switch reports, so the cloud can count it. Good switches, inverted ones and
 * press-mode ones never trip the check.
 */
import { firmware, type CommandAction } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage, SimFirmware } from '@switchfleet/firmware-sim';
import { useBench, type Bench } from './harness.ts';

const rig = useBench();
const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const onImage = (faults: string[]) => ({
  hardwareId: HW,
  behaviours: [
    new SimFirmware({
      image: buildSimImage({ version: '1.0.0', hardwareId: HW, privateKeyPem: key.privateKeyPem, faults }),
      trustedKeys: [key.publicKeyPem],
    }),
  ],
});

/** Alternating on/off commands, one at a time; each result beside where the relay ended. */
async function alternate(bench: Bench, n: number) {
  const sw = bench.switches[0]!;
  await bench.reportFor(sw);
  const out: { action: CommandAction; status: string; reason?: string; on?: boolean; relay: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    const action = i % 2 === 0 ? 'on' : 'off';
    const r = await bench.resultFor(await bench.command(sw, action));
    out.push({
      action,
      status: r.status,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.state ? { on: r.state.on } : {}),
      relay: sw.state.reportedOn,
    });
  }
  return out;
}

describe('commands whose action has no effect', () => {
  it('fails the share of commands a flaky relay misses with reason no_effect and the real state', async () => {
    const bench = await rig.startBench({ switches: [{ ...onImage(['flaky-relay:40:0']), mode: 'switch', on: false }] });
    const runs = await alternate(bench, 30);
    const failed = runs.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(failed.length).toBeLessThanOrEqual(22);
    for (const r of runs) {
      const wanted = r.action === 'on';
      if (r.status === 'succeeded') expect(r).toMatchObject({ on: wanted, relay: wanted });
      else expect(r).toMatchObject({ status: 'failed', reason: 'no_effect', on: !wanted, relay: !wanted });
    }
    const detail = bench.results.find((r) => r.reason === 'no_effect')?.detail;
    expect(detail).toMatch(/answered the action as done but still reports (on|off)/);
  });

  it('succeeds every command on a good switch, an inverted one and a press-mode one', async () => {
    const bench = await rig.startBench({
      switches: [
        { ...onImage([]), mode: 'switch', on: false },
        { mode: 'switch', inverse: true, on: false },
        { mode: 'press' },
      ],
    });
    for (const sw of bench.switches) {
      await bench.reportFor(sw);
      for (const action of ['on', 'off', 'toggle', 'on'] as const) {
        const r = await bench.resultFor(await bench.command(sw, action));
        expect([sw.state.mode, action, r.status, r.reason]).toEqual([sw.state.mode, action, 'succeeded', undefined]);
      }
    }
  });
});
