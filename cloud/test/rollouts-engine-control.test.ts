/**
 * What holds a rollout back, against scripted gateways: a stage that waits for approval, a pause
 * (nothing starts until resume), maintenance windows in the home's time zone, the battery minimum,
 * and overlapping rollouts (a device in one active rollout at a time, in the database too).
 */
import { expect, it } from 'vitest';
import { eventually } from '@switchfleet/testkit/poll';
import { eq } from 'drizzle-orm';
import { deviceState, rolloutDevices } from '../src/db/schema.ts';
import { type Fleet, until, useRolloutCloud } from './rollouts-rig.ts';

const { rig, cloud, fleet } = useRolloutCloud();
const settle = (ms = 500) => new Promise((done) => setTimeout(done, ms));
const one = (percent = 100) => ({ percent, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 });
const specFor = (f: Fleet, more: Record<string, unknown> = {}) => ({
  releaseId: rig().current.id,
  target: { deviceIds: f.switches.map((s) => s.deviceId) },
  stages: [one()],
  caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
  ...more,
});
const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const hours = (n: number) => new Date(Date.now() + n * 3600_000);

it('waits for approval before a stage that needs it, and goes on once approved', async () => {
  const f = await fleet(1, 3, 1);
  const r = await cloud().services.rollouts.create(
    specFor(f, {
      stages: [
        { count: 1, successThreshold: 100, soakSeconds: 0 },
        { ...one(), approval: true },
      ],
    }),
  );
  const waiting = await until(cloud, r.id, (v) => v.state === 'awaiting_approval');
  expect(waiting.stages.map((s) => s.state)).toEqual(['awaiting_approval', 'pending']);
  await settle();
  expect(f.jobs).toHaveLength(1);
  const approved = await cloud().services.rollouts.approve(r.id, 'op-approver');
  expect(approved.state).toBe('running');
  expect(approved.stages[1]).toMatchObject({ state: 'running', approvedBy: 'op-approver' });
  await until(cloud, r.id, (v) => v.state === 'completed');
  expect(f.jobs).toHaveLength(3);
  const again = await cloud()
    .services.rollouts.approve(r.id, 'op-approver')
    .catch((e) => e);
  expect(again.code).toBe('INVALID_TRANSITION');
});

it('starts nothing while paused, and carries on after resume', async () => {
  const f = await fleet(2, 1, 2);
  f.delayMs = 300;
  const r = await cloud().services.rollouts.create(specFor(f));
  await eventually(() => f.jobs.length >= 1);
  expect((await cloud().services.rollouts.pause(r.id)).state).toBe('paused');
  const paused = await until(cloud, r.id, (v) => v.counts.updating === 0);
  const started = f.jobs.length;
  await settle();
  expect(f.jobs).toHaveLength(started);
  expect(paused.counts.pending + paused.counts.waiting).toBe(4 - started);
  expect(
    (
      await cloud()
        .services.rollouts.pause(r.id)
        .catch((e) => e)
    ).code,
  ).toBe('INVALID_TRANSITION');
  expect((await cloud().services.rollouts.resume(r.id)).state).toBe('running');
  await until(cloud, r.id, (v) => v.state === 'completed');
  expect(f.jobs).toHaveLength(4);
});

it("starts a switch only inside a maintenance window of its home's time zone", async () => {
  const f = await fleet(1, 2, 1);
  const closed = [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: hhmm(hours(2)), to: hhmm(hours(3)) },
  ];
  const r = await cloud().services.rollouts.create(specFor(f, { windows: closed }));
  const page = await eventually(async () => {
    const p = await cloud().services.rollouts.devices(r.id, null, 10);
    return p.items.every((d) => d.state === 'waiting') && p;
  });
  expect(page.items.map((d) => d.waitReason)).toEqual(['out_of_window', 'out_of_window']);
  expect(f.jobs).toHaveLength(0);
  await cloud().services.rollouts.cancel(r.id);
  await eventually(async () => (await cloud().services.rollouts.plan(specFor(f))).skipped.length === 0);
  // A window one to three hours ahead of UTC is closed in UTC, and open now in a home two hours ahead.
  const open = [{ ...closed[0]!, from: hhmm(hours(1)), to: hhmm(hours(3)) }];
  const inUtc = await cloud().services.rollouts.create(specFor(f, { windows: open }));
  await until(cloud, inUtc.id, (v) => v.counts.waiting === 2);
  await cloud().services.rollouts.cancel(inUtc.id);
  await eventually(async () => (await cloud().services.rollouts.plan(specFor(f))).skipped.length === 0);
  const homeId = f.switches[0]!.homeId;
  await cloud().db.execute(`update homes set time_zone = 'Etc/GMT-2' where id = '${homeId}'`);
  const r2 = await cloud().services.rollouts.create(specFor(f, { windows: open }));
  await until(cloud, r2.id, (v) => v.state === 'completed');
  expect(f.jobs).toHaveLength(2);
});

