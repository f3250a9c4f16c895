/**
 * Firmware releases and signing keys through the admin API, with a suite the test steers: upload →
 * 201 testing → passed, every refusal a 4xx with its code and nothing stored, 413 and 415 before the
 * body is used, retest, revoke by an admin only, the report, and an audit entry for every mutation.
 */
import { generateKeyPairSync } from 'node:crypto';
import { unique } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, passAll, testImage, testKey } from '@switchfleet/testkit/releases';
import { firmware } from '@switchfleet/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const suite = new FakeSuite();
const MAX_BYTES = 16 * 1024;
const api = useApi({
  cloud: {
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: suite,
    releaseMaxBytes: MAX_BYTES,
    releaseTesting: { timeoutMs: 2000, pollMs: 100, leaseMs: 3000 },
  },
});
const PASSWORD = 'operator passphrase';
let asAdmin: Record<string, string>;
let asOperator: Record<string, string>;
let operatorId: string;

beforeAll(async () => {
  const make = async (role: 'operator' | 'admin') => {
    const email = `${unique(role)}@ops.test`;
    const o = await api.cloud.services.operators.create({ email, password: PASSWORD, role });
    return { id: o.id, auth: bearer(await login(api.app, email, PASSWORD)) };
  };
  asAdmin = (await make('admin')).auth;
  const op = await make('operator');
  asOperator = op.auth;
  operatorId = op.id;
});

function upload(image: Buffer | string, opts: { type?: string; auth?: Record<string, string>; query?: string } = {}) {
  return api.app.inject({
    method: 'POST',
    url: `/v1/admin/releases${opts.query ?? ''}`,
    headers: { ...(opts.auth ?? asOperator), 'content-type': opts.type ?? 'application/octet-stream' },
    payload: image,
  });
}
const call = (method: 'GET' | 'POST', url: string, auth = asOperator) =>
  api.app.inject({ method, url: `/v1/admin${url}`, headers: auth });
/** The fake suite's passing run with its first case failed. */
const failOne: typeof passAll = async (image, options) => {
  const run = await passAll(image, options);
  return { ...run, cases: run.cases.map((c, i) => (i === 0 ? { ...c, outcome: 'failed', detail: 'no advert' } : c)) };
};
const count = async () => (await api.cloud.services.releases.list()).length;
const settled = (id: string) =>
  eventually(async () => {
    const r = (await call('GET', `/releases/${id}`)).json();
    return r.state !== 'testing' && r;
  });
async function auditOf(action: string) {
  const page = await api.cloud.services.audit.list({ action, limit: 50 });
  return page.entries.map((e) => ({ actor: e.actor?.id, target: e.target, outcome: e.outcome, detail: e.detail }));
}

