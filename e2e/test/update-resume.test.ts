/**
 * An update cut in the middle, with the production gateway over simulated switches (update-rig.ts):
 * the gateway stopped mid-upload resumes from the switch's offset when it is back, a cancel while it
 * is away ends the job at once and reaches the gateway when it returns, and a cloud restart mid-upload
 * still ends `succeeded`. On PGlite in a directory, or the PostgreSQL of DATABASE_URL when it is set.
 */
import { SWITCH_DEFAULTS } from '@switchfleet/firmware-sim';
import { eventually } from '@switchfleet/testkit/poll';
import { expect, it } from 'vitest';
import { useUpdateSystem } from './update-rig.ts';

const rig = useUpdateSystem({ gatewayId: 'e2e-resume-gw', switches: 2 });
const { release, startUpdate, job, ended } = rig;
const IMAGE_BYTES = 48 * 1024;

/** Starts an update of the device and resolves once the switch holds part of this image (not an older session). */
async function midUpload(deviceId: string, version: string): Promise<{ id: string; held: number }> {
  const r = await release(version, { sizeBytes: IMAGE_BYTES });
  const started = await startUpdate(deviceId, r.id);
  expect(started.statusCode).toBe(202);
  const { flash } = await rig.switchOf(deviceId);
  await eventually(() => flash.upload?.sha === r.sha256 && flash.upload.off > IMAGE_BYTES / 8, 60_000);
  return { id: started.json<{ id: string }>().id, held: flash.upload!.off };
}

const uploadedBytes = (id: string, from: number) =>
  rig.events
    .slice(from)
    .flatMap((e) => (e.type === 'update' && e.jobId === id && e.phase === 'uploading' ? [e.bytes ?? 0] : []));

it('resumes the upload from the switch offset when the gateway is back from offline mid-upload', async () => {
  const a = rig.deviceIds[0]!;
  const { id } = await midUpload(a, '2.0.0');
  await rig.system.stopGateway();
  const { flash } = await rig.switchOf(a);
  const held = flash.upload!.off;
  expect(held).toBeGreaterThan(0);
  // Away is waiting, not failure.
  const away = await eventually(async () => {
    const j = await job(id);
    return j.state === 'waiting' && j;
  }, 20_000);
  expect(away).toMatchObject({ waitingReason: 'gateway_offline', reason: null });

  // Back on the same data directory: the switch's session only grows from where it was.
  let lowest = Number.POSITIVE_INFINITY;
  const watch = setInterval(() => {
    if (flash.upload && !flash.upload.complete) lowest = Math.min(lowest, flash.upload.off);
  }, 5);
  const from = rig.events.length;
  try {
    await rig.system.startGateway();
    expect(await ended(id)).toMatchObject({ state: 'succeeded', version: '2.0.0' });
  } finally {
    clearInterval(watch);
  }
  expect(lowest).toBeGreaterThanOrEqual(held);
  const bytes = uploadedBytes(id, from);
  expect(bytes.length).toBeGreaterThan(0);
  expect(Math.min(...bytes)).toBeGreaterThanOrEqual(held);
  expect((await rig.switchOf(a)).version).toBe('2.0.0');
}, 180_000);

it('cancels at once while the gateway is offline; the cancel reaches it when back, the switch stays on its image', async () => {
  const b = rig.deviceIds[1]!;
  const { id } = await midUpload(b, '2.1.0');
  await rig.system.stopGateway();
  await eventually(async () => (await job(id)).waitingReason === 'gateway_offline', 20_000);
  const cancel = await rig.cancel(id);
  expect(cancel.statusCode).toBe(202);
  expect(cancel.json()).toMatchObject({ state: 'cancelled', reason: 'cancelled' });

  // Back: the gateway runs the job it holds again until the cancel reaches it; it answers, and
  // the answer is kept as detail of the job, which stays cancelled.
  await rig.system.startGateway();
  const answered = await eventually(async () => {
    const j = await job(id);
    return j.detail?.startsWith('after the cancel') && j;
  }, 60_000);
  expect(answered).toMatchObject({ state: 'cancelled', detail: expect.stringContaining('ended it cancelled') });
  expect((await rig.switchOf(b)).version).toBe(SWITCH_DEFAULTS.firmwareVersion);
  // Bootable and the household's: it runs its old image and takes a command.
  const toggled = await rig.system.api.inject({
    method: 'POST',
    url: `/v1/devices/${b}/commands?wait=true&waitMs=20000`,
    headers: rig.household,
    payload: { action: 'toggle' },
  });
  expect(toggled.json()).toMatchObject({ status: 'succeeded' });
}, 180_000);

it('finishes an update that a cloud restart cut mid-upload', async () => {
  const b = rig.deviceIds[1]!;
  const { id, held } = await midUpload(b, '2.2.0');
  expect(held).toBeLessThan(IMAGE_BYTES);
  await rig.system.restartCloud();
  expect(await ended(id, 120_000)).toMatchObject({ state: 'succeeded', version: '2.2.0', reason: null });
  expect((await rig.switchOf(b)).version).toBe('2.2.0');
  const device = await rig.system.api.inject({ method: 'GET', url: `/v1/devices/${b}`, headers: rig.household });
  expect(device.json().firmware).toMatchObject({ version: '2.2.0', update: null });
}, 180_000);