it('skips a switch below the battery minimum at creation, and holds one that falls below it later until charged', async () => {
  const f = await fleet(1, 3, 1);
  const [low] = f.switches;
  const batteryOf = async (deviceId: string) =>
    (await cloud().db.select().from(deviceState).where(eq(deviceState.deviceId, deviceId)))[0]?.battery;
  await f.report(low!, { battery: 20 });
  await eventually(async () => (await batteryOf(low!.deviceId)) === 20);
  const r = await cloud().services.rollouts.create(
    specFor(f, {
      batteryMin: 50,
      stages: [
        { count: 1, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 },
        { ...one(), approval: true },
      ],
    }),
  );
  const deviceOf = async (deviceId: string) =>
    (await cloud().services.rollouts.devices(r.id, null, 10)).items.find((d) => d.deviceId === deviceId);
  expect(await deviceOf(low!.deviceId)).toMatchObject({ state: 'skipped', reason: 'battery' });
  await until(cloud, r.id, (v) => v.state === 'awaiting_approval');
  const page = await cloud().services.rollouts.devices(r.id, null, 10);
  const later = f.switches.find((s) => page.items.some((d) => d.deviceId === s.deviceId && d.stage === 1))!;
  await f.report(later, { battery: 25 });
  await eventually(async () => (await batteryOf(later.deviceId)) === 25);
  await cloud().services.rollouts.approve(r.id, 'op-approver');
  await eventually(async () => (await deviceOf(later.deviceId))?.waitReason === 'battery');
  expect(await deviceOf(later.deviceId)).toMatchObject({ state: 'waiting' });
  expect(f.jobs.map((j) => j.deviceId)).not.toContain(later.deviceId);
  await f.report(later, { battery: 80 });
  await until(cloud, r.id, (v) => v.state === 'completed');
  expect(f.jobs.map((j) => j.deviceId)).not.toContain(low!.deviceId);
});

it('holds a device in one active rollout: an overlapping one skips it, and the database refuses a second hold', async () => {
  const f = await fleet(1, 3, 1);
  const [a, b, c] = f.switches.map((s) => s.deviceId);
  const first = await cloud().services.rollouts.create(
    specFor(f, { target: { deviceIds: [a, b] }, stages: [{ ...one(), approval: true }] }),
  );
  const second = await cloud().services.rollouts.create(
    specFor(f, { target: { deviceIds: [a, b, c] }, stages: [{ ...one(), approval: true }] }),
  );
  const skipped = (await cloud().services.rollouts.devices(second.id, null, 10)).items.filter(
    (d) => d.state === 'skipped',
  );
  expect(skipped.map((d) => [d.deviceId, d.reason]).sort()).toEqual(
    [a, b].map((id) => [id, 'in_other_rollout']).sort(),
  );
  expect(second.stages[0]!.counts.total).toBe(1);
  const hold = { rolloutId: second.id, deviceId: c!, state: 'pending' as const, active: true, stage: 0 };
  const refused: unknown = await cloud()
    .db.insert(rolloutDevices)
    .values({ ...hold, rolloutId: first.id })
    .catch((e: unknown) => e);
  expect(String((refused as { cause?: unknown }).cause ?? refused)).toMatch(/rollout_devices_active_device_uq/);
  // Once the first ends, its devices are free for the next rollout.
  await cloud().services.rollouts.cancel(first.id);
  await until(cloud, first.id, (v) => v.state === 'cancelled');
  await eventually(
    async () => (await cloud().services.rollouts.plan(specFor(f, { target: { deviceIds: [a] } }))).skipped.length === 0,
  );
  await cloud().services.rollouts.cancel(second.id);
});

it("frees a gateway's cap when its job reboots, but not the home's: the switch is unavailable until confirmed", async () => {
  const f = await fleet(1, 1, 3);
  f.answer = () => 'hang';
  // A home of 3 at 100 % may update 2 at once; the gateway carries 1 upload at a time.
  const r = await cloud().services.rollouts.create(specFor(f));
  const rebooting = async (n: number) => {
    await eventually(() => f.jobs.length === n || undefined, { what: `job ${n} sent` });
    const job = f.jobs[n - 1]!;
    const sw = f.switches.find((s) => s.deviceId === job.deviceId)!;
    const moved = await cloud().services.updates.applyProgress(sw.gatewayId, sw.address, {
      v: 1,
      seq: 1_000_000 + n,
      ts: new Date().toISOString(),
      jobId: job.jobId,
      state: 'running',
      phase: 'rebooting',
    });
    expect(moved).toBe(true);
  };
  await rebooting(1);
  // The first switch swaps and reboots off the radio: the second one's upload starts meanwhile.
  await rebooting(2);
  await settle(800);
  // Two of the home's three switches are updating: the home's cap holds the third back.
  expect(f.jobs).toHaveLength(2);
  const held = (await cloud().services.rollouts.get(r.id))!;
  expect(held.counts).toMatchObject({ updating: 2, waiting: 1 });
  await cloud().services.rollouts.cancel(r.id);
});
