/**
 * GET /v1/firmware/{sha256}: the signed URL of an update job is the only key (403 otherwise, never a
 * 5xx), and the bytes come with byte ranges per RFC 9110 §14 (206 + Content-Range, 416 past the end).
 */
import { testImage, testKey } from '@switchfleet/testkit/releases';
import { describe, expect, it } from 'vitest';
import { firmwarePath } from '@switchfleet/cloud';
import { useApi } from './support.ts';

const rig = useApi({ cloud: { initialTrustedKeys: [testKey.publicKeyPem] } });

async function stored() {
  const image = testImage({ payloadBytes: 4096 });
  const release = await rig.cloud.services.releases.upload(image);
  return { image, sha256: release.sha256 };
}

function signedUrl(sha256: string, opts: { gw?: string; expiresAt?: Date } = {}) {
  const q = rig.cloud.services.downloadSigner.sign(
    firmwarePath(sha256),
    opts.gw ?? 'gw-1',
    opts.expiresAt ?? new Date(Date.now() + 60_000),
  );
  return `${firmwarePath(sha256)}?gw=${q.gw}&exp=${q.exp}&sig=${q.sig}`;
}

describe('the firmware download route', () => {
  it('answers the whole image with its ETag and Accept-Ranges', async () => {
    const { image, sha256 } = await stored();
    const r = await rig.app.inject({ method: 'GET', url: signedUrl(sha256) });
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.equals(image)).toBe(true);
    expect(r.headers).toMatchObject({ 'accept-ranges': 'bytes', etag: `"${sha256}"` });
    expect(r.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers byte ranges with 206 and Content-Range, and 416 past the end', async () => {
    const { image, sha256 } = await stored();
    const url = signedUrl(sha256);
    const mid = await rig.app.inject({ method: 'GET', url, headers: { range: 'bytes=10-19' } });
    expect(mid.statusCode).toBe(206);
    expect(mid.headers['content-range']).toBe(`bytes 10-19/${image.length}`);
    expect(mid.rawPayload.equals(image.subarray(10, 20))).toBe(true);
    const resume = await rig.app.inject({ method: 'GET', url, headers: { range: 'bytes=100-' } });
    expect(resume.statusCode).toBe(206);
    expect(resume.rawPayload.equals(image.subarray(100))).toBe(true);
    const suffix = await rig.app.inject({ method: 'GET', url, headers: { range: 'bytes=-5' } });
    expect(suffix.rawPayload.equals(image.subarray(image.length - 5))).toBe(true);
    const past = await rig.app.inject({ method: 'GET', url, headers: { range: `bytes=${image.length}-` } });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${image.length}`);
    expect(past.json().error.code).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('refuses a wrong, foreign, tampered or expired signature with 403 and an unknown image with 404', async () => {
    const { sha256 } = await stored();
    const other = await stored();
    const good = signedUrl(sha256);
    const refused = [
      firmwarePath(sha256),
      good.replace(/sig=./, (m) => (m.endsWith('A') ? 'sig=B' : 'sig=A')),
      good.replace('gw=gw-1', 'gw=gw-2'),
      good.replace(/exp=\d+/, (m) => `exp=${Number(m.slice(4)) + 60}`),
      signedUrl(other.sha256).replace(other.sha256, sha256),
      signedUrl(sha256, { expiresAt: new Date(Date.now() - 1000) }),
      `${firmwarePath(sha256)}?gw=gw-1&exp=notanumber&sig=%00`,
    ];
    for (const url of refused) {
      const r = await rig.app.inject({ method: 'GET', url });
      expect({ url, status: r.statusCode }).toEqual({ url, status: 403 });
      expect(r.json().error.code).toBe('DOWNLOAD_REFUSED');
    }
    const unknown = 'a'.repeat(64);
    expect((await rig.app.inject({ method: 'GET', url: signedUrl(unknown) })).statusCode).toBe(404);
    expect((await rig.app.inject({ method: 'GET', url: '/v1/firmware/not-a-hash' })).statusCode).toBe(404);
  });
});
