import { describe, expect, it } from 'vitest';
import { type Candidate, planRollout, type ReleaseInfo } from '../../src/rollouts/rules/plan.ts';
import { makeSpec, seededRandom } from './fixtures.ts';

const RELEASE: ReleaseInfo = { id: 'rel-1', version: '2.0.0', hardwareId: 'bot-v1', size: 120_000 };
const LINK = { linkBytesPerSecond: 1_000, perDeviceOverheadSeconds: 0 };
const D = RELEASE.size / LINK.linkBytesPerSecond; // one device's radio time

const candidate = (id: string, patch: Partial<Candidate> = {}): Candidate => ({
  deviceId: id,
  homeId: `home-${id}`,
  gatewayId: 'g0',
  hardwareId: 'bot-v1',
  version: '1.0.0',
  online: true,
  gatewayOnline: true,
  battery: 90,
  timeZone: 'UTC',
  activeRolloutId: null,
  ...patch,
});

/** `gateways` gateways with `perGateway` switches each, `perHome` switches to a home. */
function fleet(gateways: number, perGateway: number, perHome = 1): Candidate[] {
  const out: Candidate[] = [];
  for (let g = 0; g < gateways; g++) {
    for (let i = 0; i < perGateway; i++) {
      const id = `d-${g}-${String(i).padStart(3, '0')}`;
      out.push(candidate(id, { gatewayId: `g${g}`, homeId: `h-${g}-${Math.floor(i / perHome)}` }));
    }
  }
  return out;
}

