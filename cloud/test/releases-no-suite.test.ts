/**
 * A cloud started with no release test suite: it says so at start, and what is uploaded stays in
 * `testing`, never passed, so the gate refuses to ship it (RELEASE_NOT_PASSED).
 */
import { capturedLogger, useTestCloud } from '@switchfleet/testkit/cloud';
import { testImage, testKey } from '@switchfleet/testkit/releases';
import { expect, it } from 'vitest';

const log = capturedLogger();
const t = useTestCloud({
  initialTrustedKeys: [testKey.publicKeyPem],
  releaseTesting: { timeoutMs: 400, pollMs: 50, leaseMs: 1000 },
  logger: log.logger,
});

it('warns at start and keeps every upload in testing, which the gate refuses', async () => {
  expect(log.messages).toContain('no release test suite is configured: uploaded releases stay in testing');
  const { releases } = t.cloud.services;
  const release = await releases.upload(testImage());
  // Many times the poll and the lease: a tester, had one started, would have finished the run.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await releases.get(release.id)).state).toBe('testing');
  await expect(releases.assertShippable(release.id)).rejects.toMatchObject({ code: 'RELEASE_NOT_PASSED' });
  await expect(releases.report(release.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
