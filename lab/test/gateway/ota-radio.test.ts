/**
 * The gateway's update slot guards the radio's transfer, not the whole update: with one slot and two
 * switches, the second switch's upload runs while the first one's bootloader swaps (its link is down).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { image, startJobRig, type JobRig } from '../jobs/rig.ts';

let rig: JobRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('the update slot of a gateway', () => {
  it('lets the next upload start while the previous switch is still rebooting', async () => {
    // MCUboot's swap keeps the first switch dark for 3 s after its reset; a 16 KiB upload takes well under that.
    rig = await startJobRig({ switches: 2, swapMs: 3000, gateway: { updates: { maxConcurrent: 1 } } });
    const img = image('1.1.0');
    const a = await rig.send(0, img);
    const b = await rig.send(1, img);
    const [ra, rb] = [await rig.resultOf(a.jobId), await rig.resultOf(b.jobId)];
    expect([ra.status, rb.status]).toEqual(['succeeded', 'succeeded']);
    const of = (jobId: string, phase: string) => rig!.progress.filter((p) => p.jobId === jobId && p.phase === phase);
    // Either job may take the slot first; the other is the second.
    const aFirst = of(a.jobId, 'uploading')[0]!.seq < of(b.jobId, 'uploading')[0]!.seq;
    const [first, second] = aFirst ? [a, b] : [b, a];
    const rebooting = of(first.jobId, 'rebooting')[0]!;
    const confirming = of(first.jobId, 'confirming')[0]!;
    const secondUploads = of(second.jobId, 'uploading')[0]!;
    expect(secondUploads.seq).toBeGreaterThan(rebooting.seq);
    expect(secondUploads.seq).toBeLessThan(confirming.seq);
  });
});
