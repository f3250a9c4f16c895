/**
 * Two cloud instances on one database and one mosquitto tick the same rollouts at once: one holds
 * the engine's lease at a time, so each switch gets one job and the per-gateway cap holds across
 * both. On the PostgreSQL of DATABASE_URL when set, else one PGlite both instances share.
 */
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, testImage, testKey } from '@switchfleet/testkit/releases';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { rowsOf } from '../src/index.ts';
import { Fleet, until } from './rollouts-rig.ts';

const rig = useTwoInstances({
  initialTrustedKeys: [testKey.publicKeyPem],
  releaseSuite: new FakeSuite(),
  releaseTesting: { pollMs: 50 },
  downloadSecret: Buffer.alloc(32, 3),
  updateTickMs: 50,
  rolloutTickMs: 20,
});
let f: Fleet | undefined;
afterAll(async () => {
  await f?.close();
});

it('creates each job once while both instances tick, within the per-gateway cap', async () => {
  const { one, two } = rig;
  for (const c of [one, two]) await c.services.updateDispatcher.setPublicUrl('http://cloud.example.test');
  const release = await one.services.releases.upload(testImage());
  await eventually(async () => (await one.services.releases.get(release.id)).state === 'passed', 20_000);
  f = await new Fleet({
    cloud: () => one,
    url: () => rig.broker.url,
    addUser: (id, secret) => rig.broker.addUser(id, secret),
  }).build(2, 2, 2);
  const r = await two.services.rollouts.create({
    releaseId: release.id,
    target: { deviceIds: f.switches.map((s) => s.deviceId) },
    stages: [{ percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 }],
    caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
  });
  const done = await until(
    () => one,
    r.id,
    (v) => v.state === 'completed',
    20_000,
  );
  expect(done.counts.succeeded).toBe(8);
  const perDevice = rowsOf<{ n: number }>(
    await one.db.execute(sql`select count(*)::int as n from update_jobs where rollout_id = ${r.id} group by device_id`),
  );
  expect(perDevice.map((row) => row.n)).toEqual(Array(8).fill(1));
  expect(Math.max(...f.maxPerGateway.values())).toBe(1);
}, 60_000);
