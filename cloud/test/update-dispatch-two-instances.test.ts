/**
 * Two cloud instances on one database and one mosquitto dispatch each update job once, though both
 * try at once (each create dispatches, both ticks redeliver, both hear the gateway's status); a job
 * whose gateway is away waits `gateway_offline` and goes down again when the gateway is back. On the
 * PostgreSQL of DATABASE_URL when set, else one PGlite both instances share.
 */
import type { UpdateJob } from '@switchfleet/protocol';
import { household, randomAddress } from '@switchfleet/testkit/cloud';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, TEST_HARDWARE, testImage, testKey } from '@switchfleet/testkit/releases';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';
import { expect, it } from 'vitest';
import { DownloadSigner, firmwarePath } from '../src/updates/index.ts';

const secret = Buffer.alloc(32, 7);
const rig = useTwoInstances({
  initialTrustedKeys: [testKey.publicKeyPem],
  releaseSuite: new FakeSuite(),
  releaseTesting: { pollMs: 100 },
  downloadSecret: secret,
  updateTickMs: 50,
});

it('sends each job once from two instances, and again once its gateway is back', async () => {
  const { one, two } = rig;
  await one.services.updateDispatcher.setPublicUrl('http://one.example.test');
  await two.services.updateDispatcher.setPublicUrl('http://two.example.test');
  const h = await household(one);
  await rig.broker.addUser(h.credentials.gatewayId, h.credentials.secret);
  const received: UpdateJob[] = [];
  const connect = async () => {
    const gw = await eventually(() =>
      MqttGateway.connect({
        url: rig.broker.url,
        gatewayId: h.credentials.gatewayId,
        secret: h.credentials.secret,
      }).catch(() => null),
    );
    gw.onUpdateJob((job) => received.push(job));
    await gw.subscribeDown();
    await gw.announce();
    await eventually(async () => (await two.services.gateways.get(h.credentials.gatewayId))?.online);
    return gw;
  };
  let gw = await connect();
  const addresses = Array.from({ length: 4 }, () => randomAddress());
  for (const address of addresses) await gw.report({ address, model: 'WoHand', hardwareId: TEST_HARDWARE });
  const devices = await eventually(async () => {
    const list = await one.services.devices.listForUser(h.user.id);
    return list.length === addresses.length && list;
  });
  const release = await one.services.releases.upload(testImage());
  await eventually(async () => (await one.services.releases.get(release.id)).state === 'passed', 20_000);

  // Each instance creates half of the jobs while the other keeps dispatching everything.
  const jobs = await Promise.all(
    devices.map((d, i) => (i % 2 === 0 ? one : two).services.updates.create(d.id, release.id)),
  );
  await Promise.all([
    one.services.updateDispatcher.dispatch({ all: true }),
    two.services.updateDispatcher.dispatch({ all: true }),
  ]);
  await eventually(() => received.length >= jobs.length);
  await new Promise((r) => setTimeout(r, 500));
  const count = (id: string) => received.filter((j) => j.jobId === id).length;
  expect(jobs.map((j) => count(j.id))).toEqual(jobs.map(() => 1));
  // The URL either instance signed is good on both (one secret), for this gateway, for this image.
  const job = received[0]!;
  const url = new URL(job.url);
  expect(url.pathname).toBe(firmwarePath(release.sha256));
  expect(new DownloadSigner(secret).verify(url.pathname, Object.fromEntries(url.searchParams))).toBe(true);
  expect(job).toMatchObject({ version: release.version, sha256: release.sha256, size: release.size });
  expect(url.searchParams.get('gw')).toBe(h.credentials.gatewayId);

  // Away: every job waits for the gateway; back: each goes down once more.
  await gw.drop();
  await eventually(async () => (await one.services.updates.get(jobs[0]!.id))?.waitingReason === 'gateway_offline');
  const before = received.length;
  gw = await connect();
  await eventually(() => jobs.every((j) => count(j.id) >= 2), 10_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(received.length - before).toBeGreaterThanOrEqual(jobs.length);
  for (const j of jobs) expect((await two.services.updates.get(j.id))?.state).toBe('queued');
  await gw.drop();
}, 60_000);
