/**
 * The OTA throughput figure for `npm run bench -- ota`: one image uploaded into a switch's
 * secondary slot through the same pipelined SMP upload an update uses, timed by the caller's
 * clock (the simulator's virtual clock gives the link's own time, free of machine noise). Only
 * the upload: no test, no reset, so the figure compares with the link's configured throughput.
 */
import type { BleLink } from '../ble/port.ts';
import { createHash } from 'node:crypto';
import { SmpClient } from './smp-client.ts';
import { OTA_DEFAULTS } from './options.ts';
import { uploadImage } from './upload.ts';

export interface UploadMeasurement {
  /** Image bytes the switch acknowledged during the measurement. */
  bytes: number;
  elapsedMs: number;
  bytesPerSecond: number;
  /** ATT_MTU of the link the upload ran on. */
  mtu: number;
}

export interface MeasureUploadOptions {
  /** A connected link to a switch with an SMP service (e.g. a pool connection's session.link). */
  link: BleLink;
  /** A signed image the switch accepts (it verifies the upload when the last byte lands). */
  image: Buffer;
  now: () => number;
  window?: number;
  responseMs?: number;
}

export async function measureUpload(options: MeasureUploadOptions): Promise<UploadMeasurement> {
  const client = await SmpClient.open(options.link, options.responseMs ?? OTA_DEFAULTS.responseMs);
  const sha = createHash('sha256').update(options.image).digest();
  let first = 0;
  let last = 0;
  const started = options.now();
  try {
    const outcome = await uploadImage({
      client,
      image: options.image,
      sha,
      window: options.window ?? OTA_DEFAULTS.window,
      onAck: (off) => {
        last = off;
      },
    });
    first = outcome.resumedAt;
  } finally {
    client.close();
  }
  const elapsedMs = options.now() - started;
  const bytes = last - first;
  return {
    bytes,
    elapsedMs,
    bytesPerSecond: elapsedMs > 0 ? (bytes * 1000) / elapsedMs : Number.POSITIVE_INFINITY,
    mtu: options.link.mtu,
  };
}
