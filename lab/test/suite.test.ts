/**
 * The release suite on a good image, and on inputs it cannot fully use: switches running the image
 * under the production gateway, a real aedes broker and mqtt.js playing the cloud.
 */
import { firmware } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage, UPDATE_POWER_CUTS } from '@switchfleet/firmware-sim';
import { baselineVersion, caseNames, runReleaseSuite, SuiteError } from '../src/suite/index.ts';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const stranger = firmware.generateSigningKey();
const build = (version: string, privateKeyPem = key.privateKeyPem) =>
  buildSimImage({ version, hardwareId: HW, privateKeyPem, sizeBytes: 32 * 1024 });

describe('the release suite', () => {
  it('passes a good image on every case, from a baseline it builds with the signing key', async () => {
    const image = build('1.2.0');
    const report = await runReleaseSuite({
      image,
      publicKeyPem: key.publicKeyPem,
      privateKeyPem: key.privateKeyPem,
      seed: 2024,
    });

    const failures = report.cases.filter((c) => c.status === 'failed').map((c) => `${c.name}: ${c.reason}`);
    expect(failures).toEqual([]);
    expect(report.cases.map((c) => c.name)).toEqual(caseNames());
    expect(report.cases.filter((c) => c.name.startsWith('power-loss:'))).toHaveLength(UPDATE_POWER_CUTS.length);
    expect(report).toMatchObject({
      image: { version: '1.2.0', hardwareId: HW, hash: firmware.parseImage(image).hash!.toString('hex') },
      previous: { version: '0.0.1', source: 'baseline' },
      seed: 2024,
      passed: caseNames().length,
      failed: 0,
    });
    expect(new Set(report.cases.map((c) => c.seed)).size).toBe(report.cases.length);
  });

  it('runs the update cases from a previous release it is given', async () => {
    const report = await runReleaseSuite({
      image: build('1.3.0'),
      previousImage: build('1.2.0'),
      publicKeys: [key.publicKeyPem],
      cases: ['update-from-previous', 'downgrade-refused', 'rollback-to-previous'],
    });
    expect(report.previous).toMatchObject({ version: '1.2.0', source: 'given' });
    expect(report.cases.map((c) => [c.name, c.status])).toEqual([
      ['update-from-previous', 'passed'],
      ['downgrade-refused', 'passed'],
      ['rollback-to-previous', 'passed'],
    ]);
    // Each version's own counter: 1.2.0's is below 1.3.0's, so the switch refuses the rollback.
    expect(report.cases[2]?.detail).toMatch(/no rollback to 1\.2\.0: its security counter is below/);
  });

  it('rolls back to a previous release with an equal security counter: installed, booted, confirmed', async () => {
    const counted = (version: string) =>
      buildSimImage({
        version,
        hardwareId: HW,
        privateKeyPem: key.privateKeyPem,
        sizeBytes: 32 * 1024,
        securityCounter: 3,
      });
    const report = await runReleaseSuite({
      image: counted('1.3.0'),
      previousImage: counted('1.2.0'),
      publicKeys: [key.publicKeyPem],
      cases: ['downgrade-refused', 'rollback-to-previous'],
    });
    expect(report.cases.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['downgrade-refused', 'passed', undefined],
      ['rollback-to-previous', 'passed', undefined],
    ]);
    expect(report.cases[1]?.detail).toMatch(/1\.3\.0 → 1\.2\.0 rolled back in/);
  });

  it('fails the update cases, saying why, when it has neither a previous release nor a key to build one', async () => {
    const report = await runReleaseSuite({
      image: build('1.2.0'),
      publicKeyPem: key.publicKeyPem,
      cases: ['update-from-previous', 'power-loss'],
    });
    expect(report.failed).toBe(1 + UPDATE_POWER_CUTS.length);
    expect(report.cases[0]?.reason).toMatch(/no previous release/);
  });

  it('fails an image signed by a key it does not trust, and no switch boots it', async () => {
    const report = await runReleaseSuite({
      image: build('1.2.0', stranger.privateKeyPem),
      publicKeyPem: key.publicKeyPem,
      cases: ['image-verifies', 'boot-and-advertise'],
    });
    expect(report.cases.map((c) => c.status)).toEqual(['failed', 'failed']);
    expect(report.cases[0]?.reason).toMatch(/UNKNOWN_KEY/);
    expect(report.cases[1]?.reason).toMatch(/no-bootable-image/);
  });

  it('fails image-verifies when the previous release is not older than the image', async () => {
    const report = await runReleaseSuite({
      image: build('1.2.0'),
      previousImage: build('1.4.0'),
      publicKeyPem: key.publicKeyPem,
      cases: ['image-verifies'],
    });
    expect(report.cases[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/not newer than the previous release 1\.4\.0/),
    });
  });

  it('refuses to sign a baseline with a key that is not trusted', async () => {
    await expect(
      runReleaseSuite({ image: build('1.2.0'), publicKeyPem: key.publicKeyPem, privateKeyPem: stranger.privateKeyPem }),
    ).rejects.toMatchObject({ code: 'KEY_NOT_TRUSTED' });
  });

  it('refuses input that is not an image, and case names it does not know', async () => {
    await expect(
      runReleaseSuite({ image: Buffer.from('not an image'), publicKeyPem: key.publicKeyPem }),
    ).rejects.toBeInstanceOf(SuiteError);
    await expect(
      runReleaseSuite({ image: build('1.2.0'), publicKeyPem: key.publicKeyPem, cases: ['boot'] }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_CASE' });
  });

  it('picks a baseline version below the image, and none below 0.0.0', () => {
    expect(baselineVersion('1.2.0')).toBe('0.0.1');
    expect(baselineVersion('0.0.1')).toBe('0.0.0');
    expect(baselineVersion('0.0.0')).toBeNull();
  });
});
