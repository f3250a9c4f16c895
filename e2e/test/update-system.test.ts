/**
 * A cloud-driven firmware update of simulated switches under the production gateway: the whole
 * system of `npm start` (update-rig.ts) with the demo release key, a suite the test steers, and the
 * API listening so the gateway downloads from the cloud's signed URL. On PGlite, or the PostgreSQL
 * of DATABASE_URL when it is set.
 */
import type { CloudEvent } from '@switchfleet/cloud';
import { SWITCH_DEFAULTS } from '@switchfleet/firmware-sim';
import { eventually } from '@switchfleet/testkit/poll';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { System } from '../../scripts/system.ts';
import { RIG_HOUSEHOLD, RIG_OPERATOR, startUpdateRig, type UpdateRig } from './update-rig.ts';

let rig: UpdateRig;
let system: System;
let ops: { authorization: string };
let household: { authorization: string };
let deviceIds: string[] = [];
let base: string;
const events: CloudEvent[] = [];

async function login(email: string, password: string) {
  const r = await system.api.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  expect(r.statusCode).toBe(200);
  return { authorization: `Bearer ${r.json<{ accessToken: string }>().accessToken}` };
}

const release = (version: string, opts?: { pass?: boolean; sizeBytes?: number }) => rig.release(version, opts);
const startUpdate = (deviceId: string, releaseId: string) =>
  system.api.inject({
    method: 'POST',
    url: `/v1/admin/devices/${deviceId}/updates`,
    headers: ops,
    payload: { releaseId },
  });
const job = async (id: string) =>
  (await system.api.inject({ method: 'GET', url: `/v1/admin/updates/${id}`, headers: ops })).json<{
    state: string;
    phase: string | null;
    reason: string | null;
    version: string | null;
  }>();
const ended = (id: string, timeoutMs = 90_000) =>
  eventually(async () => {
    const j = await job(id);
    return !['queued', 'waiting', 'running'].includes(j.state) && j;
  }, timeoutMs);
const switchVersion = (deviceId: string) => rig.switchVersion(deviceId);

