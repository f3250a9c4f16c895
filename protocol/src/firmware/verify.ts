/**
 * The one image check every part runs: the CLI before release, the gateway before it sends a
 * byte, the switch before it accepts an upload. Order follows MCUboot's bootutil_img_validate:
 * structure, then the hash over header + payload + protected TLVs, then the signature over that
 * hash by a trusted key; only then are the authenticated fields (hardware id, version) trusted.
 */
import { createHash, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { ImageError } from './errors.ts';
import { parseImage, type ParsedImage } from './image.ts';
import { keyHashOf, loadPublicKey } from './keys.ts';
import { compareVersions, formatVersion } from './version.ts';

export type VerifyCode =
  | 'MALFORMED'
  | 'BAD_HASH'
  | 'UNSIGNED'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'WRONG_HARDWARE'
  | 'DOWNGRADE';

export interface VerifyOptions {
  publicKeyPem?: string;
  /** Trusted keys; an image signed by any of them passes. Combined with publicKeyPem if both given. */
  publicKeys?: readonly string[];
  /** The hardware id of the device the image is meant for. */
  hardwareId?: string;
  /** The version running on the device; an image older than it is a DOWNGRADE. Equal is allowed. */
  runningVersion?: string;
  /** Anti-rollback floor: an image whose security counter is below it is a DOWNGRADE. */
  minSecurityCounter?: number;
}

export type VerifyResult =
  | { ok: true; image: ParsedImage; keyHash: Buffer }
  | {
      ok: false;
      code: VerifyCode;
      reason: string;
      /** The structural ImageError code when code is MALFORMED (TRUNCATED, BAD_MAGIC, ...). */
      detail?: string;
      /** Present when the image parsed, so a caller can log what it refused. */
      image?: ParsedImage;
    };

interface TrustedKey {
  key: KeyObject;
  hash: Buffer;
}

/**
 * Throws ImageError only for a caller's configuration error: a bad trusted-key PEM (BAD_KEY) or a
 * bad runningVersion (BAD_VERSION). Every defect of the image itself comes back as { ok: false }.
 */
export function verifyImage(buf: Buffer, opts: VerifyOptions): VerifyResult {
  const trusted: TrustedKey[] = [...(opts.publicKeyPem ? [opts.publicKeyPem] : []), ...(opts.publicKeys ?? [])].map(
    (pem) => {
      const key = loadPublicKey(pem);
      return { key, hash: keyHashOf(key) };
    },
  );
  let image: ParsedImage;
  try {
    image = parseImage(buf);
  } catch (err) {
    if (err instanceof ImageError) return { ok: false, code: 'MALFORMED', reason: err.message, detail: err.code };
    throw err;
  }
  const fail = (code: VerifyCode, reason: string): VerifyResult => ({ ok: false, code, reason, image });

  if (image.hash === null) return fail('MALFORMED', 'image has no SHA256 TLV');
  const actual = createHash('sha256').update(buf.subarray(0, image.hashedLength)).digest();
  if (!timingSafeEqual(actual, image.hash)) {
    return fail('BAD_HASH', `SHA-256 of header, payload and protected TLVs is ${hex(actual)}, image says ${hex(image.hash)}`);
  }
  if (image.signature === null) return fail('UNSIGNED', 'image carries no ED25519 signature TLV');
  if (trusted.length === 0) return fail('UNKNOWN_KEY', 'no trusted public key was given to verify against');

  // With a KEYHASH the signer is named and only that key may verify (MCUboot's bootutil_find_key);
  // without one, any trusted key that verifies is accepted.
  const candidates = image.keyHash === null ? trusted : trusted.filter((t) => t.hash.equals(image.keyHash!));
  if (candidates.length === 0) {
    return fail('UNKNOWN_KEY', `image is signed by key ${hex(image.keyHash!)}, which is not among the ${trusted.length} trusted key(s)`);
  }
  const signer = candidates.find((t) => verify(null, image.hash!, t.key, image.signature!));
  if (!signer) return fail('BAD_SIGNATURE', 'the ED25519 signature does not verify against the image hash');

  if (opts.hardwareId !== undefined && image.hardwareId !== opts.hardwareId) {
    return fail(
      'WRONG_HARDWARE',
      image.hardwareId === null
        ? `image carries no hardware id, device is ${opts.hardwareId}`
        : `image is built for hardware ${image.hardwareId}, device is ${opts.hardwareId}`,
    );
  }
  if (opts.runningVersion !== undefined && compareVersions(image.header.version, opts.runningVersion) < 0) {
    return fail('DOWNGRADE', `image version ${formatVersion(image.header.version)} is older than running ${opts.runningVersion}`);
  }
  if (opts.minSecurityCounter !== undefined && (image.securityCounter ?? 0) < opts.minSecurityCounter) {
    return fail('DOWNGRADE', `image security counter ${image.securityCounter ?? 'none'} is below ${opts.minSecurityCounter}`);
  }
  return { ok: true, image, keyHash: signer.hash };
}

function hex(b: Buffer): string {
  return b.toString('hex').slice(0, 16) + '…';
}
