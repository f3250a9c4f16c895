/**
 * The steps of an update one at a time, over the gateway's own SMP client and image operations,
 * for cases that must look between them (is the new image on trial? does confirm hold?).
 */
import { createHash } from 'node:crypto';
import {
  BleError,
  confirmRunning,
  markForTest,
  OtaError,
  readImageState,
  resetAndAwaitDrop,
  SmpClient,
  uploadImage,
} from '@switchfleet/gateway';
import type { smp } from '@switchfleet/protocol';
import type { GatewayLab, LabSwitch } from './lab.ts';
import { SUITE_OTA_TIMEOUTS } from './lab.ts';
import { sleep } from './wait.ts';
import { CaseFailure } from './types.ts';

export type Slots = smp.ImageSlot[];

/** Runs fn with an SMP client on a pool connection to the switch, retrying while the link is not there yet. */
export async function withSmp<T>(
  lab: GatewayLab,
  target: LabSwitch,
  fn: (client: SmpClient) => Promise<T>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await lab.gateway.deps.pool.withConnection(target.address, 'ota', async (c) => {
        const client = await SmpClient.open(c.session.link, SUITE_OTA_TIMEOUTS.responseMs);
        try {
          return await fn(client);
        } finally {
          client.close();
        }
      });
    } catch (err) {
      if (!(err instanceof BleError) || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** `upgrade` sets SMP's flag on the first chunk: the switch then refuses an image not newer than its own. */
export function upload(client: SmpClient, image: Buffer, upgrade = false): Promise<unknown> {
  return uploadImage({ client, image, sha: createHash('sha256').update(image).digest(), window: 4, upgrade });
}

export { confirmRunning, markForTest, readImageState };

/** Asks for a reset and waits for the link to drop as the switch goes down. */
export async function resetAndWait(client: SmpClient): Promise<void> {
  await resetAndAwaitDrop(client, SUITE_OTA_TIMEOUTS.rebootMs, () => {
    throw new CaseFailure(`the switch did not go down within ${SUITE_OTA_TIMEOUTS.rebootMs} ms of its reset`);
  });
}

/** An OtaError's code, or null for any other error (which is rethrown). */
export function otaCode(err: unknown): string | null {
  if (err instanceof OtaError) return err.code;
  return null;
}

export function describeSlots(slots: Slots): string {
  return slots
    .map(
      (s) =>
        `slot ${s.slot}: ${s.version}${s.active ? ' active' : ''}${s.confirmed ? ' confirmed' : ''}${s.pending ? ' pending' : ''}`,
    )
    .join('; ');
}
