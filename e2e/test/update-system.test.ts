/**
 * A cloud-driven firmware update of simulated switches under the production gateway: the whole
 * system of `npm start` (update-rig.ts). On PGlite, or the PostgreSQL of DATABASE_URL when it is set.
 */
import { SWITCH_DEFAULTS } from '@switchfleet/firmware-sim';
import { eventually } from '@switchfleet/testkit/poll';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { useUpdateSystem } from './update-rig.ts';

const rig = useUpdateSystem({ gatewayId: 'e2e-update-gw', switches: 2 });
const { release, startUpdate, job, ended } = rig;
const switchVersion = async (deviceId: string) => (await rig.switchOf(deviceId)).version;

it('refuses a release that did not pass its tests, and an unknown one', async () => {
  const bad = await release('1.0.5', { pass: false });
  const r = await startUpdate(rig.deviceIds[0]!, bad.id);
  expect(r.statusCode).toBe(409);
  expect(r.json().error.code).toBe('RELEASE_NOT_PASSED');
  const unknown = await startUpdate(rig.deviceIds[0]!, '00000000-0000-4000-8000-000000000000');
  expect(unknown.statusCode).toBe(422);
  expect(
    (
      await rig.system.api.inject({
        method: 'GET',
        url: `/v1/admin/updates?deviceId=${rig.deviceIds[0]}`,
        headers: rig.ops,
      })
    ).json(),
  ).toEqual([]);
}, 60_000);

it('updates one switch from the cloud, phases in order, while the other switch still takes commands', async () => {
  const [a, b] = rig.deviceIds as [string, string];
  const r110 = await release('1.1.0', { sizeBytes: 64 * 1024 });
  // The household's live stream, open from before the update.
  const stream = new AbortController();
  let streamed = '';
  const sse = await fetch(`${rig.base}/v1/events`, { headers: rig.household, signal: stream.signal });
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
  const toUpdating = await rig.system.api.inject({
    method: 'POST',
    url: `/v1/devices/${a}/commands?wait=true`,
    headers: rig.household,
    payload: { action: 'toggle' },
  });
  expect(toUpdating.statusCode).toBe(409);
  expect(toUpdating.json().error.code).toBe('DEVICE_UPDATING');
  const toOther = await rig.system.api.inject({
    method: 'POST',
    url: `/v1/devices/${b}/commands?wait=true&waitMs=20000`,
    headers: rig.household,
    payload: { action: 'toggle' },
  });
  expect(toOther.json()).toMatchObject({ status: 'succeeded' });

  const done = await ended(id);
  expect(done).toMatchObject({ state: 'succeeded', version: '1.1.0' });
  const phases = rig.events
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
  const device = await rig.system.api.inject({ method: 'GET', url: `/v1/devices/${a}`, headers: rig.household });
  expect(device.json().firmware).toMatchObject({ version: '1.1.0', update: null });
  // The gateway's later reports of the switch carry its new version too, and do not set the old one back.
  const after = await rig.system.api.inject({
    method: 'POST',
    url: `/v1/devices/${a}/commands?wait=true&waitMs=20000`,
    headers: rig.household,
    payload: { action: 'toggle' },
  });
  expect(after.json()).toMatchObject({ status: 'succeeded' });
  await new Promise((settle) => setTimeout(settle, 500));
  const reported = await rig.system.api.inject({ method: 'GET', url: `/v1/devices/${a}`, headers: rig.household });
  expect(reported.json().firmware).toMatchObject({ version: '1.1.0' });
}, 180_000);

it('fails a download whose bytes are not the image of its sha256 verify_failed, the switch untouched', async () => {
  const b = rig.deviceIds[1]!;
  const r = await release('1.2.0');
  // The stored bytes change under the release: what the gateway gets no longer hashes to the job's sha256.
  await rig.system.cloud.db.execute(
    sql`update release_images set bytes = overlay(bytes placing '\\xdeadbeef'::bytea from 100) where sha256 = ${r.sha256}`,
  );
  const started = await startUpdate(b, r.id);
  expect(started.statusCode).toBe(202);
  const done = await ended(started.json<{ id: string }>().id);
  expect(done).toMatchObject({ state: 'failed', reason: 'verify_failed' });
  expect(await switchVersion(b)).toBe(SWITCH_DEFAULTS.firmwareVersion);
}, 120_000);

it('cancels a running update; the switch stays on its image', async () => {
  const b = rig.deviceIds[1]!;
  const r = await release('1.3.0', { sizeBytes: 128 * 1024 });
  const started = await startUpdate(b, r.id);
  const id = started.json<{ id: string }>().id;
  await eventually(async () => (await job(id)).phase === 'uploading', 60_000);
  const cancel = await rig.cancel(id);
  expect(cancel.statusCode).toBe(202);
  expect(await ended(id)).toMatchObject({ state: 'cancelled' });
  const again = await rig.cancel(id);
  expect(again.json().error.code).toBe('UPDATE_ENDED');
  expect(await switchVersion(b)).toBe(SWITCH_DEFAULTS.firmwareVersion);
  // A revoked release is held by the gate too.
  await rig.system.cloud.services.releases.revoke(r.id);
  const revoked = await startUpdate(b, r.id);
  expect(revoked.json().error.code).toBe('RELEASE_REVOKED');
}, 120_000);
