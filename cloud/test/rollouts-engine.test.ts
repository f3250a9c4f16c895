/**
 * The rollout engine against scripted gateways speaking the protocol (real MQTT clients on the
 * embedded broker): a good release through three stages, a stage below its success threshold that
 * does not advance, an abort by error threshold that cancels queued and in-flight jobs, retries with
 * their backoff, and timeouts counted apart. On PostgreSQL (DATABASE_URL) or PGlite.
 */
import { expect, it } from 'vitest';
import { eventually } from '@switchfleet/testkit/poll';
import type { RolloutEvent } from '../src/index.ts';
import { threeStages, until, useRolloutCloud } from './rollouts-rig.ts';

const { rig, cloud, fleet } = useRolloutCloud();
const jobsOf = async (rolloutId: string) =>
  (
    await Promise.all((await cloud().services.rollouts.devices(rolloutId, null, 1000)).items.map((d) => d.jobId))
  ).filter((j) => j !== null);

it('takes a good release through three stages to every switch, within the caps, and reports the makespan', async () => {
  const f = await fleet(2, 2, 2);
  const events: RolloutEvent[] = [];
  const unsubscribe = cloud().events.subscribe((e) => e.type === 'rollout' && events.push(e));
  const spec = threeStages(rig().current.id, {
    target: { homeIds: [...new Set(f.switches.map((s) => s.homeId))] },
    caps: { perGateway: 2, perHomePercent: 50, fleet: 100 },
  });
  const created = await cloud().services.rollouts.create(spec, { createdBy: 'op-1' });
  expect(created.state).toBe('running');
  expect(created.stages.map((s) => s.counts.total)).toEqual([1, 3, 4]);
  const done = await until(cloud, created.id, (r) => r.state === 'completed', 20_000);
  expect(done.stages.map((s) => s.state)).toEqual(['passed', 'passed', 'passed']);
  expect(done.counts).toMatchObject({ succeeded: 8, failed: 0, pending: 0, updating: 0 });
  expect(done.gateways).toHaveLength(4);
  expect(done.report.actualMakespanSeconds).not.toBeNull();
  expect(done.report.plannedMakespanSeconds).toBeGreaterThan(0);
  // Each switch was sent one job: none twice.
  expect(new Set(f.jobs.map((j) => j.deviceId)).size).toBe(8);
  expect(f.jobs).toHaveLength(8);
  // Never more than the caps at once: 2 per gateway, and 2 of a home's 4 switches.
  expect(Math.max(...f.maxPerGateway.values())).toBeLessThanOrEqual(2);
  expect(Math.max(...f.maxPerHome.values())).toBeLessThanOrEqual(2);
  // The devices now report the new version; the operator stream saw the rollout to its end.
  const versions = await Promise.all(f.switches.map((s) => cloud().services.updates.list(s.deviceId)));
  expect(versions.every((jobs) => jobs[0]?.version === rig().current.version)).toBe(true);
  await eventually(() => events.some((e) => e.rolloutId === created.id && e.state === 'completed'));
  // Heard through the bus (LISTEN/NOTIFY), so it may come after the state is read: stop listening only then.
  unsubscribe();
});

it('holds a stage below its success threshold: the next stage starts nothing', async () => {
  const f = await fleet(1, 2, 2);
  const spec = {
    releaseId: rig().current.id,
    target: { deviceIds: f.switches.map((s) => s.deviceId) },
    stages: [
      { count: 2, successThreshold: 100, errorThreshold: 100, minSample: 1, soakSeconds: 0 },
      { percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 },
    ],
    caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
  };
  // The plan is deterministic and writes nothing: it names the first stage's switches beforehand.
  const [hung] = (await cloud().services.rollouts.plan(spec)).stages[0]!.devices;
  f.answer = (deviceId) => (deviceId === hung ? 'hang' : 'succeed');
  const r = await cloud().services.rollouts.create(spec);
  const stage0 = r.stages[0]!.counts.total;
  expect(stage0).toBe(2);
  // The stage's other switch succeeds; the hung one keeps it below 100 %.
  await until(cloud, r.id, (v) => v.stages[0]!.counts.succeeded === 1 && v.stages[0]!.counts.updating === 1);
  await new Promise((done) => setTimeout(done, 600));
  const held = (await cloud().services.rollouts.get(r.id))!;
  expect(held.stages.map((s) => s.state)).toEqual(['running', 'pending']);
  expect(held.stages[1]!.counts.pending).toBe(2);
  expect(await jobsOf(r.id)).toHaveLength(2);
  await cloud().services.rollouts.cancel(r.id);
});

