/**
 * The errors a device returns in a response body
 * (smp_protocol.rst "Minimal response"): SMP version 2 puts group errors in
 * {err: {group, rc}}, SMP version 1 and SMP-level errors of version 2 use {rc, rsn?}.
 * An absent or zero rc means success.
 */
import { VERIFY_CODES, type VerifyCode } from '../firmware/verify.ts';
import { intField, isMap, required, textField, uintField } from './cbor.ts';
import { errorName, Group, ImgMgmtErr, MgmtErr } from './constants.ts';
import { SmpError } from './smp-error.ts';

/** An error reported by the device. group is null for an SMP-level (mcumgr_err_t) rc. */
export interface RemoteError {
  group: number | null;
  rc: number;
  /** e.g. "IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER". */
  name: string;
  rsn?: string;
}

export type Reply<T> = { ok: true; value: T } | { ok: false; error: RemoteError };

/**
 * The error a response body carries, or null for success. An rc or err of the wrong CBOR type (a
 * float rc, a text group) is SmpError BAD_BODY: read loosely, it would pass for success.
 */
export function readError(body: Record<string, unknown>): RemoteError | null {
  const rsn = textField(body, 'rsn');
  const extra = rsn === undefined ? {} : { rsn };
  if (body.err !== undefined) {
    if (!isMap(body.err)) throw new SmpError('BAD_BODY', 'field "err" must be a map');
    const group = required(uintField(body.err, 'group'), 'err.group');
    const rc = required(intField(body.err, 'rc'), 'err.rc');
    if (rc !== 0) return { group, rc, name: errorName(group, rc), ...extra };
  }
  const rc = intField(body, 'rc');
  if (rc !== undefined && rc !== 0) return { group: null, rc, name: errorName(null, rc), ...extra };
  return null;
}

/**
 * The body a server sends for an error, given the request's header version. With version 1 (SMP v2) a group error is {err: {group, rc}};
 * with version 0 it is translated to the nearest mcumgr_err_t, as Zephyr's img_mgmt does for
 * legacy clients. rsn is carried in both: a client that does not know it ignores it.
 */
export function errorBody(
  error: { group?: number; rc: number; rsn?: string },
  version: number,
): Record<string, unknown> {
  const rsn = error.rsn === undefined ? {} : { rsn: error.rsn };
  if (error.group === undefined) return { rc: error.rc, ...rsn };
  if (version >= 1) return { err: { group: error.group, rc: error.rc }, ...rsn };
  return { rc: legacyRc(error.group, error.rc), rsn: error.rsn ?? errorName(error.group, error.rc) };
}

function legacyRc(group: number, rc: number): number {
  if (group !== Group.image) return MgmtErr.EUNKNOWN;
  switch (rc) {
    case ImgMgmtErr.NO_IMAGE:
    case ImgMgmtErr.NO_TLVS:
      return MgmtErr.ENOENT;
    case ImgMgmtErr.NO_FREE_SLOT:
    case ImgMgmtErr.CURRENT_VERSION_IS_NEWER:
    case ImgMgmtErr.IMAGE_ALREADY_PENDING:
      return MgmtErr.EBADSTATE;
    case ImgMgmtErr.NO_FREE_MEMORY:
      return MgmtErr.ENOMEM;
    case ImgMgmtErr.INVALID_SLOT:
    case ImgMgmtErr.INVALID_PAGE_OFFSET:
    case ImgMgmtErr.INVALID_OFFSET:
    case ImgMgmtErr.INVALID_LENGTH:
    case ImgMgmtErr.INVALID_IMAGE_HEADER:
    case ImgMgmtErr.INVALID_HASH:
    case ImgMgmtErr.INVALID_FLASH_ADDRESS:
      return MgmtErr.EINVAL;
    default:
      return MgmtErr.EUNKNOWN;
  }
}

/**
 * How a switch refuses an image that failed verifyImage: the nearest img_mgmt rc, and an rsn that
 * starts with our verify code ("BAD_SIGNATURE: ...") so a gateway can report the exact cause.
 * img_mgmt has no codes for signatures or hardware (MCUboot checks those at boot), so those map
 * to INVALID_TLV, the record that failed.
 */
export function imageRefusal(code: VerifyCode, reason: string): { group: number; rc: number; rsn: string } {
  const rc: Record<VerifyCode, number> = {
    MALFORMED: ImgMgmtErr.INVALID_IMAGE_HEADER,
    BAD_HASH: ImgMgmtErr.INVALID_HASH,
    UNSIGNED: ImgMgmtErr.INVALID_TLV,
    NO_KEYHASH: ImgMgmtErr.INVALID_TLV,
    SIGNATURE_BEFORE_KEYHASH: ImgMgmtErr.INVALID_TLV,
    UNKNOWN_KEY: ImgMgmtErr.INVALID_TLV,
    BAD_SIGNATURE: ImgMgmtErr.INVALID_TLV,
    WRONG_HARDWARE: ImgMgmtErr.INVALID_TLV,
    DOWNGRADE: ImgMgmtErr.CURRENT_VERSION_IS_NEWER,
  };
  return { group: Group.image, rc: rc[code], rsn: `${code}: ${reason}` };
}

/**
 * The verify code behind a refusal made by imageRefusal, or null for any other error. A device
 * that sends no rsn (Zephyr in SMP version 2) is still understood for the one code img_mgmt has.
 */
export function refusalCode(error: RemoteError): VerifyCode | null {
  const prefix = error.rsn?.split(':', 1)[0];
  const named = VERIFY_CODES.find((c) => c === prefix);
  if (named) return named;
  return error.group === Group.image && error.rc === ImgMgmtErr.CURRENT_VERSION_IS_NEWER ? 'DOWNGRADE' : null;
}
