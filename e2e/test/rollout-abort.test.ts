/**
 * A fleet where one switch in each home drops its link half a second into every connection (longer
 * than a press, shorter than an upload): their uploads never get further, their gateways end those
 * jobs `link_lost`, the stage's error threshold trips, and the rollout aborts. Queued work is cancelled, uploads in flight are stopped, and every
 * switch that did not finish stays on its old image and still answers a press. On PGlite, or the
 * PostgreSQL of DATABASE_URL.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rowsOf } from '@switchfleet/cloud';
import { dropsLinkAfter } from '@switchfleet/firmware-sim';
import { eventually } from '@switchfleet/testkit/poll';
import { startRolloutRig, type RolloutRig } from './rollout-rig.ts';

let rig: RolloutRig;

beforeAll(async () => {
  rig = await startRolloutRig({
    homes: [3, 3, 3],
    // 8 KiB at 8 KiB/s: an upload takes about a second, a press a few tens of milliseconds.
    linkBytesPerSecond: 8 * 1024,
    behaviours: (_home, i) => (i === 0 ? [dropsLinkAfter(500)] : []),
    // One lost update without progress ends the job: the test need not wait out three.
    linkLossLimit: 1,
  });
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

it('trips the error threshold, cancels queued work, stops uploads in flight, leaves every switch bootable', async () => {
  const { cloud } = rig;
  const release = await rig.release('1.1.0');
  const created = await cloud.services.rollouts.create({
    releaseId: release.id,
    stages: [{ percent: 100, successThreshold: 100, errorThreshold: 10, minSample: 2, soakSeconds: 0 }],
    caps: { perGateway: 1, perHomePercent: 50 },
    retry: { max: 0, backoffSeconds: 1 },
    // Far beyond a lost link's end: the threshold trips by link losses, not by timeouts.
    deviceTimeoutSeconds: 120,
    onAbort: 'halt',
  });
  const halted = await eventually(async () => {
    const view = (await cloud.services.rollouts.get(created.id))!;
    if (view.state === 'completed') throw new Error('completed although a third of the uploads cannot finish');
    return view.state === 'halted' && view;
  }, 50_000).catch(async (e: unknown) => {
    // What the engine saw instead: the rollout's counts and its jobs' ends.
    const view = (await cloud.services.rollouts.get(created.id))!;
    const ends = rowsOf(
      await cloud.db.execute(sql`select state, reason, detail from update_jobs where rollout_id = ${created.id}`),
    );
    throw new Error(`${String(e)}: ${JSON.stringify({ state: view.state, counts: view.counts, ends })}`);
  });
  expect(halted.reason).toBe('error_threshold');

  // Draining: no update job of the rollout stays active; none ended well after the abort.
  interface Job {
    device_id: string;
    state: string;
    ended_at: Date | string | null;
  }
  const jobs = await eventually(async () => {
    const rows = rowsOf<Job>(
      await cloud.db.execute(sql`select device_id, state, ended_at from update_jobs where rollout_id = ${created.id}`),
    );
    return rows.every((j) => !['queued', 'waiting', 'running'].includes(j.state)) && rows;
  }, 30_000);
  // A job may end its own way while its cancel is on the way down; none ends otherwise later.
  const abortedAt = halted.endedAt!.getTime() + 2000;
  const after = jobs.filter((j) => new Date(j.ended_at!).getTime() > abortedAt);
  for (const j of after) expect(j.state).toBe('cancelled');
  // Devices never started are cancelled, not left pending; every device ends one way or another
  // (an updating one once the engine has followed its job's end).
  const view = await eventually(async () => {
    const v = (await cloud.services.rollouts.get(created.id))!;
    return v.counts.pending + v.counts.waiting + v.counts.updating === 0 && v;
  }, 10_000);
  expect(view.counts.cancelled).toBeGreaterThan(0);
  expect(view.counts.failed).toBeGreaterThanOrEqual(1);
  expect(view.counts.timeout).toBe(0);
  const devices = (await cloud.services.rollouts.devices(created.id, null, 100)).items;
  for (const d of devices.filter((x) => x.state === 'failed')) expect(d.reason).toMatch(/^link_lost: /);
  for (const d of devices.filter((x) => x.state === 'cancelled' && x.jobId === null)) {
    expect(d.reason).toBe('error_threshold');
  }

  const succeeded = new Set(jobs.filter((j) => j.state === 'succeeded').map((j) => j.device_id));
  const owner = (homeId: string) => rig.homes.find((h) => h.household.home.id === homeId)!.household.user.id;
  for (const s of rig.switches) {
    // Its own store: the old image unless the update finished before the abort.
    expect(s.sw.store.firmwareVersion).toBe(succeeded.has(s.deviceId) ? '1.1.0' : '1.0.0');
    expect(s.firmware.boots.at(-1)?.outcome ?? 'running').toBe('running');
    const cmd = await cloud.services.commands.create(owner(s.homeId), s.deviceId, 'toggle');
    const ended = await eventually(async () => {
      const c = (await cloud.services.commands.get(cmd.id))!;
      return !['pending', 'sent'].includes(c.status) && c;
    }, 15_000);
    expect({ device: s.deviceId, status: ended.status }).toEqual({ device: s.deviceId, status: 'succeeded' });
  }
}, 120_000);
