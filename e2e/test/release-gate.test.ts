/**
 * The release gate end to end: a cloud whose suite port is the lab's adapter, so each upload runs
 * the real release suite (simulated switches under the production gateway) in a child process. A
 * good image passes; an image built with each fault `switchfleet firmware build --fault` injects
 * fails, naming the case that catches it, and cannot ship. On PGlite, or the PostgreSQL of
 * DATABASE_URL when it is set.
 */
import { firmware } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage, FAULT_KINDS } from '@switchfleet/firmware-sim';
import { CATCHES, LabReleaseSuite } from '@switchfleet/lab';
import { eventually } from '@switchfleet/testkit/poll';
import { useTestCloud } from '@switchfleet/testkit/cloud';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const build = (version: string, faults: string[] = []) =>
  buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, faults, sizeBytes: 16 * 1024 });
/** Each fault kind as the build takes it (drop-after needs its seconds). */
const FAULTS = FAULT_KINDS.map((kind) => (kind === 'drop-after' ? 'drop-after:45' : kind));

const t = useTestCloud({
  initialTrustedKeys: [key.publicKeyPem],
  // The key signs the baseline the first release's update cases start from (adapter.ts).
  releaseSuite: new LabReleaseSuite({ privateKeyPem: key.privateKeyPem, caseTimeoutMs: 15_000 }),
  releaseTesting: { pollMs: 200 },
});

const settled = (id: string) =>
  eventually(async () => {
    const r = await t.cloud.services.releases.get(id);
    return r.state !== 'testing' && r;
  }, 240_000);

describe('the release gate with the real suite', () => {
  it('passes a good image on every case and lets it ship', async () => {
    const releases = t.cloud.services.releases;
    const release = await releases.upload(build('1.0.0'), { notes: 'good', actor: 'ops' });
    expect(release.state).toBe('testing');
    expect(await releases.assertShippable(release.id).catch((e: { code: string }) => e.code)).toBe(
      'RELEASE_NOT_PASSED',
    );
    const done = await settled(release.id);
    const report = await releases.report(release.id);
    expect(report.cases.filter((c) => c.outcome !== 'passed')).toEqual([]);
    expect(done.state).toBe('passed');
    expect(report).toMatchObject({ sha256: release.sha256, suiteVersion: expect.stringMatching(/^switchfleet-lab/) });
    expect(report.cases.length).toBeGreaterThan(10);
    expect((await releases.assertShippable(release.sha256)).id).toBe(release.id);
  }, 120_000);

  it('fails an image built with each fault on the case that catches it, and the gate holds it', async () => {
    const releases = t.cloud.services.releases;
    const uploaded = [];
    for (const [i, fault] of FAULTS.entries()) {
      uploaded.push({ fault, release: await releases.upload(build(`1.${i + 1}.0`, [fault])) });
    }
    for (const { fault, release } of uploaded) {
      const kind = fault.split(':')[0] as keyof typeof CATCHES;
      const done = await settled(release.id);
      const report = await releases.report(release.id);
      const catcher = report.cases.find((c) => c.name === CATCHES[kind]);
      expect([fault, done.state, catcher?.outcome]).toEqual([fault, 'failed', 'failed']);
      expect(done.reason).toContain(CATCHES[kind]);
      expect(await releases.assertShippable(release.id).catch((e: { code: string }) => e.code)).toBe(
        'RELEASE_NOT_PASSED',
      );
    }
  }, 600_000);
});
