/**
 * A good release staged to a fleet of simulated switches under the production gateway: three homes
 * of three switches, each home with its own gateway, plus a fourth home outside the target. The
 * rollout goes one switch, then half, then all; the caps hold while it runs. On PGlite, or the
 * PostgreSQL of DATABASE_URL when it is set.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '@switchfleet/testkit/poll';
import { jobsPerDevice, sampleCaps, startRolloutRig, type RolloutRig } from './rollout-rig.ts';

let rig: RolloutRig;

beforeAll(async () => {
  rig = await startRolloutRig({ homes: [3, 3, 3, 1] });
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

it('ships a good release through three stages to every targeted switch, caps never exceeded', async () => {
  const { cloud } = rig;
  const release = await rig.release('1.1.0');
  const targetHomes = rig.homes.slice(0, 3).map((h) => h.household.home.id);
  const targeted = rig.switches.filter((s) => targetHomes.includes(s.homeId));
  const outside = rig.switches.filter((s) => !targetHomes.includes(s.homeId));
  expect(targeted).toHaveLength(9);
  expect(new Set(targeted.map((s) => s.gatewayId)).size).toBe(3);

  const caps = sampleCaps(() => cloud, 50);
  const gate = { successThreshold: 100, errorThreshold: 0, minSample: 1 };
  const created = await cloud.services.rollouts.create({
    releaseId: release.id,
    target: { homeIds: targetHomes },
    stages: [
      { count: 1, ...gate, soakSeconds: 1 },
      { percent: 50, ...gate, soakSeconds: 1 },
      { percent: 100, ...gate, soakSeconds: 0 },
    ],
    caps: { perGateway: 1, perHomePercent: 50 },
  });
  const done = await eventually(async () => {
    const view = (await cloud.services.rollouts.get(created.id))!;
    if (['halted', 'cancelled', 'rolled_back'].includes(view.state))
      throw new Error(`rollout ${view.state}: ${view.detail}`);
    return view.state === 'completed' && view;
  }, 50_000);
  const max = await caps.stop();

  // Every targeted switch runs the new image, by its own store; the one outside is untouched.
  for (const s of targeted) expect(s.sw.store.firmwareVersion).toBe('1.1.0');
  for (const s of outside) expect(s.sw.store.firmwareVersion).toBe('1.0.0');
  const jobs = await jobsPerDevice(cloud, release.id);
  expect([...jobs.keys()].sort()).toEqual(targeted.map((s) => s.deviceId).sort());
  expect([...jobs.values()].every((n) => n === 1)).toBe(true);

  // Stages passed in order: each ended no later than the next one started.
  expect(done.stages.map((s) => s.state)).toEqual(['passed', 'passed', 'passed']);
  expect(done.stages.map((s) => s.counts.total)).toEqual([1, 4, 4]);
  for (let i = 1; i < done.stages.length; i++)
    expect(done.stages[i]!.startedAt!.getTime()).toBeGreaterThanOrEqual(done.stages[i - 1]!.endedAt!.getTime());
  expect(done.counts.succeeded).toBe(9);

  // One update per gateway at a time; a home of three never more than one (50 % of 3, at least 1).
  expect(max.gateway).toBe(1);
  expect(Math.max(...max.home.values())).toBe(1);
}, 60_000);
