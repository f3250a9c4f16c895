/**
 * OS management group (smp_groups/smp_group_0.rst): system reset, id 5. The device answers before
 * it resets, so a client sees the response and then the link drop. MCUmgr parameters, id 6: the
 * size and number of the device's SMP buffers, the largest packet it can take.
 */
import { boolField, required, uintField, type SmpBody } from './cbor.ts';
import { Group, Op, OsCmd } from './constants.ts';
import { readError, type Reply } from './errors.ts';
import { encodeSmp } from './frame.ts';

export interface ResetRequest {
  /** Reset even if an application hook would refuse (Zephyr's "force"). */
  force?: boolean;
}

export function resetBody(req: ResetRequest = {}): SmpBody {
  return req.force === undefined ? {} : { force: req.force };
}

export function parseReset(body: SmpBody): ResetRequest {
  const force = boolField(body, 'force');
  return force === undefined ? {} : { force };
}

export function parseResetResponse(body: SmpBody): Reply<null> {
  const error = readError(body);
  return error ? { ok: false, error } : { ok: true, value: null };
}

export function resetFrame(seq: number, req: ResetRequest = {}, version?: number): Buffer {
  return encodeSmp({ op: Op.write, group: Group.os, id: OsCmd.reset, seq, version, body: resetBody(req) });
}

export interface McumgrParams {
  /** Bytes of one SMP buffer: the largest request packet the device can rebuild. */
  bufSize: number;
  bufCount: number;
}

export function paramsReadFrame(seq: number, version?: number): Buffer {
  return encodeSmp({ op: Op.read, group: Group.os, id: OsCmd.mcumgrParams, seq, version, body: {} });
}

export function parseParamsResponse(body: SmpBody): Reply<McumgrParams> {
  const error = readError(body);
  if (error) return { ok: false, error };
  return {
    ok: true,
    value: {
      bufSize: required(uintField(body, 'buf_size'), 'buf_size'),
      bufCount: required(uintField(body, 'buf_count'), 'buf_count'),
    },
  };
}