beforeAll(async () => {
  rig = await startUpdateRig('e2e-update-gw');
  ({ system, base, deviceIds } = rig);
  system.cloud.events.subscribe((e) => events.push(e));
  ops = await login(RIG_OPERATOR.email, RIG_OPERATOR.password);
  household = await login(RIG_HOUSEHOLD.email, RIG_HOUSEHOLD.password);
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

it('refuses a release that did not pass its tests, and an unknown one', async () => {
  const bad = await release('1.0.5', { pass: false });
  const r = await startUpdate(deviceIds[0]!, bad.id);
  expect(r.statusCode).toBe(409);
  expect(r.json().error.code).toBe('RELEASE_NOT_PASSED');
  const unknown = await startUpdate(deviceIds[0]!, '00000000-0000-4000-8000-000000000000');
  expect(unknown.statusCode).toBe(422);
  expect(
    (
      await system.api.inject({ method: 'GET', url: `/v1/admin/updates?deviceId=${deviceIds[0]}`, headers: ops })
    ).json(),
  ).toEqual([]);
}, 60_000);

it('updates one switch from the cloud, phases in order, while the other switch still takes commands', async () => {
  const [a, b] = deviceIds as [string, string];
  const r110 = await release('1.1.0', { sizeBytes: 64 * 1024 });
  // The household's live stream, open from before the update.
  const stream = new AbortController();
  let streamed = '';
  const sse = await fetch(`${base}/v1/events`, { headers: household, signal: stream.signal });
  void (async () => {
    for await (const chunk of sse.body!) streamed += Buffer.from(chunk).toString();
  })().catch(() => {});
  const started = await startUpdate(a, r110.id);
  expect(started.statusCode).toBe(202);
  const id = started.json<{ id: string }>().id;
  expect(started.headers.location).toBe(`/v1/admin/updates/${id}`);
  await eventually(async () => (await job(id)).phase === 'uploading', 60_000);

  const busy = await startUpdate(a, r110.id);
  expect(busy.statusCode).toBe(409);
  expect(busy.json().error.code).toBe('DEVICE_BUSY');
  const toUpdating = await system.api.inject({
    method: 'POST',
    url: `/v1/devices/${a}/commands?wait=true`,
    headers: household,
    payload: { action: 'toggle' },
  });
  expect(toUpdating.statusCode).toBe(409);
  expect(toUpdating.json().error.code).toBe('DEVICE_UPDATING');
  const toOther = await system.api.inject({
    method: 'POST',
    url: `/v1/devices/${b}/commands?wait=true&waitMs=20000`,
    headers: household,
    payload: { action: 'toggle' },
  });
  expect(toOther.json()).toMatchObject({ status: 'succeeded' });

  const done = await ended(id);
  expect(done).toMatchObject({ state: 'succeeded', version: '1.1.0' });
  const phases = events
    .filter((e) => e.type === 'update' && e.jobId === id && e.phase !== null)
    .map((e) => (e.type === 'update' ? e.phase : ''))
    .filter((p, i, all) => p !== all[i - 1]);
  const order = ['downloading', 'uploading', 'testing', 'rebooting', 'confirming'];
  expect(phases.map((p) => order.indexOf(p!))).toEqual([...phases.map((p) => order.indexOf(p!))].sort());
  expect(phases).toContain('uploading');
  expect(phases.at(-1)).toBe('confirming');
  expect(await switchVersion(a)).toBe('1.1.0');
  const updates = await eventually(() => {
    const lines = streamed.split('\n\n').filter((e) => e.startsWith('event: update') && e.includes(id));
    return lines.some((e) => e.includes('"state":"succeeded"')) && lines;
  });
  expect(updates.some((e) => e.includes('"state":"running"') && e.includes('"phase":"uploading"'))).toBe(true);
  stream.abort();
  const device = await system.api.inject({ method: 'GET', url: `/v1/devices/${a}`, headers: household });
  expect(device.json().firmware).toMatchObject({ version: '1.1.0', update: null });
}, 180_000);

it('fails a download whose bytes are not the image of its sha256 verify_failed, the switch untouched', async () => {
  const b = deviceIds[1]!;
  const r = await release('1.2.0');
  // The stored bytes change under the release: what the gateway gets no longer hashes to the job's sha256.
  await system.cloud.db.execute(
    sql`update release_images set bytes = overlay(bytes placing '\\xdeadbeef'::bytea from 100) where sha256 = ${r.sha256}`,
  );
  const started = await startUpdate(b, r.id);
  expect(started.statusCode).toBe(202);
  const done = await ended(started.json<{ id: string }>().id);
  expect(done).toMatchObject({ state: 'failed', reason: 'verify_failed' });
  expect(await switchVersion(b)).toBe(SWITCH_DEFAULTS.firmwareVersion);
}, 120_000);

it('cancels a running update; the switch stays on its image', async () => {
  const b = deviceIds[1]!;
  const r = await release('1.3.0', { sizeBytes: 128 * 1024 });
  const started = await startUpdate(b, r.id);
  const id = started.json<{ id: string }>().id;
  await eventually(async () => (await job(id)).phase === 'uploading', 60_000);
  const cancel = await system.api.inject({ method: 'POST', url: `/v1/admin/updates/${id}/cancel`, headers: ops });
  expect(cancel.statusCode).toBe(202);
  expect(await ended(id)).toMatchObject({ state: 'cancelled' });
  const again = await system.api.inject({ method: 'POST', url: `/v1/admin/updates/${id}/cancel`, headers: ops });
  expect(again.json().error.code).toBe('UPDATE_ENDED');
  expect(await switchVersion(b)).toBe(SWITCH_DEFAULTS.firmwareVersion);
  // A revoked release is held by the gate too.
  await system.cloud.services.releases.revoke(r.id);
  const revoked = await startUpdate(b, r.id);
  expect(revoked.json().error.code).toBe('RELEASE_REVOKED');
}, 120_000);
