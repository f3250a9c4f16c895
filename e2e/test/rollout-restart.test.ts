/**
 * A cloud restart in the middle of a stage: the cloud closes while the rollout's updates are under
 * way, and another cloud on the same database (and broker port, so the gateways reconnect) carries
 * the rollout on from what the database holds. No switch is updated twice and none is forgotten.
 * On PGlite (a file database, so it outlives the first cloud) or the PostgreSQL of DATABASE_URL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '@switchfleet/testkit/poll';
import { jobsPerDevice, startRolloutRig, swaps, type RolloutRig } from './rollout-rig.ts';

let rig: RolloutRig;

beforeAll(async () => {
  rig = await startRolloutRig({ homes: [2, 2, 2], linkBytesPerSecond: 8 * 1024 });
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

it('finishes a rollout across a cloud restart mid-stage, no switch updated twice, none forgotten', async () => {
  const release = await rig.release('1.1.0');
  const gate = { successThreshold: 100, errorThreshold: 50, minSample: 1 };
  const created = await rig.cloud.services.rollouts.create({
    releaseId: release.id,
    stages: [
      { count: 1, ...gate, soakSeconds: 0 },
      { percent: 100, ...gate, soakSeconds: 0 },
    ],
    caps: { perGateway: 1, perHomePercent: 50 },
    retry: { max: 2, backoffSeconds: 1 },
  });
  // Mid-stage: the second stage running with some switches done and others still to go.
  await eventually(async () => {
    const view = (await rig.cloud.services.rollouts.get(created.id))!;
    return view.currentStage === 1 && view.counts.succeeded >= 2 && view.counts.succeeded < 6;
  }, 40_000);
  await rig.restartCloud();
  const done = await eventually(async () => {
    const view = (await rig.cloud.services.rollouts.get(created.id))!;
    if (['halted', 'cancelled'].includes(view.state)) throw new Error(`rollout ${view.state}: ${view.detail}`);
    return view.state === 'completed' && view;
  }, 60_000);
  expect(done.counts.succeeded).toBe(6);
  const jobs = await jobsPerDevice(rig.cloud, release.id);
  expect(jobs.size).toBe(6);
  for (const s of rig.switches) {
    expect(s.sw.store.firmwareVersion).toBe('1.1.0');
    // One image swap per switch: the update's, never a second one.
    expect({ device: s.deviceId, swaps: swaps(s), jobs: jobs.get(s.deviceId) }).toEqual({
      device: s.deviceId,
      swaps: 1,
      jobs: 1,
    });
  }
}, 150_000);