describe('POST /v1/admin/releases', () => {
  it('stores a signed image as a release in testing, which the suite alone makes passed, with its report', async () => {
    suite.verdict = passAll;
    const image = testImage();
    const res = await upload(image, { query: '?notes=first%20cut' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/v1/admin/releases/${body.id}`);
    expect(body).toMatchObject({ hardwareId: 'sf-sw1-r1', size: image.length, state: 'testing', notes: 'first cut' });
    expect(Object.keys(body).sort()).toEqual(
      ['createdAt', 'hardwareId', 'id', 'keyId', 'notes', 'reason', 'sha256', 'size', 'state', 'version'].sort(),
    );
    expect((await settled(body.id)).state).toBe('passed');
    const report = await call('GET', `/releases/${body.id}/report`);
    expect(report.json()).toMatchObject({
      sha256: body.sha256,
      suiteVersion: 'fake-suite 1',
      outcome: 'passed',
      cases: [
        { name: 'boot-and-advertise', outcome: 'passed', durationMs: 3, seed: 1, detail: null },
        { name: 'control', outcome: 'passed', durationMs: 4, seed: 2, detail: 'relay followed' },
      ],
    });
    const listed = (await call('GET', '/releases?state=passed&hardwareId=sf-sw1-r1&limit=1')).json();
    expect(listed.map((r: { id: string }) => r.id)).toEqual([body.id]);
    expect(await auditOf('release.upload')).toContainEqual({
      actor: operatorId,
      target: { type: 'release', id: body.id },
      outcome: 'success',
      detail: expect.objectContaining({ status: 201, sha256: body.sha256 }),
    });
  });

  it('refuses each defect with 422 and its code, storing nothing', async () => {
    const badHash = testImage();
    badHash[firmware.IMAGE_HEADER_SIZE + 10]! ^= 0xff;
    const cases: [string, Buffer][] = [
      ['MALFORMED', Buffer.from('not an image at all')],
      ['BAD_HASH', badHash],
      ['BAD_SIGNATURE', testImage({ key: null })],
      ['UNKNOWN_KEY', testImage({ key: firmware.generateSigningKey() })],
      ['UNKNOWN_HARDWARE', testImage({ hardwareId: 'sf-other-r9' })],
      ['DOWNGRADE', testImage({ version: '0.0.1' })],
    ];
    const before = await count();
    const got: string[] = [];
    for (const [code, image] of cases) {
      const res = await upload(image);
      got.push(`${code}: ${res.statusCode} ${res.json().error.code}`);
    }
    expect(got).toEqual(cases.map(([code]) => `${code}: 422 ${code}`));
    expect(await count()).toBe(before);
    const failures = (await auditOf('release.upload')).filter((e) => e.outcome === 'failure');
    expect(failures.map((e) => e.detail.code)).toEqual(expect.arrayContaining(cases.map(([c]) => c)));
  });

  it('answers the same image again 409 DUPLICATE naming its release', async () => {
    const image = testImage();
    const first = (await upload(image)).json();
    const again = await upload(image);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'DUPLICATE', message: expect.stringContaining(first.id) });
  });

  it('answers 413 past the limit and 415 for another media type, before the image is used', async () => {
    const before = await count();
    const big = testImage({ payloadBytes: MAX_BYTES });
    const tooBig = await upload(big);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error.code).toBe('BODY_TOO_LARGE');
    const json = await upload(JSON.stringify({ image: 'x' }), { type: 'application/json' });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const empty = await upload(Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    expect(await count()).toBe(before);
    const statuses = (await auditOf('release.upload')).map((e) => e.detail.status);
    expect(statuses).toEqual(expect.arrayContaining([413, 415]));
  });
});

describe('a release after its tests', () => {
  it('has no report while testing (404); a failed one is tested again, a passed one is not (409)', async () => {
    let finish: (() => void) | undefined;
    suite.verdict = (image, options) =>
      new Promise((resolve) => {
        finish = () => resolve(failOne(image, options));
      });
    const release = (await upload(testImage())).json();
    await eventually(() => finish !== undefined);
    expect((await call('GET', `/releases/${release.id}/report`)).statusCode).toBe(404);
    finish!();
    const failed = await settled(release.id);
    expect(failed).toMatchObject({ state: 'failed', reason: expect.stringContaining('no advert') });
    const report = (await call('GET', `/releases/${release.id}/report`)).json();
    expect(report.cases[0]).toMatchObject({ outcome: 'failed', detail: 'no advert' });

    suite.verdict = passAll;
    const retest = await call('POST', `/releases/${release.id}/test`);
    expect(retest.statusCode, retest.body).toBe(200);
    expect(retest.json().state).toBe('testing');
    expect((await settled(release.id)).state).toBe('passed');
    const again = await call('POST', `/releases/${release.id}/test`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('RELEASE_STATE');
    expect((await auditOf('release.retest')).map((e) => `${e.target?.id} ${e.outcome}`)).toEqual([
      `${release.id} failure`,
      `${release.id} success`,
    ]);
  });

  it('is revoked by an admin only (403 for an operator), and only once passed', async () => {
    suite.verdict = passAll;
    const release = (await upload(testImage())).json();
    await settled(release.id);
    const refused = await call('POST', `/releases/${release.id}/revoke`);
    expect(refused.statusCode).toBe(403);
    const revoked = await call('POST', `/releases/${release.id}/revoke`, asAdmin);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().state).toBe('revoked');
    const ids = async (query: string) =>
      (await call('GET', `/releases?${query}`)).json().map((r: { id: string }) => r.id);
    expect(await ids('state=revoked')).toContain(release.id);
    expect(await ids('state=passed')).not.toContain(release.id);
    expect(await ids('hardwareId=sf-other-r9')).toEqual([]);
    expect(await ids('limit=1')).toEqual([(await api.cloud.services.releases.list())[0]!.id]);
    const twice = await call('POST', `/releases/${release.id}/revoke`, asAdmin);
    expect(twice.json().error.code).toBe('RELEASE_STATE');
    const entries = (await auditOf('release.revoke')).filter((e) => e.target?.id === release.id);
    expect(entries.map((e) => e.outcome)).toEqual(['failure', 'success', 'denied']);
  });

  it('offers no route that marks a release passed', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: object };
    const releasePaths = Object.keys(doc.paths).filter((p) => p.startsWith('/v1/admin/releases'));
    expect(releasePaths.sort()).toEqual([
      '/v1/admin/releases',
      '/v1/admin/releases/{id}',
      '/v1/admin/releases/{id}/report',
      '/v1/admin/releases/{id}/revoke',
      '/v1/admin/releases/{id}/test',
    ]);
  });
});

describe('/v1/admin/signing-keys', () => {
  it('lists keys for operators; an admin adds and revokes, and uploads signed by a revoked key are refused', async () => {
    const listed = (await call('GET', '/signing-keys')).json();
    expect(listed.map((k: { id: string }) => k.id)).toContain(
      firmware.keyHashOf(firmware.loadPublicKey(testKey.publicKeyPem)).toString('hex'),
    );
    const key = firmware.generateSigningKey();
    const add = (auth: Record<string, string>, publicKeyPem: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/admin/signing-keys',
        headers: auth,
        payload: { publicKeyPem, label: 'second key' },
      });
    expect((await add(asOperator, key.publicKeyPem)).statusCode).toBe(403);
    const added = await add(asAdmin, key.publicKeyPem);
    expect(added.statusCode, added.body).toBe(201);
    const id = added.json().id;
    expect(added.headers.location).toBe(`/v1/admin/signing-keys/${id}`);
    expect((await add(asAdmin, key.publicKeyPem)).json().error.code).toBe('KEY_EXISTS');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    const bad = await add(asAdmin, String(rsa));
    expect([bad.statusCode, bad.json().error.code]).toEqual([422, 'BAD_KEY']);

    const signed = testImage({ key });
    expect((await upload(signed)).statusCode).toBe(201);
    expect((await call('POST', `/signing-keys/${id}/revoke`)).statusCode).toBe(403);
    const revoked = await call('POST', `/signing-keys/${id}/revoke`, asAdmin);
    expect(revoked.json().revokedAt).toEqual(expect.any(String));
    const after = await upload(testImage({ key }));
    expect([after.statusCode, after.json().error.code]).toEqual([422, 'UNKNOWN_KEY']);
    const actions = [...(await auditOf('signing-key.add')), ...(await auditOf('signing-key.revoke'))];
    expect(actions.map((e) => `${e.target?.id ?? '-'} ${e.outcome}`)).toEqual(
      expect.arrayContaining([`${id} success`, `- denied`, `- failure`, `${id} denied`]),
    );
  });
});
