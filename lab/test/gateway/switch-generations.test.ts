/**
 * The production gateway (noble over the simulator's bindings) with Bots as they exist in the field:
 * both advertisement generations (SwitchBotAPI-BLE README, "UUID Update Notes") and both answer
 * forms of an executed action (the Bot's three bytes 01 FF 00, older simulated firmware's one byte).
 */
import { describe, expect, it } from 'vitest';
import { statusOnlyAnswers, uuidUpdate, type Behaviour, type SimSwitch } from '@switchfleet/firmware-sim';
import { compact, useBench, type Bench } from './harness.ts';

const rig = useBench();

/** Advertises as a SwitchBot Meter (device type 'T'): the same UUIDs, another device. */
const meter: Behaviour = {
  name: 'meter()',
  advertisement: (ad) => ({
    ...ad,
    serviceData: ad.serviceData.map((d) => ({ ...d, data: Buffer.from([0x54, 0x00, 0x64]) })),
  }),
};

/** Waits for the switch's interview, then turns it on, off and on again through the cloud. */
async function interviewAndDrive(bench: Bench, sw: SimSwitch) {
  const report = await bench.reportFor(sw, (r) => r.device.firmwareVersion !== undefined);
  expect(report.device).toMatchObject({ firmwareVersion: sw.state.firmwareVersion, hardwareId: sw.state.hardwareId });
  expect(report.online).toBe(true);
  for (const action of ['on', 'off', 'toggle'] as const) {
    const result = await bench.resultFor(await bench.command(sw, action));
    expect(result).toMatchObject({ status: 'succeeded', state: { on: action !== 'off' } });
    expect(sw.state.on).toBe(action !== 'off');
  }
}

describe('Bots of every kind the gateway meets', () => {
  it('finds, interviews and drives a Bot advertising as before firmware 6.4 and one as 6.4 or later', async () => {
    const bench = await rig.startBench({
      switches: [
        { on: false, firmwareVersion: '1.0.7' },
        { on: false, firmwareVersion: '1.0.8', behaviours: [uuidUpdate()] },
      ],
    });
    const [before, after] = bench.switches;
    await interviewAndDrive(bench, before!);
    await interviewAndDrive(bench, after!);
  });

  it('takes the three-byte answer of a real Bot and the one-byte answer of older firmware alike', async () => {
    const bench = await rig.startBench({ switches: [{ on: false }, { on: false, behaviours: [statusOnlyAnswers()] }] });
    for (const sw of bench.switches) await interviewAndDrive(bench, sw);
  });

  it('ignores other SwitchBot devices that share the UUIDs', async () => {
    const switches = [{}, { behaviours: [meter] }, { behaviours: [uuidUpdate(), meter] }];
    const bench = await rig.startBench({ switches });
    const [bot, ...meters] = bench.switches;
    await bench.reportFor(bot!, (r) => r.device.firmwareVersion !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    const reported = new Set(bench.reports.map((r) => r.device.address));
    for (const m of meters) expect(reported.has(compact(m.address))).toBe(false);
    expect(bench.gateway.deps.registry.get(compact(meters[0]!.address))).toBeUndefined();
  });
});
