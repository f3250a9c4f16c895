/**
 * Releases on one cloud instance with a suite the test steers: every defect an upload can have is a
 * typed error with nothing stored; a release goes testing → passed or failed only by the suite's
 * result (crash, rejection and timeout are failed); revoke, retest, image ranges and the gate.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { firmware } from '@switchfleet/protocol';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.ts';
import { NotFoundError } from '../src/errors.ts';
import { eventually } from '@switchfleet/testkit/poll';
import { useTestCloud } from '@switchfleet/testkit/cloud';
import { FakeSuite, hangUntilAborted, nextVersion, passAll, testImage, testKey } from '@switchfleet/testkit/releases';
import type { Release } from '../src/releases/releases.ts';

const suite = new FakeSuite();
const MAX_BYTES = 64 * 1024;
const t = useTestCloud({
  initialTrustedKeys: [testKey.publicKeyPem],
  releaseSuite: suite,
  releaseMaxBytes: MAX_BYTES,
  releaseTesting: { timeoutMs: 400, pollMs: 100, leaseMs: 3000 },
});

const service = () => t.cloud.services.releases;
const settled = (id: string) =>
  eventually(async () => {
    const r = await service().get(id);
    return r.state !== 'testing' && r;
  });
const stored = async () =>
  rowsOf<{ releases: number; images: number }>(
    await t.cloud.db.execute(sql`select (select count(*) from releases)::integer as releases,
      (select count(*) from release_images)::integer as images`),
  )[0];
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

describe('signing keys', () => {
  it('are seeded once from the settings, named by their KEYHASH, and a revoked one stays revoked', async () => {
    const keys = t.cloud.services.signingKeys;
    const id = firmware.keyHashOf(firmware.loadPublicKey(testKey.publicKeyPem)).toString('hex');
    expect((await keys.list()).map((k) => k.id)).toEqual([id]);
    const other = firmware.generateSigningKey();
    const added = await keys.add({ publicKeyPem: other.publicKeyPem, label: 'ci key' });
    await keys.revoke(added.id);
    await keys.seed([testKey.publicKeyPem, other.publicKeyPem]);
    const listed = await keys.list();
    expect(listed).toHaveLength(2);
    expect(listed.find((k) => k.id === added.id)?.revokedAt).toBeInstanceOf(Date);
    expect((await keys.trusted()).map((k) => k.id)).toEqual([id]);
  });

  it('refuse what is not an Ed25519 public key, and a key already listed', async () => {
    const keys = t.cloud.services.signingKeys;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(await codeOf(keys.add({ publicKeyPem: 'not a key' }))).toBe('BAD_KEY');
    expect(await codeOf(keys.add({ publicKeyPem: testKey.privateKeyPem }))).toBe('BAD_KEY');
    expect(await codeOf(keys.add({ publicKeyPem: rsa.toString() }))).toBe('BAD_KEY');
    expect(await codeOf(keys.add({ publicKeyPem: testKey.publicKeyPem }))).toBe('KEY_EXISTS');
    await expect(keys.revoke('00'.repeat(32))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('upload', () => {
  it('refuses every defect with its code and stores nothing', async () => {
    const before = await stored();
    const good = testImage();
    const badHash = Buffer.from(good);
    badHash[firmware.IMAGE_HEADER_SIZE + 10]! ^= 0xff;
    const badSignature = Buffer.from(good);
    badSignature[good.indexOf(firmware.parseImage(good).signature!) + 5]! ^= 0xff;
    const stranger = firmware.generateSigningKey();
    const revoked = firmware.generateSigningKey();
    const keys = t.cloud.services.signingKeys;
    await keys.revoke((await keys.add({ publicKeyPem: revoked.publicKeyPem })).id);
    const cases: [string, Buffer][] = [
      ['MALFORMED', Buffer.from('definitely not an MCUboot image')],
      ['MALFORMED', good.subarray(0, good.length - 10)],
      ['BAD_HASH', badHash],
      ['BAD_SIGNATURE', badSignature],
      ['BAD_SIGNATURE', testImage({ key: null })],
      ['UNKNOWN_KEY', testImage({ key: stranger })],
      ['UNKNOWN_KEY', testImage({ key: revoked })],
      ['UNKNOWN_HARDWARE', testImage({ hardwareId: 'sf-sw9-r9' })],
      // Over the limit and not an image either: the size is checked first.
      ['TOO_LARGE', Buffer.alloc(MAX_BYTES + 1)],
    ];
    for (const [code, bytes] of cases) expect([code, await codeOf(service().upload(bytes))]).toEqual([code, code]);
    expect(await stored()).toEqual(before);
    expect(suite.runs.filter((r) => cases.some(([, b]) => b.equals(r.image)))).toEqual([]);
  });

  it('refuses the same image again naming the release, and a version not newer for the model', async () => {
    const version = nextVersion();
    const first = await service().upload(testImage({ version }), { notes: 'first', actor: 'op-1' });
    const bytes = (await service().readImage(first.sha256)).bytes;
    const before = await stored();
    await expect(service().upload(bytes)).rejects.toMatchObject({ code: 'DUPLICATE', releaseId: first.id });
    expect(await codeOf(service().upload(testImage({ version })))).toBe('DOWNGRADE');
    expect(await codeOf(service().upload(testImage({ version: '0.9.0' })))).toBe('DOWNGRADE');
    expect(await stored()).toEqual(before);
    // Another model has its own line of versions.
    expect(first).toMatchObject({ version, hardwareId: 'sf-sw1-r1', notes: 'first', createdBy: 'op-1' });
    await settled(first.id);
  });

  it('stores the image by its sha256 and reads it back whole or by range', async () => {
    const bytes = testImage({ payloadBytes: 5000 });
    const release = await service().upload(bytes);
    expect(release).toMatchObject({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      state: 'testing',
      keyId: firmware.keyHashOf(firmware.loadPublicKey(testKey.publicKeyPem)).toString('hex'),
    });
    expect((await service().readImage(release.sha256)).bytes.equals(bytes)).toBe(true);
    const part = await service().readImage(release.sha256, { offset: 100, length: 50 });
    expect(part).toMatchObject({ size: bytes.length, offset: 100 });
    expect(part.bytes.equals(bytes.subarray(100, 150))).toBe(true);
    const tail = await service().readImage(release.sha256, { offset: bytes.length - 3, length: 100 });
    expect(tail.bytes.equals(bytes.subarray(-3))).toBe(true);
    expect(await codeOf(service().readImage(release.sha256, { offset: bytes.length }))).toBe('RANGE_NOT_SATISFIABLE');
    await expect(service().readImage('ab'.repeat(32))).rejects.toBeInstanceOf(NotFoundError);
    await settled(release.id);
  });
});

describe('testing', () => {
  it('passes a release on the suite result, with the report bound to its sha256, from the previous release', async () => {
    suite.verdict = passAll;
    const bytes = testImage();
    const release = await service().upload(bytes);
    expect((await settled(release.id)).state).toBe('passed');
    const [run] = suite.runsOf(bytes);
    expect(run?.options).toMatchObject({ hardwareId: 'sf-sw1-r1', trustedKeys: [testKey.publicKeyPem] });
    const previous = (await service().list()).find((r) => r.state === 'passed' && r.id !== release.id)!;
    expect(run?.options.previous?.equals((await service().readImage(previous.sha256)).bytes)).toBe(true);
    expect(await service().report(release.id)).toMatchObject({
      releaseId: release.id,
      sha256: release.sha256,
      suiteVersion: 'fake-suite 1',
      outcome: 'passed',
      cases: [
        { name: 'boot-and-advertise', outcome: 'passed', durationMs: 3, seed: 1 },
        { name: 'control', outcome: 'passed', detail: 'relay followed' },
      ],
    });
  });

  it('fails a release naming the failing case, and tests it again on request', async () => {
    suite.verdict = async () => ({
      suiteVersion: 'fake-suite 1',
      cases: [
        { name: 'boot-and-advertise', outcome: 'passed', durationMs: 3, seed: 1 },
        { name: 'control', outcome: 'failed', durationMs: 9, seed: 2, detail: 'the relay moved the wrong way' },
      ],
    });
    const release = await service().upload(testImage());
    const failed = await settled(release.id);
    expect(failed.state).toBe('failed');
    expect(failed.reason).toMatch(/control: the relay moved the wrong way/);
    expect(await codeOf(service().revoke(release.id))).toBe('RELEASE_STATE');
    suite.verdict = passAll;
    expect((await service().retest(release.id)).state).toBe('testing');
    expect((await settled(release.id)).state).toBe('passed');
    expect(await codeOf(service().retest(release.id))).toBe('RELEASE_STATE');
  });

  it.each([
    ['a crash', async () => Promise.reject(new Error('the suite process exited with signal SIGSEGV')), /SIGSEGV/],
    ['a timeout', hangUntilAborted, /did not finish within 400 ms/],
    ['a malformed result', async () => ({ suiteVersion: 'x', cases: [{ name: 'c', outcome: 'ok' }] }), /malformed/],
    ['no case at all', async () => ({ suiteVersion: 'x', cases: [] }), /no case/],
  ] as const)('fails a release on %s of the suite, never passes it', async (_what, verdict, reason) => {
    suite.verdict = verdict as FakeSuite['verdict'];
    const release = await service().upload(testImage());
    const done = await settled(release.id);
    suite.verdict = passAll;
    expect(done.state).toBe('failed');
    expect(done.reason).toMatch(reason);
  });
});

describe('the gate', () => {
  it('lets only a passed, unrevoked release with a passing report for its image through', async () => {
    suite.verdict = hangUntilAborted;
    const waiting = await service().upload(testImage());
    expect(await codeOf(service().assertShippable(waiting.id))).toBe('RELEASE_NOT_PASSED');
    await settled(waiting.id);
    expect(await codeOf(service().assertShippable(waiting.sha256))).toBe('RELEASE_NOT_PASSED');

    suite.verdict = passAll;
    const good: Release = await service().upload(testImage());
    await settled(good.id);
    expect((await service().assertShippable(good.id)).id).toBe(good.id);
    expect((await service().assertShippable(good.sha256)).id).toBe(good.id);
    // A passed state without a passing report for exactly this image is not enough.
    await t.cloud.db.execute(sql`update release_reports set sha256 = ${'00'.repeat(32)} where release_id = ${good.id}`);
    expect(await codeOf(service().assertShippable(good.id))).toBe('RELEASE_NOT_PASSED');
    await t.cloud.db.execute(sql`update release_reports set sha256 = ${good.sha256} where release_id = ${good.id}`);

    expect((await service().revoke(good.id)).state).toBe('revoked');
    expect(await codeOf(service().assertShippable(good.id))).toBe('RELEASE_REVOKED');
    await expect(service().assertShippable('no-such-release')).rejects.toBeInstanceOf(NotFoundError);
  });
});
