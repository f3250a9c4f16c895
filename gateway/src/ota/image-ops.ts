/**
 * The image and OS management requests an update needs (smp_group_1.rst, smp_group_0.rst), each
 * answered or refused: a switch's error becomes OtaError, with the verify code when the switch
 * refused the image itself (protocol `refusalCode`), DEVICE_REFUSED otherwise.
 */
import { smp } from '@switchfleet/protocol';
import { BleError } from '../errors.ts';
import { OtaError } from './errors.ts';
import type { SmpClient } from './smp-client.ts';

/** The switch's answer, or OtaError for its error and for a body that does not follow SMP. */
export function unwrap<T>(parse: () => smp.Reply<T>, what: string): T {
  let reply: smp.Reply<T>;
  try {
    reply = parse();
  } catch (err) {
    if (err instanceof smp.SmpError) throw new OtaError('PROTOCOL', `${what}: ${err.message}`, { cause: err });
    throw err;
  }
  if (reply.ok) return reply.value;
  const { error } = reply;
  const detail = `${what} refused: ${error.name}${error.rsn ? ` (${error.rsn})` : ''}`;
  const code =
    error.group === smp.Group.image && error.rc === smp.ImgMgmtErr.IMAGE_CONFIRMATION_DENIED
      ? 'CONFIRM_DENIED'
      : smp.refusalCode(error);
  throw new OtaError(code ?? 'DEVICE_REFUSED', detail);
}

export async function readImageState(client: SmpClient): Promise<smp.ImageSlot[]> {
  const frame = await client.request((seq) => smp.stateReadFrame(seq));
  return unwrap(() => smp.parseStateResponse(frame.body), 'image state read');
}

/**
 * The device's SMP buffers (OS group "MCUmgr parameters"): the size of one, the largest request
 * packet it can rebuild, and how many there are, the requests it can hold at once. Undefined when it
 * does not implement the command (MGMT_ERR_ENOTSUP): a stock Zephyr build without it still has buffers.
 */
export async function readBuffers(client: SmpClient): Promise<smp.McumgrParams | undefined> {
  const frame = await client.request((seq) => smp.paramsReadFrame(seq));
  return unwrap((): smp.Reply<smp.McumgrParams | undefined> => {
    const reply = smp.parseParamsResponse(frame.body);
    if (reply.ok) return reply;
    const unsupported = reply.error.group === null && reply.error.rc === smp.MgmtErr.ENOTSUP;
    return unsupported ? { ok: true, value: undefined } : reply;
  }, 'MCUmgr parameters');
}

/** Marks the image with this hash for test: the next reset swaps it in, unconfirmed. */
export async function markForTest(client: SmpClient, hash: Buffer): Promise<smp.ImageSlot[]> {
  const frame = await client.request((seq) => smp.stateWriteFrame({ hash, confirm: false }, seq));
  return unwrap(() => smp.parseStateResponse(frame.body), 'mark for test');
}

/** Confirms the running image (makes it permanent). */
export async function confirmRunning(client: SmpClient): Promise<smp.ImageSlot[]> {
  const frame = await client.request((seq) => smp.stateWriteFrame({ confirm: true }, seq));
  return unwrap(() => smp.parseStateResponse(frame.body), 'confirm');
}

/** Asks for a reset; the switch answers first, then reboots (and the link drops). */
export async function requestReset(client: SmpClient): Promise<void> {
  const frame = await client.request((seq) => smp.resetFrame(seq));
  unwrap(() => smp.parseResetResponse(frame.body), 'reset');
}

/**
 * Asks for a reset and resolves once the link drops as the switch goes down. If it has not dropped
 * within timeoutMs, onLate runs: it may cut the link itself (the drop then resolves this) or throw,
 * which rejects this with its error.
 */
export async function resetAndAwaitDrop(client: SmpClient, timeoutMs: number, onLate: () => void): Promise<void> {
  const link = client.link;
  const dropped = new Promise<void>((resolve) => {
    const off = link.onDisconnect(() => {
      off();
      resolve();
    });
  });
  try {
    await requestReset(client);
  } catch (err) {
    // The answer can be lost with the link as the switch goes down; the drop tells.
    if (!(err instanceof BleError)) throw err;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        onLate();
      } catch (err) {
        reject(err);
      }
    }, timeoutMs);
  });
  await Promise.race([dropped, late]).finally(() => clearTimeout(timer));
}
