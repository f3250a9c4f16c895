/** Update jobs and the household's radio: waiting, the deadline, the limit of updates at once, cancel, commands. */
import { afterEach, describe, expect, it } from 'vitest';
import { image, startJobRig, type JobRig } from './rig.ts';

let rig: JobRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** 64 KiB over a link of 48 KiB/s: an upload of over a second, long enough to act during it. */
const big = () => image('1.1.0', { sizeBytes: 64 * 1024 });
const SLOW = 48 * 1024;

describe('update jobs on a gateway', () => {
  it('wait while the switch is not heard and fail timeout at the deadline', async () => {
    rig = await startJobRig();
    const deadline = Date.now() + 1500;
    const job = await rig.send('c0ffee0000aa', image('1.1.0'), { deadline: new Date(deadline).toISOString() });
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ status: 'failed', reason: 'timeout' });
    expect(Date.parse(result.ts)).toBeGreaterThanOrEqual(deadline);
    const states = rig.progress.filter((p) => p.jobId === job.jobId).map((p) => p.waitReason ?? p.phase);
    expect(states).toEqual(['downloading', 'switch_not_heard']);
  });

  it("run one upload at a time by default: a second job waits queued until the first's image is staged", async () => {
    rig = await startJobRig({ switches: 2, linkBytesPerSecond: SLOW });
    const img = big();
    const a = await rig.send(0, img);
    await rig.waitFor('a uploading', () => rig!.progress.some((p) => p.jobId === a.jobId && p.phase === 'uploading'));
    const b = await rig.send(1, img);
    const ra = await rig.resultOf(a.jobId);
    const rb = await rig.resultOf(b.jobId);
    expect([ra.status, rb.status]).toEqual(['succeeded', 'succeeded']);
    const ofB = rig.progress.filter((p) => p.jobId === b.jobId);
    expect(ofB.some((p) => p.state === 'queued')).toBe(true);
    const bUploads = ofB.find((p) => p.phase === 'uploading')!;
    const ofA = rig.progress.filter((p) => p.jobId === a.jobId);
    expect(bUploads.seq).toBeGreaterThan(ofA.filter((p) => p.phase === 'uploading').at(-1)!.seq);
    expect(bUploads.seq).toBeGreaterThan(ofA.find((p) => p.phase === 'rebooting')!.seq);
  });

  it('cancel mid-upload: the job ends cancelled and the switch still runs and boots its old image', async () => {
    rig = await startJobRig({ linkBytesPerSecond: SLOW });
    const job = await rig.send(0, big());
    await rig.waitFor('bytes on the switch', () =>
      rig!.progress.some((p) => p.jobId === job.jobId && p.phase === 'uploading' && (p.bytes ?? 0) > 0),
    );
    await rig.cancel(0, job.jobId);
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ status: 'failed', reason: 'cancelled' });
    expect(result.bytesUploaded).toBeLessThan(64 * 1024);
    expect(rig.firmwares[0]!.running).toMatchObject({ version: '1.0.0', confirmed: true });
    // The switch still answers: a command after the cancel completes.
    const id = await rig.bench.command(rig.bench.switches[0]!, 'on');
    expect(await rig.bench.resultFor(id)).toMatchObject({ status: 'succeeded', state: { on: true } });
  });

  it('answer a command to the switch being updated at once with device_updating, while one to another switch completes', async () => {
    rig = await startJobRig({ switches: 2, linkBytesPerSecond: SLOW });
    const job = await rig.send(0, big());
    await rig.waitFor('uploading', () => rig!.progress.some((p) => p.jobId === job.jobId && p.phase === 'uploading'));
    const started = Date.now();
    const other = await rig.bench.command(rig.bench.switches[1]!, 'on');
    const busy = await rig.bench.command(rig.bench.switches[0]!, 'on');
    const refused = await rig.bench.resultFor(busy);
    expect(refused).toMatchObject({ status: 'failed', reason: 'device_updating' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await rig.bench.resultFor(other)).toMatchObject({ status: 'succeeded', state: { on: true } });
    expect(rig.results.some((r) => r.jobId === job.jobId)).toBe(false);
    expect(await rig.resultOf(job.jobId)).toMatchObject({ status: 'succeeded', version: '1.1.0' });
  });

  it('resume after a gateway restart mid-upload from the offset the switch holds', async () => {
    rig = await startJobRig({ linkBytesPerSecond: SLOW });
    const img = big();
    const job = await rig.send(0, img);
    await rig.waitFor('a third uploaded', () =>
      rig!.progress.some((p) => p.jobId === job.jobId && (p.bytes ?? 0) > img.length / 3 && p.phase === 'uploading'),
    );
    await rig.bench.restartGateway();
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ status: 'succeeded', version: '1.1.0' });
    expect(result.bytesUploaded).toBeLessThan((img.length * 2) / 3);
    expect(rig.http.requests).toHaveLength(1);
    expect(rig.firmwares[0]!.running).toMatchObject({ version: '1.1.0', confirmed: true });
  });

  it('refuse low_battery before touching a switch that reports less than the threshold', async () => {
    rig = await startJobRig({ battery: 20 });
    await rig.bench.reportFor(rig.bench.switches[0]!, (r) => r.battery === 20);
    const before = JSON.stringify(rig.firmwares[0]!.flash);
    const job = await rig.send(0, image('1.1.0'));
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ status: 'failed', reason: 'low_battery' });
    expect(result.detail).toMatch(/20 %.*30 %/);
    expect(JSON.stringify(rig.firmwares[0]!.flash)).toBe(before);
  });

  it('keep progress and the result in the outbox while the cloud link is down mid-upload, and send them when back', async () => {
    rig = await startJobRig({ linkBytesPerSecond: SLOW });
    const job = await rig.send(0, big());
    await rig.waitFor('uploading', () => rig!.progress.some((p) => p.jobId === job.jobId && p.phase === 'uploading'));
    await rig.bench.uplink.cut();
    const seen = rig.progress.length;
    await rig.waitFor('the switch on 1.1.0', () => rig!.firmwares[0]!.running?.version === '1.1.0', 30_000);
    await rig.waitFor('confirmed', () => rig!.firmwares[0]!.running?.confirmed === true);
    expect(rig.results.some((r) => r.jobId === job.jobId)).toBe(false);
    await rig.bench.uplink.restore();
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ status: 'succeeded', version: '1.1.0' });
    const after = rig.progress
      .slice(seen)
      .filter((p) => p.jobId === job.jobId)
      .map((p) => p.phase);
    expect(after).toEqual(expect.arrayContaining(['testing', 'rebooting', 'confirming']));
  });
});
