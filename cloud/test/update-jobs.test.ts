/**
 * Update jobs against a gateway speaking the protocol (a real MQTT client on the embedded aedes):
 * the gateway's reports move a job forward only, a terminal result is final, success needs the
 * release's version from the switch, a gateway reports on its own switches only, waiting is not
 * failure until the deadline, and a cloud restart mid-update still ends `succeeded`. On the
 * PostgreSQL of DATABASE_URL when set, else PGlite in a directory that outlives the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePayload, topicFor } from '@switchfleet/protocol';
import type { UpdateJob, UpdateProgress, UpdateResult } from '@switchfleet/protocol';
import { household, randomAddress, type Household } from '@switchfleet/testkit/cloud';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { eventually } from '@switchfleet/testkit/poll';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { FakeSuite, TEST_HARDWARE, testImage, testKey } from '@switchfleet/testkit/releases';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud, parseConfig, type Cloud, type CloudConfig } from '../src/index.ts';

let cloud: Cloud;
let config: CloudConfig;
let dir: string;
let drop = async () => {};
let releaseId: string;
let version: string;

const start = async () => {
  cloud = await createCloud(config);
  await cloud.services.updateDispatcher.setPublicUrl('http://cloud.example.test');
};

beforeAll(async () => {
  const scratch = await scratchDatabase(parseConfig().databaseUrl);
  drop = scratch.drop;
  dir = mkdtempSync(join(tmpdir(), 'sf-update-jobs-'));
  config = {
    ...(scratch.url ? { databaseUrl: scratch.url } : { dataDir: dir }),
    mqttPort: await freeFixedPort(),
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: new FakeSuite(),
    releaseTesting: { pollMs: 100 },
    downloadSecret: Buffer.alloc(32, 1),
    updateTickMs: 50,
    redeliverAfterMs: 300,
  };
  await start();
  const release = await cloud.services.releases.upload(testImage());
  await eventually(async () => (await cloud.services.releases.get(release.id)).state === 'passed', 20_000);
  releaseId = release.id;
  version = release.version;
}, 60_000);

afterAll(async () => {
  await cloud?.close();
  await drop();
  rmSync(dir, { recursive: true, force: true });
});

interface Rig {
  h: Household;
  gw: MqttGateway;
  jobs: UpdateJob[];
  address: string;
  deviceId: string;
}

async function connect(h: Household, jobs: UpdateJob[]): Promise<MqttGateway> {
  const gw = await eventually(() =>
    MqttGateway.connect({
      url: cloud.broker.url,
      gatewayId: h.credentials.gatewayId,
      secret: h.credentials.secret,
    }).catch(() => null),
  );
  gw.onUpdateJob((job) => jobs.push(job));
  await gw.subscribeDown();
  await gw.announce();
  await eventually(async () => (await cloud.services.gateways.get(h.credentials.gatewayId))?.online);
  return gw;
}

async function rig(): Promise<Rig> {
  const h = await household(cloud);
  const jobs: UpdateJob[] = [];
  const gw = await connect(h, jobs);
  const address = randomAddress();
  await gw.report({ address, model: 'WoHand', hardwareId: TEST_HARDWARE });
  const [device] = await eventually(async () => {
    const list = await cloud.services.devices.listForUser(h.user.id);
    return list.length > 0 && list;
  });
  return { h, gw, jobs, address, deviceId: device!.id };
}

let seq = 1000;
const progress = (r: Rig, jobId: string, p: Partial<UpdateProgress>, s = ++seq) =>
  r.gw.publish(
    topicFor('updateProgress', { gatewayId: r.h.credentials.gatewayId, address: r.address }),
    encodePayload('updateProgress', { v: 1, seq: s, ts: new Date().toISOString(), jobId, state: 'running', ...p }),
  );
const result = (r: Rig, jobId: string, res: Partial<UpdateResult>, gw = r.gw) =>
  gw.publish(
    topicFor('updateResult', { gatewayId: gw.gatewayId, address: r.address }),
    encodePayload('updateResult', {
      v: 1,
      seq: ++seq,
      ts: new Date().toISOString(),
      jobId,
      status: 'succeeded',
      ...res,
    }),
  );
const job = (id: string) => cloud.services.updates.get(id).then((j) => j!);
/** Resolves once the ingest has refused one more message than before `send`. */
async function refused(send: () => Promise<void>): Promise<void> {
  const before = cloud.services.ingest.stats().rejected;
  await send();
  await eventually(() => cloud.services.ingest.stats().rejected > before);
}

