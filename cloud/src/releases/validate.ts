/**
 * What an uploaded image must be before it becomes a release, checked by the verifier every other
 * part runs (MCUboot's order: structure, hash, signature; only then are the authenticated fields
 * read): signed by a trusted key, for a hardware model the fleet has. Pure: the database checks
 * (duplicate, newer version) come after, under a lock.
 */
import { createHash } from 'node:crypto';
import { firmware } from '@switchfleet/protocol';
import { ImageDefectError, ImageTooLargeError, type ImageDefectCode } from './errors.ts';

export interface CheckedImage {
  version: string;
  hardwareId: string;
  /** sha256 of the whole file, hex: the content address. */
  sha256: string;
  size: number;
  /** KEYHASH of the signer, hex. */
  keyId: string;
  /** IMAGE_TLV_SEC_CNT, or null when the image carries none. */
  securityCounter: number | null;
}

export interface ImageRules {
  trustedKeys: readonly string[];
  hardwareModels: readonly string[];
  maxBytes: number;
}

/** The verifier's codes, folded into the upload's: every way of not carrying a usable signature is BAD_SIGNATURE. */
const UPLOAD_CODE: Record<firmware.VerifyCode, ImageDefectCode> = {
  MALFORMED: 'MALFORMED',
  BAD_HASH: 'BAD_HASH',
  UNSIGNED: 'BAD_SIGNATURE',
  NO_KEYHASH: 'BAD_SIGNATURE',
  SIGNATURE_BEFORE_KEYHASH: 'BAD_SIGNATURE',
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  WRONG_HARDWARE: 'UNKNOWN_HARDWARE',
  DOWNGRADE: 'DOWNGRADE',
};

export function checkImage(bytes: Buffer, rules: ImageRules): CheckedImage {
  // Before parsing: an oversized upload costs no more than its length.
  if (bytes.length > rules.maxBytes) throw new ImageTooLargeError(rules.maxBytes);
  const result = firmware.verifyImage(bytes, { publicKeys: rules.trustedKeys });
  if (!result.ok) {
    const code = UPLOAD_CODE[result.code];
    const detail = result.detail ?? (code === result.code ? undefined : result.code);
    throw new ImageDefectError(code, result.reason, detail);
  }
  const { image } = result;
  if (image.hardwareId === null || !rules.hardwareModels.includes(image.hardwareId)) {
    const named = image.hardwareId === null ? 'names no hardware id' : `is built for hardware ${image.hardwareId}`;
    throw new ImageDefectError(
      'UNKNOWN_HARDWARE',
      `the image ${named}; the fleet's models are ${rules.hardwareModels.join(', ') || '(none)'}`,
    );
  }
  return {
    version: image.version,
    hardwareId: image.hardwareId,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    keyId: result.keyHash.toString('hex'),
    securityCounter: image.securityCounter,
  };
}
