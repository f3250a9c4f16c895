/**
 * `npm start`'s composition tests releases: startSystem plugs the lab's suite into the cloud, so an
 * uploaded release leaves `testing` with a report of the lab's suite. Without a previous release or
 * the key to build a baseline, the update cases cannot run, so this first release fails on them.
 */
import { firmware } from '@switchfleet/protocol';
import { expect, it } from 'vitest';
import { buildSimImage } from '@switchfleet/firmware-sim';
import { eventually } from '@switchfleet/testkit/poll';
import { useSystem } from '@switchfleet/testkit/system';

const rig = useSystem({
  demoEmail: 'household@example.test',
  demoPassword: 'correct horse battery',
  gatewayId: 'e2e-release-gw',
  switches: 0,
});

it('runs the lab release suite on an uploaded release', async () => {
  const key = firmware.generateSigningKey();
  const { signingKeys, releases } = rig.system.cloud.services;
  await signingKeys.add({ publicKeyPem: key.publicKeyPem, label: 'e2e' });
  const image = buildSimImage({ version: '1.0.0', hardwareId: 'sf-sw1-r1', privateKeyPem: key.privateKeyPem });
  const release = await releases.upload(image);
  const done = await eventually(async () => {
    const r = await releases.get(release.id);
    return r.state !== 'testing' && r;
  }, 120_000);
  const report = await releases.report(release.id);
  expect(report.suiteVersion).toMatch(/^switchfleet-lab /);
  expect(report.cases.find((c) => c.name === 'boot-and-advertise')?.outcome).toBe('passed');
  expect(report.cases.find((c) => c.name === 'update-from-previous')).toMatchObject({
    outcome: 'failed',
    detail: expect.stringMatching(/no previous release/),
  });
  expect(done.state).toBe('failed');
}, 150_000);
