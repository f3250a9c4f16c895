/** Getting a job's image: Range resume, one download for many switches, the checks before the switch, refusals. */
import { afterEach, describe, expect, it } from 'vitest';
import { image, sha256, startJobRig, stranger, type JobRig } from './rig.ts';

let rig: JobRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('the image of an update job', () => {
  it('resumes a cut download with a Range request from the bytes it holds', async () => {
    rig = await startJobRig();
    const img = image('1.1.0');
    rig.http.cutNextAfter = 6000;
    const job = await rig.send(0, img);
    expect(await rig.resultOf(job.jobId)).toMatchObject({ status: 'succeeded', version: '1.1.0' });
    expect(rig.http.requests.map((r) => r.range)).toEqual([undefined, 'bytes=6000-']);
  });

  it('cuts a download that stalls and resumes it with a Range request', async () => {
    rig = await startJobRig({ gateway: { updates: { downloadIdleMs: 300 } } });
    rig.http.stallNextAfter = 5000;
    const job = await rig.send(0, image('1.1.0'));
    expect(await rig.resultOf(job.jobId)).toMatchObject({ status: 'succeeded', version: '1.1.0' });
    expect(rig.http.requests.map((r) => r.range)).toEqual([undefined, 'bytes=5000-']);
  });

  it('downloads an image once for two switches and keeps it by its sha256', async () => {
    rig = await startJobRig({ switches: 2 });
    const img = image('1.1.0');
    const a = await rig.send(0, img);
    const b = await rig.send(1, img);
    expect(await rig.resultOf(a.jobId)).toMatchObject({ status: 'succeeded' });
    expect(await rig.resultOf(b.jobId)).toMatchObject({ status: 'succeeded' });
    expect(rig.http.requests).toHaveLength(1);
    expect(rig.firmwares.map((f) => f.running?.version)).toEqual(['1.1.0', '1.1.0']);
  });

  it('fails verify_failed with the switch untouched when the bytes are not the job sha256', async () => {
    rig = await startJobRig();
    const good = image('1.1.0');
    const tampered = Buffer.from(good);
    tampered[tampered.length - 100] = 0xff - good[good.length - 100]!;
    const before = JSON.stringify(rig.firmwares[0]!.flash);
    const job = await rig.send(0, good);
    rig.http.files.set(`/images/${sha256(good)}`, tampered);
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ status: 'failed', reason: 'verify_failed' });
    expect(result.detail).toMatch(/sha256/);
    expect(rig.firmwares[0]!.received.imageBytes).toBe(0);
    expect(JSON.stringify(rig.firmwares[0]!.flash)).toBe(before);
    expect(rig.firmwares[0]!.running).toMatchObject({ version: '1.0.0', confirmed: true });
  });

  it('fails verify_failed with the switch untouched when the image is signed by a key the gateway does not trust', async () => {
    rig = await startJobRig();
    const before = JSON.stringify(rig.firmwares[0]!.flash);
    const job = await rig.send(0, image('1.1.0', { privateKeyPem: stranger.privateKeyPem }));
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ status: 'failed', reason: 'verify_failed' });
    expect(rig.firmwares[0]!.received.imageBytes).toBe(0);
    expect(JSON.stringify(rig.firmwares[0]!.flash)).toBe(before);
  });

  it('refuses a URL past its expiry without asking the server, and a 401 as download_refused', async () => {
    rig = await startJobRig();
    const expired = await rig.send(0, image('1.1.0'), { urlExpiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(await rig.resultOf(expired.jobId)).toMatchObject({ status: 'failed', reason: 'url_expired' });
    expect(rig.http.requests).toHaveLength(0);
    rig.http.token = 'right';
    const img = image('1.1.0');
    const wrong = await rig.send(0, img, { url: rig.http.url(`/images/${sha256(img)}`, 'wrong') });
    const result = await rig.resultOf(wrong.jobId);
    expect(result).toMatchObject({ status: 'failed', reason: 'download_refused' });
    expect(result.detail).toMatch(/401/);
    expect(rig.firmwares[0]!.received.imageBytes).toBe(0);
  });
});