it('moves a job forward only, takes the first terminal result, and needs the release version for success', async () => {
  const r = await rig();
  const created = await cloud.services.updates.create(r.deviceId, releaseId);
  await eventually(() => r.jobs.some((j) => j.jobId === created.id));
  await progress(r, created.id, { phase: 'uploading', bytes: 500, totalBytes: 2000 }, 50);
  await eventually(async () => (await job(created.id)).bytes === 500);
  // An older report replayed by the outbox does not move the job back.
  await refused(() => progress(r, created.id, { phase: 'downloading', bytes: 100 }, 40));
  expect(await job(created.id)).toMatchObject({ state: 'running', phase: 'uploading', bytes: 500 });
  // The command path refuses the switch while its update runs.
  const toUpdating = await cloud.services.commands.create(r.h.user.id, r.deviceId, 'toggle').catch((e) => e);
  expect(toUpdating.code).toBe('DEVICE_UPDATING');
  // Another gateway's word about this switch is not taken.
  const other = await household(cloud);
  const otherGw = await connect(other, []);
  await refused(() => result(r, created.id, { version }, otherGw));
  expect((await job(created.id)).state).toBe('running');
  // "Succeeded" with another version than the release's is the switch's error, not success.
  await result(r, created.id, { version: '0.0.1' });
  await eventually(async () => (await job(created.id)).state === 'failed');
  expect(await job(created.id)).toMatchObject({ reason: 'device_error', version: '0.0.1' });
  await refused(() => result(r, created.id, { version }));
  expect((await job(created.id)).state).toBe('failed');
  await otherGw.drop();
  await r.gw.drop();
}, 30_000);

it('waits while the gateway is away and fails timeout at the deadline; cancels an undispatched job at once', async () => {
  const r = await rig();
  await r.gw.drop();
  await eventually(async () => !(await cloud.services.gateways.get(r.h.credentials.gatewayId))?.online);
  const late = await cloud.services.updates.create(r.deviceId, releaseId, { deadlineMs: 1500 });
  expect(late).toMatchObject({ state: 'waiting', waitingReason: 'gateway_offline' });
  await eventually(async () => (await job(late.id)).state === 'failed', 5000);
  expect(await job(late.id)).toMatchObject({ reason: 'timeout' });
  const cancelled = await cloud.services.updates.create(r.deviceId, releaseId);
  expect((await cloud.services.updates.cancel(cancelled.id)).state).toBe('cancelled');
  expect(r.jobs).toEqual([]);
}, 30_000);

it('finishes an update that a cloud restart cut in the middle', async () => {
  const r = await rig();
  const created = await cloud.services.updates.create(r.deviceId, releaseId);
  await eventually(() => r.jobs.some((j) => j.jobId === created.id));
  await progress(r, created.id, { phase: 'uploading', bytes: 100, totalBytes: 2000 });
  await eventually(async () => (await job(created.id)).phase === 'uploading');
  await cloud.close();
  await r.gw.drop();
  await start();
  // The gateway comes back to the new broker: the job goes down again (the gateway takes a job id
  // once), and its result lands in the row.
  const before = r.jobs.length;
  r.gw = await connect(r.h, r.jobs);
  await eventually(() => r.jobs.length > before && r.jobs.at(-1)!.jobId === created.id);
  await progress(r, created.id, { phase: 'confirming', bytes: 2000, totalBytes: 2000 });
  await result(r, created.id, { version });
  await eventually(async () => (await job(created.id)).state === 'succeeded');
  expect(await job(created.id)).toMatchObject({ version, endedAt: expect.any(Date) });
  const [device] = await cloud.services.devices.listForUser(r.h.user.id);
  expect(device!.firmware).toEqual({ version, update: null });
  await r.gw.drop();
}, 60_000);

