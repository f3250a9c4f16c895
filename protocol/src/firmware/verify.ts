/**
 * The one image check every part runs: the CLI before release, the gateway before it sends a
 * byte, the switch before it accepts an upload, the simulated MCUboot before it boots. Order
 * follows MCUboot's bootutil_img_validate: structure, then the hash over header + payload +
 * protected TLVs, then the signatures over that hash (signatures.ts); only then are the
 * authenticated fields (hardware id, version, security counter) trusted.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ImageError } from './errors.ts';
import { parseImage, type ParsedImage } from './image.ts';
import { keyHashOf, loadPublicKey } from './keys.ts';
import { walkSignatures, type TrustedKey } from './signatures.ts';
import { compareVersions, formatVersion } from './version.ts';

export type VerifyCode =
  | 'MALFORMED'
  | 'BAD_HASH'
  | 'UNSIGNED'
  /** A signature, but no KEYHASH TLV at all: MCUboot cannot tell which key to verify it with. */
  | 'NO_KEYHASH'
  /** KEYHASH TLVs, but none before a signature: MCUboot reads the key hash first and skips such a signature. */
  | 'SIGNATURE_BEFORE_KEYHASH'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'WRONG_HARDWARE'
  /** Older than the running version, or a security counter below the device's (or none when one is kept). */
  | 'DOWNGRADE';

/** Every code, in the order verifyImage checks them. */
export const VERIFY_CODES: readonly VerifyCode[] = [
  'MALFORMED',
  'BAD_HASH',
  'UNSIGNED',
  'NO_KEYHASH',
  'SIGNATURE_BEFORE_KEYHASH',
  'UNKNOWN_KEY',
  'BAD_SIGNATURE',
  'WRONG_HARDWARE',
  'DOWNGRADE',
];

export interface VerifyOptions {
  publicKeyPem?: string;
  /** Trusted keys; an image signed by any of them passes. Combined with publicKeyPem if both given. */
  publicKeys?: readonly string[];
  /** The hardware id of the device the image is meant for. */
  hardwareId?: string;
  /** The version running on the device; an image older than it is a DOWNGRADE. Equal is allowed. */
  runningVersion?: string;
  /**
   * The device's stored security counter (MCUboot MCUBOOT_HW_ROLLBACK_PROT): an image whose
   * IMAGE_TLV_SEC_CNT is below it, or that carries none, is a DOWNGRADE.
   */
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
    return fail(
      'BAD_HASH',
      `SHA-256 of header, payload and protected TLVs is ${hex(actual)}, image says ${hex(image.hash)}`,
    );
  }
  const walk = walkSignatures([...image.protectedTlvs, ...image.unprotectedTlvs], trusted, actual);
  if (walk.signatures === 0) return fail('UNSIGNED', 'image carries no ED25519 signature TLV');
  if (walk.keyHashes === 0) {
    return fail('NO_KEYHASH', 'image carries a signature but no KEYHASH TLV naming the key that made it');
  }
  if (walk.named === 0) {
    const reason = 'no signature TLV follows a KEYHASH TLV: each signature must come after the hash of its key';
    return fail('SIGNATURE_BEFORE_KEYHASH', reason);
  }
  if (trusted.length === 0) return fail('UNKNOWN_KEY', 'no trusted public key was given to verify against');
  if (walk.last === null) {
    const named = walk.unknownKeys.map(hex).join(', ');
    return fail('UNKNOWN_KEY', `image is signed by key ${named}, not among the ${trusted.length} trusted key(s)`);
  }
  if (!walk.last.valid) {
    const after = hex(walk.last.key.hash);
    return fail('BAD_SIGNATURE', `the ED25519 signature after key hash ${after} does not verify against the hash`);
  }
  const signer = walk.last.key;

  if (opts.hardwareId !== undefined && image.hardwareId !== opts.hardwareId) {
    return fail(
      'WRONG_HARDWARE',
      image.hardwareId === null
        ? `image carries no hardware id, device is ${opts.hardwareId}`
        : `image is built for hardware ${image.hardwareId}, device is ${opts.hardwareId}`,
    );
  }
  if (opts.runningVersion !== undefined && compareVersions(image.header.version, opts.runningVersion) < 0) {
    return fail(
      'DOWNGRADE',
      `image version ${formatVersion(image.header.version)} is older than running ${opts.runningVersion}`,
    );
  }
  if (opts.minSecurityCounter !== undefined) {
    // With rollback protection on, bootutil_img_validate requires IMAGE_TLV_SEC_CNT and refuses a
    // value below the stored counter; an equal one passes (design.md "Hardware-based downgrade prevention").
    if (image.securityCounter === null) {
      const stored = opts.minSecurityCounter;
      return fail('DOWNGRADE', `image carries no security counter TLV; the device keeps counter ${stored}`);
    }
    if (image.securityCounter < opts.minSecurityCounter) {
      const below = `image security counter ${image.securityCounter} is below the device's ${opts.minSecurityCounter}`;
      return fail('DOWNGRADE', below);
    }
  }
  return { ok: true, image, keyHash: signer.hash };
}

function hex(b: Buffer): string {
  return `${b.toString('hex').slice(0, 16)}…`;
}