it('aborts on the error threshold: queued and in-flight jobs are cancelled, cancels go down, the rollout halts', async () => {
  const f = await fleet(2, 1, 3);
  // The first switch the engine starts fails; every other one hangs mid-upload until it is stopped.
  let bad: string | undefined;
  f.answer = (deviceId) => {
    bad ??= deviceId;
    return deviceId === bad ? 'fail' : 'hang';
  };
  const spec = {
    releaseId: rig().current.id,
    target: { deviceIds: f.switches.map((s) => s.deviceId) },
    stages: [{ percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 }],
    caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
    retry: { max: 0 },
  };
  const r = await cloud().services.rollouts.create(spec);
  const halted = await until(cloud, r.id, (v) => v.state === 'halted' && v.counts.updating === 0);
  expect(halted.reason).toBe('error_threshold');
  expect(halted.stages[0]!.state).toBe('failed');
  // The slow switch's upload was stopped: its gateway got the cancel, and its job ended cancelled.
  const slowJob = f.jobs.find((j) => j.deviceId !== bad)!;
  expect(f.cancels).toContain(slowJob.jobId);
  expect((await cloud().services.updates.get(slowJob.jobId))!.state).toBe('cancelled');
  // The switches not started are cancelled, not started later; no job of the rollout is left active.
  expect(halted.counts.failed).toBe(1);
  expect(halted.counts.cancelled).toBeGreaterThanOrEqual(4);
  // Each carries why: the abort's reason for those never started, the job's end for the stopped upload.
  const devices = (await cloud().services.rollouts.devices(r.id, null, 10)).items;
  const unstarted = devices.filter((d) => d.state === 'cancelled' && d.jobId === null);
  expect(unstarted.length).toBeGreaterThanOrEqual(3);
  for (const d of unstarted) expect(d.reason).toBe('error_threshold');
  const jobs = await Promise.all((await jobsOf(r.id)).map((id) => cloud().services.updates.get(id!)));
  expect(jobs.filter((j) => ['queued', 'waiting', 'running'].includes(j!.state))).toEqual([]);
  const count = f.jobs.length;
  await new Promise((done) => setTimeout(done, 300));
  expect(f.jobs).toHaveLength(count);
});

it('retries a failed update with backoff up to retry.max, and counts a timeout apart from a failure', async () => {
  const f = await fleet(1, 2, 1);
  const [flaky, dead] = f.switches;
  f.answer = (deviceId, attempt) => (deviceId === flaky!.deviceId ? (attempt === 1 ? 'fail' : 'succeed') : 'hang');
  const spec = {
    releaseId: rig().current.id,
    target: { deviceIds: f.switches.map((s) => s.deviceId) },
    stages: [{ percent: 100, successThreshold: 50, errorThreshold: 100, minSample: 1, soakSeconds: 0 }],
    caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
    retry: { max: 1, backoffSeconds: 0.2 },
    deviceTimeoutSeconds: 1,
  };
  const r = await cloud().services.rollouts.create(spec);
  const done = await until(cloud, r.id, (v) => v.state === 'completed');
  const page = await cloud().services.rollouts.devices(r.id, null, 10);
  const of = (id: string) => page.items.find((d) => d.deviceId === id)!;
  expect(of(flaky!.deviceId)).toMatchObject({ state: 'succeeded', attempts: 2 });
  // The hung switch timed out twice (one retry), and ends failed of kind timeout.
  expect(of(dead!.deviceId)).toMatchObject({ state: 'failed', failKind: 'timeout', attempts: 2 });
  expect(done.counts).toMatchObject({ succeeded: 1, timeout: 1, failed: 0 });
  expect(f.jobs.filter((j) => j.deviceId === flaky!.deviceId)).toHaveLength(2);
});

it('makes no rollback to a previous release whose security counter is lower, and says why on the halted rollout', async () => {
  const f = await fleet(1, 1, 2);
  // The first switch the engine starts takes the release; the second fails, which halts the rollout.
  let good: string | undefined;
  f.answer = (deviceId) => {
    good ??= deviceId;
    return deviceId === good ? 'succeed' : 'fail';
  };
  const spec = {
    releaseId: rig().current.id,
    target: { deviceIds: f.switches.map((s) => s.deviceId) },
    stages: [{ percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 }],
    caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
    retry: { max: 0 },
    onAbort: 'rollback' as const,
  };
  const r = await cloud().services.rollouts.create(spec);
  // The rig's releases carry their versions' counters: the previous one's is below the current one's.
  const halted = await until(cloud, r.id, (v) => v.state === 'halted' && /security counter/.test(v.detail ?? ''));
  expect(halted.counts.succeeded).toBe(1);
  expect(halted.detail).toMatch(/no rollback: the earlier passed release has a lower security counter/);
  expect((await cloud().services.rollouts.list()).filter((x) => x.parentId === r.id)).toEqual([]);
});
