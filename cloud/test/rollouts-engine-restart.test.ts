/**
 * The rollout engine keeps its state in the database only: a cloud restarted mid-stage (gateways
 * stay connected to mosquitto, which keeps the cloud's session meanwhile) carries the rollout on to
 * the end, with no switch given a second job and none forgotten. On PostgreSQL (DATABASE_URL) or
 * PGlite in a directory that outlives the restart.
 */
import { startMosquitto, type TestMosquitto } from '@switchfleet/testkit/mosquitto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/index.ts';
import { Fleet, rolloutCloud, until, type RolloutCloud } from './rollouts-rig.ts';

let broker: TestMosquitto;
let rig: RolloutCloud;
let f: Fleet | undefined;
const cloud = () => rig.cloud;

beforeAll(async () => {
  broker = await startMosquitto();
  // One instance with a kept session: mosquitto holds what gateways publish while it restarts (a
  // shared subscription would not hold it for a member that is away).
  rig = await rolloutCloud({ mqttUrl: broker.cloudUrl, instanceId: 'rollout-restart', sharedGroup: null });
}, 60_000);
afterAll(async () => {
  await f?.close();
  await rig?.close();
  await broker?.close();
});

it('carries a rollout on after a restart mid-stage: every switch updated, none twice', async () => {
  f = await new Fleet({ cloud, url: () => broker.url, addUser: (id, s) => broker.addUser(id, s) }).build(1, 3, 2);
  f.delayMs = 400;
  const r = await cloud().services.rollouts.create({
    releaseId: rig.current.id,
    target: { deviceIds: f.switches.map((s) => s.deviceId) },
    stages: [
      { count: 1, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 },
      { percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 },
    ],
    caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
  });
  await until(cloud, r.id, (v) => v.stages[1]!.state === 'running' && v.counts.updating > 0);
  await rig.restart();
  const done = await until(cloud, r.id, (v) => v.state === 'completed', 20_000);
  expect(done.counts).toMatchObject({ succeeded: 6, failed: 0, cancelled: 0 });
  const perDevice = rowsOf<{ n: number }>(
    await cloud().db.execute(
      sql`select count(*)::int as n from update_jobs where rollout_id = ${r.id} group by device_id`,
    ),
  );
  expect(perDevice.map((row) => row.n)).toEqual([1, 1, 1, 1, 1, 1]);
  expect(new Set(f.jobs.map((j) => j.deviceId)).size).toBe(6);
}, 40_000);
