/**
 * A cloud-driven firmware update behind a real mosquitto, the production broker: the cloud on its
 * own listener and account, the production gateway over the simulator on the gateways' listener with
 * the account the cloud provisioned (written into mosquitto's files, then reloaded), so the update's
 * topics pass mosquitto's ACL both ways. On PGlite, or the PostgreSQL of DATABASE_URL when it is set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimImage, SWITCH_DEFAULTS } from '@switchfleet/firmware-sim';
import type { CloudEvent } from '@switchfleet/cloud';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { startMosquitto, type TestMosquitto } from '@switchfleet/testkit/mosquitto';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite } from '@switchfleet/testkit/releases';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSystem, type System } from '../../scripts/system.ts';

let broker: TestMosquitto;
let system: System;
let dir: string;
let dropDb = async () => {};
const events: CloudEvent[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  const db = await scratchDatabase(process.env.DATABASE_URL);
  dropDb = db.drop;
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-update-mosquitto-'));
  system = await startSystem({
    gatewayDataDir: join(dir, 'gateway'),
    databaseUrl: db.url,
    mqttUrl: broker.cloudUrl,
    instanceId: 'update-mosquitto',
    gatewayMqttUrl: broker.url,
    mosquittoDir: broker.dir,
    jwtSecret: 'e2e-secret-that-is-long-enough-for-hs256',
    demoEmail: 'household@example.test',
    demoPassword: 'correct horse battery',
    gatewayId: 'e2e-update-mosq-gw',
    switches: 1,
    radio: { linkBytesPerSecond: 16 * 1024 },
    operator: { email: 'ops@example.test', password: 'ops-password-long' },
    releaseKeysIn: dir,
    releaseSuite: new FakeSuite(),
  });
  // The operator's step after provisioning a gateway: mosquitto re-reads its files on SIGHUP.
  await broker.reload();
  await system.listen(0, '127.0.0.1');
  system.cloud.events.subscribe((e) => events.push(e));
}, 120_000);

afterAll(async () => {
  await system?.close();
  await broker?.close();
  await dropDb();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('updates a switch through mosquitto: the job down, progress in order and the result up, confirmed on 1.1.0', async () => {
  const { devices, releases, updates } = system.cloud.services;
  const device = await eventually(async () => {
    const [d] = await devices.listForUser(system.demo.user.id);
    return d?.online === true && d;
  }, 60_000);
  const image = buildSimImage({
    version: '1.1.0',
    hardwareId: SWITCH_DEFAULTS.hardwareId,
    privateKeyPem: system.releaseKeys!.privateKeyPem,
    sizeBytes: 32 * 1024,
  });
  const release = await releases.upload(image);
  await eventually(async () => (await releases.get(release.id)).state === 'passed', 30_000);

  const job = await updates.create(device.id, release.id, { createdBy: system.operator!.operator.id });
  const done = await eventually(async () => {
    const j = await updates.get(job.id);
    return j && !['queued', 'waiting', 'running'].includes(j.state) && j;
  }, 120_000);
  expect(done).toMatchObject({ state: 'succeeded', version: '1.1.0' });
  const progress = events.filter((e) => e.type === 'update' && e.jobId === job.id);
  const bytes = progress.map((e) => (e.type === 'update' ? (e.bytes ?? 0) : 0));
  expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
  expect(progress.some((e) => e.type === 'update' && e.phase === 'uploading')).toBe(true);
  const sw = system.radio.switches[0]!;
  expect(sw.store.firmwareVersion).toBe('1.1.0');
}, 180_000);
