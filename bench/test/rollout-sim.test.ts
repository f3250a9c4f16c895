/**
 * The rollout benchmark's own parts on a tiny fleet: the seeding writes what the rollout's plan
 * reads, and the simulated loop drives the real engine to `completed`, each switch updated exactly
 * once, within its gateway's cap and never faster than the lower bound it is measured against. On
 * PostgreSQL (DATABASE_URL) or PGlite.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rowsOf } from '@switchfleet/cloud';
import { benchConfig } from '../src/config.ts';
import { seedFleet, type SeededFleet } from '../src/rollout/fleet.ts';
import { SIM_HARDWARE, startSimRig, type SimRig } from '../src/rollout/rig.ts';
import { lowerBound, simulateRollout } from '../src/rollout/sim.ts';

const RADIO = { linkBytesPerSecond: 4000, perDeviceOverheadSeconds: 30, tickSeconds: 1 };
let rig: SimRig;
let fleet: SeededFleet;

beforeAll(async () => {
  rig = await startSimRig(benchConfig().databaseUrl, RADIO, 16 * 1024);
  fleet = await seedFleet(rig.cloud.db, {
    gateways: 3,
    switchesPerGateway: 4,
    hardwareId: SIM_HARDWARE,
    version: '0.9.0',
    prefix: 'sim-test',
  });
}, 60_000);
afterAll(async () => {
  await rig?.close();
});

it('seeds homes with time zones, online gateways and switches with state, all of them eligible', async () => {
  const plan = await rig.rollouts.rollouts.plan({
    releaseId: rig.release.id,
    target: { homeIds: fleet.homeIds },
    stages: [{ percent: 100 }],
  });
  expect(plan.skipped).toEqual([]);
  expect(plan.stages[0]!.devices.sort()).toEqual(fleet.switches.map((s) => s.deviceId).sort());
  expect(plan.stages[0]!.gateways.sort()).toEqual([...fleet.gatewayIds].sort());
  const zones = rowsOf<{ z: string }>(
    await rig.cloud.db.execute(
      sql`select distinct time_zone as z from homes where id = any(${sql.param(fleet.homeIds)}::uuid[])`,
    ),
  );
  expect(zones.length).toBe(3);
});

it('drives the real engine in simulated time to completed: one succeeded job per switch, caps and bound held', async () => {
  const created = await rig.rollouts.rollouts.create({
    releaseId: rig.release.id,
    target: { homeIds: fleet.homeIds },
    stages: [
      { count: 1, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 600 },
      { percent: 50, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 300 },
      { percent: 100, soakSeconds: 0 },
    ],
    caps: { perGateway: 1, perHomePercent: 50, fleet: 100 },
    health: { enabled: false },
  });
  const outcome = await simulateRollout(rig, created.id, RADIO, 500);
  expect(outcome.state).toBe('completed');
  expect(outcome.jobs).toBe(12);
  // One upload at a time on each gateway's radio, and a second job there while a switch swaps.
  expect(outcome.maxPerGateway).toBe(1);
  expect(outcome.maxJobsPerGateway).toBe(2);
  const jobs = rowsOf<{ deviceId: string; n: number; ok: number }>(
    await rig.cloud.db.execute(sql`select device_id as "deviceId", count(*)::int as n,
      count(*) filter (where state = 'succeeded' and version = ${rig.release.version})::int as ok
      from update_jobs where rollout_id = ${created.id} group by 1`),
  );
  expect(jobs.map((j) => j.deviceId).sort()).toEqual(fleet.switches.map((s) => s.deviceId).sort());
  expect(jobs.every((j) => j.n === 1 && j.ok === 1)).toBe(true);
  const view = (await rig.rollouts.rollouts.get(created.id))!;
  expect(view.counts.succeeded).toBe(12);
  const bound = lowerBound(view, rig.release.size, RADIO);
  expect(bound.busiestSwitches).toBe(4);
  expect(bound.soakS).toBe(900);
  // Four uploads in turn on each gateway plus both soaks, and no less: the loop ran in simulated time.
  expect(outcome.makespanS).toBeGreaterThanOrEqual(bound.boundS);
  expect(outcome.makespanS).toBeLessThan(bound.boundS * 1.5);
  // The swaps ran beside the next uploads: shorter than each switch's upload and overhead in turn.
  expect(outcome.makespanS).toBeLessThan(bound.withOverheadS);
}, 120_000);
