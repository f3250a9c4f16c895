/**
 * Image upload to the switch's secondary slot (smp_group_1.rst "Image upload"), pipelined.
 *
 * The first request carries off 0, len and the file's sha, alone: a switch that already holds part
 * of this upload (named by the sha) answers with the offset it has, and the upload resumes there.
 * Then a window of requests goes out back to back, each chunk sized to fill an SMP packet of whole
 * ATT writes within the switch's receive buffer (uploadPacketSize, maxUploadChunk), so the link
 * never idles waiting for an answer and even the default MTU of 23 carries the upload. Each answer carries
 * the offset the switch expects next; when that is not the end of the chunk answered, the switch
 * dropped something (Zephyr drops a chunk at the wrong offset and names the one it wants), and the
 * upload goes back to that offset. Answers to requests sent before such a jump are stale: they
 * update the acknowledged offset but never trigger another jump, and a stale request that is never
 * answered (it was lost on the way) fails nothing. The window never exceeds the switch's SMP buffer
 * count (MCUmgr parameters buf_count), as each request in flight holds one of its buffers.
 */
import { smp } from '@switchfleet/protocol';
import { OtaError } from './errors.ts';
import { BleError } from '../errors.ts';
import { readBuffers, unwrap } from './image-ops.ts';
import type { SmpClient } from './smp-client.ts';

export interface UploadOptions {
  client: SmpClient;
  image: Buffer;
  /** SHA-256 of the whole image file: the upload session's tag on the switch. */
  sha: Buffer;
  /** Requests in flight at once. */
  window: number;
  /** SMP packet size of each request; by default from the link's MTU and the switch's buffer size. */
  packetSize?: number;
  /** Called with the switch's acknowledged offset whenever it grows. */
  onAck?: (off: number) => void;
  /** Called with the data bytes of every chunk written (resent chunks count again). */
  onSent?: (bytes: number) => void;
  signal?: AbortSignal;
  /**
   * SMP image upload's `upgrade` field on the first chunk: the switch refuses an image not newer
   * than the one it runs (IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER). Off for a rollback.
   */
  upgrade?: boolean;
}

export interface UploadOutcome {
  /** Where the switch stood when this upload began (> 0 when it resumed). */
  resumedAt: number;
  /** Whether the switch found the upload matching its sha (absent when it did not say). */
  match?: boolean;
}

export async function uploadImage(opts: UploadOptions): Promise<UploadOutcome> {
  const { client, image, sha } = opts;
  const len = image.length;
  const buffers = opts.packetSize === undefined ? await readBuffers(client) : undefined;
  const packet = opts.packetSize ?? smp.uploadPacketSize(client.mtu, buffers?.bufSize);
  // Each request holds one of the switch's SMP buffers from its arrival to its answer; one that
  // arrives when all are taken has nowhere to land. So no more go out at once than it states.
  const window = Math.max(1, Math.min(opts.window, buffers?.bufCount ?? opts.window, 64));

  const head = { off: 0, len, sha, ...(opts.upgrade ? { upgrade: true } : {}) };
  const firstSize = Math.min(len, smp.maxUploadChunk(packet, head));
  const first = await send(client, { ...head, data: image.subarray(0, firstSize) }, opts.onSent);
  let acked = first.off;
  let match = first.match;
  // A fresh upload answers with the end of the first chunk; a resumed one with what flash holds
  // (the one ambiguous case, a session stopped exactly there, reads as fresh).
  const resumedAt = acked === firstSize ? 0 : acked;
  opts.onAck?.(acked);

  let next = acked;
  let generation = 0;
  let failure: unknown;
  const inFlight = new Set<Promise<void>>();

  const launch = (off: number): number => {
    const size = Math.min(len - off, smp.maxUploadChunk(packet, { off }));
    const sentIn = generation;
    const request = send(client, { off, data: image.subarray(off, off + size) }, opts.onSent).then(
      (rsp) => {
        if (rsp.match !== undefined) match = rsp.match;
        if (rsp.off > acked) {
          acked = rsp.off;
          opts.onAck?.(acked);
        }
        if (sentIn === generation && rsp.off !== off + size) {
          generation += 1;
          next = rsp.off;
        }
      },
      (err: unknown) => {
        // Sent before the switch named an earlier offset: its bytes go again from there, so an
        // answer lost with it (a request the switch never got) costs nothing.
        if (sentIn !== generation && err instanceof BleError && err.code === 'BLE_TIMEOUT') return;
        failure ??= err;
      },
    );
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return off + size;
  };

  while (acked < len) {
    if (opts.signal?.aborted) throw new OtaError('ABORTED', 'update aborted during upload');
    while (failure === undefined && inFlight.size < window && next < len) next = launch(next);
    if (inFlight.size === 0) {
      if (failure !== undefined) break;
      // Everything answered yet the switch wants more (answers were stale): send from its offset.
      next = acked;
      continue;
    }
    await Promise.race(inFlight);
    if (failure !== undefined) {
      await Promise.allSettled(inFlight);
      break;
    }
  }
  if (failure !== undefined) throw failure;
  if (match === false) throw new OtaError('BAD_HASH', 'the switch holds bytes that do not match the upload sha');
  return match === undefined ? { resumedAt } : { resumedAt, match };
}

async function send(
  client: SmpClient,
  req: smp.UploadRequest,
  onSent?: (bytes: number) => void,
): Promise<smp.UploadResponse> {
  onSent?.(req.data.length);
  const frame = await client.request((seq) => smp.uploadFrame(req, seq));
  return unwrap(() => smp.parseUploadResponse(frame.body), `upload at offset ${req.off}`);
}
