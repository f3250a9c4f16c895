/**
 * A switch the gateway reaches but whose link drops at the same point of every upload: the job
 * gives up with `link_lost` after the configured number of lost updates without progress, instead
 * of retrying until its deadline. One that drops once resumes from its offset and succeeds.
 */
import type { Behaviour, SimFirmware } from '@switchfleet/firmware-sim';
import { afterEach, expect, it } from 'vitest';
import { image, startJobRig, type JobRig } from './rig.ts';

let rig: JobRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Ends the link (HCI 0x08, supervision timeout) whenever the switch holds `bytes` of an unfinished upload. */
function dropsUploadAt(fw: SimFirmware, bytes: number, times: number, dropped: { n: number }): Behaviour {
  return {
    name: `dropsUploadAt(${bytes})`,
    linkOpened: (ctx) => {
      const link = ctx.connection;
      const look = () => {
        if (ctx.connection !== link || dropped.n >= times) return;
        const upload = fw.flash.upload;
        if (upload && !upload.complete && upload.off >= bytes) {
          dropped.n += 1;
          ctx.disconnect(0x08);
        } else ctx.clock.setTimeout(look, 5);
      };
      ctx.clock.setTimeout(look, 5);
    },
  };
}

const SIZE = 24 * 1024;

it('fails link_lost after the limit of lost updates without progress, leaving the switch on its old image', async () => {
  const dropped = { n: 0 };
  rig = await startJobRig({
    linkBytesPerSecond: 16 * 1024,
    gateway: { updates: { linkLossLimit: 2 } },
    faults: (fw) => [dropsUploadAt(fw, 8 * 1024, Number.POSITIVE_INFINITY, dropped)],
  });
  const deadline = new Date(Date.now() + 100_000).toISOString();
  const job = await rig.send(0, image('1.1.0', { sizeBytes: SIZE }), { deadline });
  const result = await rig.resultOf(job.jobId, 110_000);
  expect(result).toMatchObject({ status: 'failed', reason: 'link_lost' });
  expect(result.detail).toMatch(/lost 2 times in a row without upload progress/);
  // Several links dropped (the ota module's own retries inside each lost update), none finished it.
  expect(dropped.n).toBeGreaterThan(2);
  expect(rig.firmwares[0]!.running).toMatchObject({ version: '1.0.0', confirmed: true });
}, 120_000);

it('resumes after one lost link and succeeds', async () => {
  const dropped = { n: 0 };
  rig = await startJobRig({
    linkBytesPerSecond: 16 * 1024,
    gateway: { updates: { linkLossLimit: 1 } },
    faults: (fw) => [dropsUploadAt(fw, 8 * 1024, 1, dropped)],
  });
  const job = await rig.send(0, image('1.1.0', { sizeBytes: SIZE }));
  const result = await rig.resultOf(job.jobId, 60_000);
  expect(dropped.n).toBe(1);
  expect(result).toMatchObject({ status: 'succeeded', version: '1.1.0' });
  // From the switch's offset, not from the start: fewer bytes than the image twice over.
  expect(result.bytesUploaded).toBeLessThan(2 * SIZE);
}, 90_000);
