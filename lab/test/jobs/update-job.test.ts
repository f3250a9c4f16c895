/** An update job from the cloud, end to end under the production gateway over the simulated radio. */
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdatePhase } from '@switchfleet/protocol';
import { image, startJobRig, type JobRig } from './rig.ts';

let rig: JobRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const PHASES: UpdatePhase[] = ['downloading', 'uploading', 'testing', 'rebooting', 'confirming'];

describe('an update job', () => {
  it('downloads, checks and installs the image, reports its phases in order and succeeds on the version the switch runs', async () => {
    rig = await startJobRig();
    const img = image('1.1.0');
    const job = await rig.send(0, img);
    const result = await rig.resultOf(job.jobId);
    expect(result).toMatchObject({ jobId: job.jobId, status: 'succeeded', version: '1.1.0' });
    expect(rig.firmwares[0]!.running).toMatchObject({ version: '1.1.0', confirmed: true });
    const phases = rig.progress.filter((p) => p.jobId === job.jobId && p.phase).map((p) => p.phase!);
    const firsts = PHASES.filter((p) => phases.includes(p));
    expect(firsts).toEqual(PHASES);
    // In order: no phase goes back to an earlier one.
    const ranks = phases.map((p) => PHASES.indexOf(p));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // Progress and result share the gateway's sequence: progress before its result.
    const last = rig.progress.filter((p) => p.jobId === job.jobId).at(-1)!;
    expect(last.seq).toBeLessThan(result.seq);
  });

  it('runs a redelivered job id once and answers a job that ended with its stored result', async () => {
    rig = await startJobRig();
    const img = image('1.1.0');
    const job = await rig.send(0, img);
    await rig.send(0, img, job);
    const result = await rig.resultOf(job.jobId);
    expect(result.status).toBe('succeeded');
    await rig.send(0, img, job);
    await rig.waitFor('the repeated result', () => rig!.results.filter((r) => r.jobId === job.jobId).length === 2);
    const [first, again] = rig.results.filter((r) => r.jobId === job.jobId);
    expect(again).toEqual(first);
    expect(rig.http.requests).toHaveLength(1);
    expect(rig.progress.filter((p) => p.jobId === job.jobId && p.phase === 'downloading').length).toBeGreaterThan(0);
    expect(rig.progress.filter((p) => p.jobId === job.jobId && p.phase === 'testing')).toHaveLength(1);
  });
});