it('cancels at once while the gateway is away, sends the cancel when it is back, and keeps its late result as detail', async () => {
  const r = await rig();
  const created = await cloud.services.updates.create(r.deviceId, releaseId);
  await eventually(() => r.jobs.some((j) => j.jobId === created.id));
  await progress(r, created.id, { phase: 'uploading', bytes: 500, totalBytes: 2000 });
  await eventually(async () => (await job(created.id)).phase === 'uploading');
  await r.gw.drop();
  await eventually(async () => (await job(created.id)).waitingReason === 'gateway_offline');
  expect(await cloud.services.updates.cancel(created.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled' });
  // Back: the cancel goes down, the cancelled job does not.
  r.gw = await connect(r.h, r.jobs);
  await eventually(() => r.gw.cancels.includes(created.id));
  expect(r.jobs.filter((j) => j.jobId === created.id)).toHaveLength(1);
  // The switch finished before the cancel reached it: kept as detail, the job stays cancelled.
  await result(r, created.id, { version });
  await eventually(async () => (await job(created.id)).detail?.includes(version));
  expect(await job(created.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled', version: null });
  const [device] = await cloud.services.devices.listForUser(r.h.user.id);
  expect(device!.firmware.version).not.toBe(version);
  // Taken once: a second late result is refused.
  await refused(() => result(r, created.id, { status: 'failed', reason: 'cancelled' }));
  await r.gw.drop();
}, 30_000);

/** A job its gateway is uploading, then cancelled: the cancel is asked of the gateway, the job still running. */
async function cancelWhileUploading() {
  const r = await rig();
  const created = await cloud.services.updates.create(r.deviceId, releaseId);
  await eventually(() => r.jobs.some((j) => j.jobId === created.id));
  await progress(r, created.id, { phase: 'uploading', bytes: 500, totalBytes: 2000 });
  await eventually(async () => (await job(created.id)).phase === 'uploading');
  expect((await cloud.services.updates.cancel(created.id)).state).toBe('running');
  return { r, created };
}

it('asks an online gateway to cancel, and ends the job cancelled when it does not answer', async () => {
  const { r, created } = await cancelWhileUploading();
  await eventually(() => r.gw.cancels.includes(created.id));
  // Unanswered past redeliverAfterMs: cancelled in the cloud, and the cancel goes down again.
  await eventually(async () => (await job(created.id)).state === 'cancelled', 5000);
  expect((await job(created.id)).detail).toMatch(/did not answer/);
  await eventually(() => r.gw.cancels.filter((id) => id === created.id).length === 2);
  await result(r, created.id, { status: 'failed', reason: 'cancelled' });
  await eventually(async () => (await job(created.id)).detail?.includes('ended it cancelled'));
  expect((await job(created.id)).state).toBe('cancelled');
  await r.gw.drop();
}, 30_000);

it('ends a cancel the gateway was asked for when the gateway goes away, and asks again when it is back', async () => {
  const { r, created } = await cancelWhileUploading();
  // The unanswered-cancel bound held off: only the gateway going away may end the job here.
  await cloud.db.execute(sql`update update_jobs set cancel_requested_at = now() + interval '1 hour'
    where id = ${created.id}`);
  await r.gw.drop();
  await eventually(async () => (await job(created.id)).state === 'cancelled', 5000);
  expect((await job(created.id)).detail).toMatch(/went offline/);
  r.gw = await connect(r.h, r.jobs);
  await eventually(() => r.gw.cancels.includes(created.id));
  await r.gw.drop();
}, 30_000);

it('refuses a direct update to an older version than the switch runs (409 DOWNGRADE), and makes no job', async () => {
  const r = await rig();
  await r.gw.report({ address: r.address, model: 'WoHand', hardwareId: TEST_HARDWARE, firmwareVersion: '200.0.0' });
  await eventually(
    async () => (await cloud.services.devices.getForUser(r.h.user.id, r.deviceId))?.firmwareVersion === '200.0.0',
  );
  await expect(cloud.services.updates.create(r.deviceId, releaseId)).rejects.toMatchObject({
    code: 'DOWNGRADE',
    statusCode: 409,
  });
  expect(await cloud.services.updates.list(r.deviceId)).toEqual([]);
  expect(r.jobs).toEqual([]);
  // What the engine passes for a rollback rollout lets the job be made; the flag on the wire comes
  // from the rollout's parent, so a job outside any rollout never carries it.
  const job = await cloud.services.updates.create(r.deviceId, releaseId, { allowDowngrade: true });
  await eventually(() => r.jobs.find((j) => j.jobId === job.id));
  expect(r.jobs.find((j) => j.jobId === job.id)!.allowDowngrade).toBeUndefined();
});
