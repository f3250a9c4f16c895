/**
 * The health gate on real telemetry: a release whose relay misses half its actuations after a short
 * burn-in (`flaky-relay:50`, which the release suite cannot see) passes its suite and its first
 * stage's install gate, then the household usage model's presses, through the cloud's command
 * service, show its switches failing where the not-yet-updated ones do not. The rollout halts with
 * the reason `health` in its first stage, no switch beyond it touched, and a rollback rollout takes the
 * first stage back to the release before. On PGlite, or the PostgreSQL of DATABASE_URL.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rowsOf } from '@switchfleet/cloud';
import { firmware } from '@switchfleet/protocol';
import { startUsage, type UsageModel } from '@switchfleet/lab';
import { eventually } from '@switchfleet/testkit/poll';
import { jobsPerDevice, startRolloutRig, type RolloutRig } from './rollout-rig.ts';

let rig: RolloutRig;
let usage: UsageModel | undefined;
/** What the first test leaves for the second: the halted rollout, its first stage, the release before. */
let halt: { rolloutId: string; stage1: string[]; previousId: string } | undefined;

beforeAll(async () => {
  rig = await startRolloutRig({ homes: [3, 3, 3] });
}, 90_000);

afterAll(async () => {
  await usage?.stop();
  await rig?.close();
});

it('halts a flaky-relay release in its first stage on the health gate, no switch beyond it touched', async () => {
  const { cloud } = rig;
  // One security counter for both: MCUboot's swap mode lets a switch go back to an image whose
  // counter equals the stored one (design.md, "Hardware-based downgrade prevention"); the factory
  // image's counter is its version's, so the flaky release keeps that of 1.0.0.
  const counter = firmware.securityCounterOf(firmware.parseVersion('1.0.0'));
  const previous = await rig.release('1.0.0', [], counter);
  const flaky = await rig.release('1.1.0', ['flaky-relay:50'], counter);
  const owner = new Map(
    rig.switches.map((s) => [s.deviceId, rig.homes.find((h) => h.household.home.id === s.homeId)!.household.user.id]),
  );
  // A press a second per switch: every switch, updated or not, has command outcomes.
  usage = startUsage({
    perMinute: 60,
    seed: 19,
    devices: () => [...owner.keys()],
    send: (deviceId, action) => cloud.services.commands.create(owner.get(deviceId)!, deviceId, action),
  });

  const gate = { successThreshold: 100, errorThreshold: 0, minSample: 1 };
  const created = await cloud.services.rollouts.create({
    releaseId: flaky.id,
    stages: [
      { count: 3, ...gate, soakSeconds: 40 },
      { percent: 100, ...gate, soakSeconds: 0 },
    ],
    caps: { perGateway: 1, perHomePercent: 50 },
    retry: { max: 2, backoffSeconds: 1 },
    health: { enabled: true, confidence: 0.95 },
    onAbort: 'rollback',
  });
  const halted = await eventually(async () => {
    const view = (await cloud.services.rollouts.get(created.id))!;
    if (view.state === 'completed') throw new Error('the flaky release completed: the health gate never acted');
    return view.state !== 'running' && view;
  }, 90_000);
  expect(halted.state).toBe('halted');
  expect(halted.reason).toBe('health');
  expect(halted.detail).toMatch(/command_success/);
  expect(halted.stages.map((s) => s.state)).toEqual(['failed', 'pending']);

  const page = await cloud.services.rollouts.devices(created.id, null, 100);
  const stage1 = page.items.filter((d) => d.stage === 0).map((d) => d.deviceId);
  expect(stage1).toHaveLength(3);
  // No switch beyond the first stage ever got an update job for the flaky release.
  const jobs = await jobsPerDevice(cloud, flaky.id);
  expect([...jobs.keys()].sort()).toEqual([...stage1].sort());
  for (const s of rig.switches.filter((x) => !stage1.includes(x.deviceId)))
    expect(s.sw.store.firmwareVersion).toBe('1.0.0');

  halt = { rolloutId: created.id, stage1, previousId: previous.id };
}, 150_000);

it('rolls the first stage back to the previous release through a rollback rollout', async () => {
  const { cloud } = rig;
  expect(halt, 'the first test halted a rollout').toBeDefined();
  const { rolloutId, stage1, previousId } = halt!;
  const created = { id: rolloutId };
  const previous = { id: previousId };
  // The rollback is a rollout of its own, to the previous passed release, for the updated switches.
  const rollback = await eventually(
    async () => (await cloud.services.rollouts.list()).find((r) => r.parentId === created.id),
    20_000,
  );
  expect(rollback.releaseId).toBe(previous.id);
  const back = await eventually(async () => {
    const view = (await cloud.services.rollouts.get(rollback.id))!;
    return !['running', 'awaiting_approval', 'paused'].includes(view.state) && view;
  }, 60_000);
  const skipped = (await cloud.services.rollouts.devices(rollback.id, null, 100)).items.filter(
    (d) => d.state === 'skipped',
  );
  // What the cloud believes the switches run (the rollback's plan reads it), and what they do run.
  const believed = rowsOf<{ id: string; firmware_version: string }>(
    await cloud.db.execute(sql`select id, firmware_version from devices`),
  ).filter((d) => stage1.includes(d.id));
  const running = rig.switches.filter((x) => stage1.includes(x.deviceId)).map((x) => x.sw.store.firmwareVersion);
  expect({
    state: back.state,
    skipped: skipped.map((d) => d.reason),
    believed: believed.map((d) => d.firmware_version),
    running,
  }).toEqual({
    state: 'completed',
    skipped: [],
    believed: ['1.0.0', '1.0.0', '1.0.0'],
    running: ['1.0.0', '1.0.0', '1.0.0'],
  });
  expect((await cloud.services.rollouts.get(created.id))!.state).toBe('rolled_back');
  // Neither rollout ever sent a job to a switch beyond the first stage, and those still run the factory image.
  expect([...(await jobsPerDevice(cloud)).keys()].sort()).toEqual([...stage1].sort());
  for (const s of rig.switches.filter((x) => !stage1.includes(x.deviceId))) {
    expect(s.firmware.boots.filter((b) => b.swapped !== null)).toHaveLength(0);
    expect(s.firmware.running).toMatchObject({ version: '1.0.0', confirmed: true });
  }
  // The stage-1 switches run the previous release, confirmed, after a swap there and one back.
  for (const s of rig.switches.filter((x) => stage1.includes(x.deviceId)))
    expect(s.firmware.running).toMatchObject({ version: '1.0.0', confirmed: true });
}, 90_000);