describe('planRollout', () => {
  it('says who is skipped and why, and leaves devices outside the target out', () => {
    const spec = makeSpec({ target: { fromVersions: ['1.0.0', '1.1.0'], homeIds: ['h1'] }, batteryMin: 30 });
    const devices = [
      candidate('ok', { homeId: 'h1' }),
      candidate('other-hw', { homeId: 'h1', hardwareId: 'bot-v2' }),
      candidate('unknown-hw', { homeId: 'h1', hardwareId: null }),
      candidate('current', { homeId: 'h1', version: '2.0.0' }),
      candidate('old', { homeId: 'h1', version: '0.9.0' }),
      candidate('busy', { homeId: 'h1', activeRolloutId: 'other' }),
      candidate('dark', { homeId: 'h1', online: false }),
      candidate('gw-dark', { homeId: 'h1', gatewayOnline: false }),
      candidate('flat', { homeId: 'h1', battery: 29 }),
      candidate('no-reading', { homeId: 'h1', battery: null }),
      candidate('elsewhere', { homeId: 'h2' }),
    ];
    const plan = planRollout(spec, RELEASE, devices, LINK);
    expect(plan.stages[0]!.devices.sort()).toEqual(['no-reading', 'ok']);
    expect(plan.skipped).toEqual([
      { deviceId: 'busy', reason: 'in_other_rollout' },
      { deviceId: 'current', reason: 'already_on_version' },
      { deviceId: 'dark', reason: 'offline' },
      { deviceId: 'flat', reason: 'battery' },
      { deviceId: 'gw-dark', reason: 'offline' },
      { deviceId: 'old', reason: 'version_not_targeted' },
      { deviceId: 'other-hw', reason: 'wrong_hardware' },
      { deviceId: 'unknown-hw', reason: 'wrong_hardware' },
    ]);
  });

  it('is deterministic: the order of the candidates does not matter', () => {
    const spec = makeSpec({ stages: [{ count: 1 }, { percent: 30 }, { percent: 100 }] });
    const devices = fleet(5, 7, 3);
    const random = seededRandom(7);
    const shuffled = [...devices].sort(() => random() - 0.5);
    expect(planRollout(spec, RELEASE, shuffled, LINK)).toEqual(planRollout(spec, RELEASE, devices, LINK));
  });

  it('stage sizes are cumulative shares of the eligible target, each device in exactly one stage', () => {
    const spec = makeSpec({ stages: [{ count: 1 }, { percent: 50 }, { percent: 100 }] });
    const devices = fleet(4, 5);
    const plan = planRollout(spec, RELEASE, devices, LINK);
    expect(plan.stages.map((s) => s.devices.length)).toEqual([1, 9, 10]);
    const all = plan.stages.flatMap((s) => s.devices);
    expect(new Set(all).size).toBe(20);
    expect(all.sort()).toEqual(devices.map((d) => d.deviceId).sort());
    // A percent is rounded up: 10 % of 5 is one device, not none.
    const small = planRollout(makeSpec({ stages: [{ percent: 10 }, { percent: 100 }] }), RELEASE, fleet(1, 5), LINK);
    expect(small.stages.map((s) => s.devices.length)).toEqual([1, 4]);
  });

  it('an early stage is spread over gateways and homes', () => {
    const spec = makeSpec({ stages: [{ count: 4 }, { percent: 100 }] });
    const plan = planRollout(spec, RELEASE, fleet(4, 6, 3), LINK);
    expect(plan.stages[0]!.gateways).toEqual(['g0', 'g1', 'g2', 'g3']);
    const secondWave = planRollout(
      makeSpec({ stages: [{ count: 8 }, { percent: 100 }] }),
      RELEASE,
      fleet(4, 6, 3),
      LINK,
    );
    expect(secondWave.stages[0]!.homes).toHaveLength(8); // two homes on each gateway
  });

  it('radio time per gateway sums each device’s transfer; the overhead runs off the radio', () => {
    const plan = planRollout(makeSpec(), RELEASE, [...fleet(1, 3), ...fleet(2, 1).slice(1)], {
      linkBytesPerSecond: 1_000,
      perDeviceOverheadSeconds: 30,
    });
    expect(plan.estimate.radioSecondsPerGateway).toEqual({ g0: 3 * D, g1: D });
  });

  it('a stage pays the swap-and-confirm overhead once, after its last upload', () => {
    // One gateway of four homes, cap 1: the next upload starts while the previous switch swaps.
    const spec = makeSpec({ stages: [{ percent: 100, soakSeconds: 0 }], caps: { perGateway: 1 } });
    const plan = planRollout(spec, RELEASE, fleet(1, 4), { linkBytesPerSecond: 1_000, perDeviceOverheadSeconds: 30 });
    expect(plan.estimate).toMatchObject({ makespanSeconds: 4 * D + 30, lowerBoundSeconds: 4 * D });
  });

  it('a trivially balanced fleet finishes exactly at the lower bound', () => {
    const spec = makeSpec({ stages: [{ percent: 100, soakSeconds: 30 }], caps: { perGateway: 2 } });
    const plan = planRollout(spec, RELEASE, fleet(3, 4), LINK);
    expect(plan.estimate.lowerBoundSeconds).toBe((4 * D) / 2 + 30);
    expect(plan.estimate.makespanSeconds).toBe(plan.estimate.lowerBoundSeconds);
  });

  it('the home cap and the stages lengthen the makespan beyond the bound', () => {
    // One gateway that could run four at once, but one home of four: two at a time.
    const oneHome = fleet(1, 4, 4);
    const wide = makeSpec({ stages: [{ percent: 100, soakSeconds: 0 }], caps: { perGateway: 4 } });
    const plan = planRollout(wide, RELEASE, oneHome, LINK);
    expect(plan.estimate).toMatchObject({ makespanSeconds: 2 * D, lowerBoundSeconds: D });
    const staged = makeSpec({
      stages: [
        { count: 1, soakSeconds: 10 },
        { percent: 100, soakSeconds: 20 },
      ],
    });
    const twoStages = planRollout(staged, RELEASE, fleet(2, 2), LINK);
    // Stage 1 one device (one wave), stage 2 three devices over two gateways at cap 1 (two waves).
    expect(twoStages.estimate).toMatchObject({ makespanSeconds: 3 * D + 30, lowerBoundSeconds: 2 * D + 30 });
  });

  it('the estimate is never below its lower bound (random fleets)', () => {
    const random = seededRandom(42);
    for (let round = 0; round < 100; round++) {
      const devices = fleet(1 + Math.floor(random() * 5), 1 + Math.floor(random() * 12), 1 + Math.floor(random() * 4));
      const spec = makeSpec({
        stages: [{ count: 1 + Math.floor(random() * 3), soakSeconds: 5 }, { percent: 50 }, { percent: 100 }],
        caps: { perGateway: 1 + Math.floor(random() * 3), perHomePercent: 50, fleet: 1 + Math.floor(random() * 8) },
      });
      const { estimate } = planRollout(spec, RELEASE, devices, {
        linkBytesPerSecond: 2_000,
        perDeviceOverheadSeconds: 5,
      });
      expect(estimate.makespanSeconds).toBeGreaterThanOrEqual(estimate.lowerBoundSeconds);
    }
  });
});
