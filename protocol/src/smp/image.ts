/**
 * Image management group bodies (smp_groups/smp_group_1.rst): upload (id 1) and state (id 0).
 * Each command has a body builder and a parser for both ends, and the client gets whole-frame
 * builders. Parsers throw SmpError BAD_BODY on a malformed body; response parsers return the
 * device's error as { ok: false } instead.
 */
import { boolField, bytesField, isMap, required, textField, uintField, type SmpBody } from './cbor.ts';
import { Group, ImageCmd, Op } from './constants.ts';
import { readError, type Reply } from './errors.ts';
import { SmpError } from './smp-error.ts';
import { encodeSmp } from './frame.ts';
import type { ImageVersion } from '../firmware/version.ts';

export interface UploadRequest {
  off: number;
  data: Buffer;
  /** Total image length; required on the first chunk (off 0) only. */
  len?: number;
  /**
   * SHA-256 of the whole uploaded file (not the image's TLV hash); first chunk only. The device
   * uses it to tag the upload session, so an upload restarted with the same sha resumes.
   */
  sha?: Buffer;
  /** Refuse the upload unless the image is newer than the running one; first chunk only. */
  upgrade?: boolean;
  /** Image number, 0 when absent; first chunk only. */
  image?: number;
}

export interface UploadResponse {
  /** The offset the device expects next: bytes it holds so far. */
  off: number;
  /** On the last chunk: whether the upload matched the sha of the first. */
  match?: boolean;
}

/** The body of an upload request; field order is fixed so chunk sizes are predictable. */
export function uploadRequestBody(req: UploadRequest): SmpBody {
  const body: SmpBody = {};
  if (req.image !== undefined) body.image = req.image;
  if (req.len !== undefined) body.len = req.len;
  body.off = req.off;
  if (req.sha !== undefined) body.sha = req.sha;
  body.data = req.data;
  if (req.upgrade !== undefined) body.upgrade = req.upgrade;
  return body;
}

export function parseUploadRequest(body: SmpBody): UploadRequest {
  const req: UploadRequest = {
    off: required(uintField(body, 'off'), 'off'),
    data: required(bytesField(body, 'data'), 'data'),
  };
  const len = uintField(body, 'len');
  const sha = bytesField(body, 'sha');
  const upgrade = boolField(body, 'upgrade');
  const image = uintField(body, 'image');
  if (len !== undefined) req.len = len;
  if (sha !== undefined) req.sha = sha;
  if (upgrade !== undefined) req.upgrade = upgrade;
  if (image !== undefined) req.image = image;
  if (req.off === 0 && req.len === undefined) throw new SmpError('BAD_BODY', 'field "len" is required when "off" is 0');
  return req;
}

export function uploadResponseBody(rsp: UploadResponse): SmpBody {
  return rsp.match === undefined ? { off: rsp.off } : { off: rsp.off, match: rsp.match };
}

export function parseUploadResponse(body: SmpBody): Reply<UploadResponse> {
  const error = readError(body);
  if (error) return { ok: false, error };
  const value: UploadResponse = { off: required(uintField(body, 'off'), 'off') };
  const match = boolField(body, 'match');
  if (match !== undefined) value.match = match;
  return { ok: true, value };
}

/**
 * The "version" of an image state entry as Zephyr writes it (img_mgmt_util.c img_mgmt_ver_str):
 * "major.minor.revision", with ".build" appended only when the build number is not 0. Not the
 * "+build" text imgtool takes and image headers are shown in elsewhere.
 */
export function imageStateVersion(v: ImageVersion): string {
  const base = `${v.major}.${v.minor}.${v.revision}`;
  return v.build === 0 ? base : `${base}.${v.build}`;
}

/** One entry of "images" in the state response. Flags absent from the wire read as false. */
export interface ImageSlot {
  image?: number;
  slot: number;
  /** As imageStateVersion writes it. */
  version: string;
  /** The image's SHA256 TLV, which also names it in a state write. */
  hash: Buffer;
  bootable: boolean;
  pending: boolean;
  confirmed: boolean;
  active: boolean;
  permanent: boolean;
}

const FLAGS = ['bootable', 'pending', 'confirmed', 'active', 'permanent'] as const;

/** State read and state write share this response. False flags are left out, as Zephyr does. */
export function stateResponseBody(images: readonly ImageSlot[]): SmpBody {
  return {
    images: images.map((s) => {
      const entry: SmpBody = {};
      if (s.image !== undefined) entry.image = s.image;
      entry.slot = s.slot;
      entry.version = s.version;
      entry.hash = s.hash;
      for (const flag of FLAGS) if (s[flag]) entry[flag] = true;
      return entry;
    }),
  };
}

export function parseStateResponse(body: SmpBody): Reply<ImageSlot[]> {
  const error = readError(body);
  if (error) return { ok: false, error };
  const images = body.images;
  if (!Array.isArray(images)) throw new SmpError('BAD_BODY', 'field "images" must be an array');
  const value = images.map((entry): ImageSlot => {
    if (!isMap(entry)) throw new SmpError('BAD_BODY', 'an "images" entry is not a map');
    const slot: ImageSlot = {
      slot: required(uintField(entry, 'slot'), 'slot'),
      version: required(textField(entry, 'version'), 'version'),
      hash: bytesField(entry, 'hash') ?? Buffer.alloc(0),
      bootable: boolField(entry, 'bootable') ?? false,
      pending: boolField(entry, 'pending') ?? false,
      confirmed: boolField(entry, 'confirmed') ?? false,
      active: boolField(entry, 'active') ?? false,
      permanent: boolField(entry, 'permanent') ?? false,
    };
    const image = uintField(entry, 'image');
    if (image !== undefined) slot.image = image;
    return slot;
  });
  return { ok: true, value };
}

/**
 * State write: confirm false marks the image with `hash` for test (swap on next reset, revert
 * unless confirmed); confirm true makes it permanent, and without a hash confirms the running image.
 */
export interface StateWriteRequest {
  hash?: Buffer;
  confirm: boolean;
}

export function stateWriteBody(req: StateWriteRequest): SmpBody {
  return req.hash === undefined ? { confirm: req.confirm } : { hash: req.hash, confirm: req.confirm };
}

export function parseStateWrite(body: SmpBody): StateWriteRequest {
  const hash = bytesField(body, 'hash');
  const confirm = boolField(body, 'confirm') ?? false;
  if (!confirm && hash === undefined)
    throw new SmpError('BAD_BODY', 'field "hash" is required to mark an image for test');
  return hash === undefined ? { confirm } : { hash, confirm };
}

// Whole request frames for a client.

export function uploadFrame(req: UploadRequest, seq: number, version?: number): Buffer {
  return encodeSmp({
    op: Op.write,
    group: Group.image,
    id: ImageCmd.upload,
    seq,
    version,
    body: uploadRequestBody(req),
  });
}

export function stateReadFrame(seq: number, version?: number): Buffer {
  return encodeSmp({ op: Op.read, group: Group.image, id: ImageCmd.state, seq, version, body: {} });
}

export function stateWriteFrame(req: StateWriteRequest, seq: number, version?: number): Buffer {
  return encodeSmp({ op: Op.write, group: Group.image, id: ImageCmd.state, seq, version, body: stateWriteBody(req) });
}
