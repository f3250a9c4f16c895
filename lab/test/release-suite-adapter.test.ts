/**
 * The cloud's suite port as the lab implements it: the release suite in a child process, its result
 * in the cloud's shape; a timeout or an abort kills the child, a suite that cannot run is a crash
 * with its reason.
 */
import { firmware } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage } from '@switchfleet/firmware-sim';
import { caseNames } from '../src/suite/index.ts';
import { LabReleaseSuite } from '../src/index.ts';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const image = buildSimImage({
  version: '1.2.0',
  hardwareId: HW,
  privateKeyPem: key.privateKeyPem,
  sizeBytes: 16 * 1024,
});
const options = (extra: { signal?: AbortSignal; timeoutMs?: number } = {}) => ({
  hardwareId: HW,
  trustedKeys: [key.publicKeyPem],
  signal: extra.signal ?? new AbortController().signal,
  timeoutMs: extra.timeoutMs ?? 120_000,
});

describe('the lab release suite adapter', () => {
  it('runs every case of the suite in a child process and answers in the cloud shape', async () => {
    const suite = new LabReleaseSuite({ privateKeyPem: key.privateKeyPem, seed: 5 });
    const result = await suite.run(image, options());
    expect(result.suiteVersion).toMatch(/^switchfleet-lab 0\.1\.0 \(\d+ cases [0-9a-f]{12}\)$/);
    expect(result.cases.map((c) => c.name)).toEqual(caseNames());
    expect(result.cases.filter((c) => c.outcome !== 'passed')).toEqual([]);
    for (const c of result.cases) expect(c).toMatchObject({ durationMs: expect.any(Number), seed: expect.any(Number) });
  });

  it('builds the update cases on the previous release it is given, without a signing key', async () => {
    const previous = buildSimImage({ version: '1.1.0', hardwareId: HW, privateKeyPem: key.privateKeyPem });
    const suite = new LabReleaseSuite({ cases: ['update-from-previous'] });
    const result = await suite.run(image, { ...options(), previous });
    expect(result.cases).toMatchObject([{ name: 'update-from-previous', outcome: 'passed' }]);
    const without = await suite.run(image, options());
    expect(without.cases).toMatchObject([{ name: 'update-from-previous', outcome: 'failed' }]);
    expect(without.cases[0]?.detail).toMatch(/no previous release/);
  });

  it('kills the child at the timeout and when aborted', async () => {
    const suite = new LabReleaseSuite({ privateKeyPem: key.privateKeyPem });
    const started = Date.now();
    await expect(suite.run(image, options({ timeoutMs: 300 }))).rejects.toMatchObject({ code: 'SUITE_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const stop = new AbortController();
    const running = suite.run(image, options({ signal: stop.signal }));
    setTimeout(() => stop.abort(new Error('the cloud is stopping')), 200);
    await expect(running).rejects.toMatchObject({ code: 'SUITE_ABORTED', message: /the cloud is stopping/ });
  });

  it('reports a suite that cannot run as a crash, with the suite’s reason', async () => {
    const suite = new LabReleaseSuite();
    await expect(suite.run(Buffer.from('not an image'), options())).rejects.toMatchObject({
      code: 'SUITE_CRASHED',
      message: /IMAGE_UNREADABLE/,
    });
  });
});
