/**
 * Every fault `switchfleet firmware build --fault` can inject makes the release suite fail, on the
 * case built to catch it. Each faulty image runs only that case (and the update case where the
 * fault shows there too); suite.test.ts shows the same cases pass a good image.
 */
import { firmware } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage, FAULT_KINDS } from '@switchfleet/firmware-sim';
import { CATCHES, runReleaseSuite } from '../src/suite/index.ts';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const build = (version: string, faults: string[] = []) =>
  buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, faults, sizeBytes: 16 * 1024 });
const previousImage = build('1.1.0');

const faults: [string, string][] = [
  ['crash-on-boot', CATCHES['crash-on-boot']],
  ['self-test-fails', CATCHES['self-test-fails']],
  ['inverted-relay', CATCHES['inverted-relay']],
  ['drop-after:45', CATCHES['drop-after']],
  ['slow-notify', CATCHES['slow-notify']],
  ['no-notify', CATCHES['no-notify']],
  ['wrong-battery', CATCHES['wrong-battery']],
];

describe('the release suite on faulty images', () => {
  it('has a catching case for every fault the build can inject', () => {
    expect(Object.keys(CATCHES).sort()).toEqual([...FAULT_KINDS].sort());
  });

  it.each(faults)('fails an image built with %s on %s', async (fault, catcher) => {
    const report = await runReleaseSuite({
      image: build('1.2.0', [fault]),
      previousImage,
      publicKeyPem: key.publicKeyPem,
      cases: [catcher],
      seed: 77,
    });
    expect(report.cases).toHaveLength(1);
    expect(report.cases[0]).toMatchObject({ name: catcher, status: 'failed', reason: expect.any(String) });
    expect(report.failed).toBe(1);
  });

  it('names the cause: a crash on boot, a refused confirm, a dropped link, a late answer, a wrong battery', async () => {
    const reasons = async (fault: string, catcher: string) =>
      (
        await runReleaseSuite({
          image: build('1.2.0', [fault]),
          previousImage,
          publicKeyPem: key.publicKeyPem,
          cases: [catcher],
        })
      ).cases[0]?.reason;
    expect(await reasons('crash-on-boot', CATCHES['crash-on-boot'])).toMatch(/crash-on-boot/);
    expect(await reasons('self-test-fails', CATCHES['self-test-fails'])).toMatch(/self-test/);
    expect(await reasons('drop-after:45', CATCHES['drop-after'])).toMatch(/dropped 45\.0 s after it opened/);
    expect(await reasons('slow-notify:900', CATCHES['slow-notify'])).toMatch(/answered after 9\d\d ms/);
    expect(await reasons('wrong-battery:3', CATCHES['wrong-battery'])).toMatch(/the cloud sees 3 %/);
  });

  it('also fails the update from the previous release for an image that crashes or fails its self-test', async () => {
    for (const fault of ['crash-on-boot', 'self-test-fails']) {
      const report = await runReleaseSuite({
        image: build('1.2.0', [fault]),
        previousImage,
        publicKeyPem: key.publicKeyPem,
        cases: ['update-from-previous'],
      });
      expect(report.cases[0]).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(fault === 'crash-on-boot' ? /REVERTED/ : /CONFIRM_DENIED/),
      });
    }
  });
});
