/**
 * The gateway's check of an image before it sends a byte of it: structure and hash, a signature by
 * one of the configured trusted keys, and, once the switch's Device Information is read, its
 * hardware id and no downgrade from the version it runs. The same verifyImage the switch and the
 * CLI run, so all three agree on what a good image is.
 */
import { firmware } from '@switchfleet/protocol';
import { OtaError } from './errors.ts';

export interface ImageCheck {
  /** SPKI PEM public keys; the image must be signed by one of them. */
  trustedKeys: readonly string[];
  /** The switch's hardware id (Device Information, Hardware Revision String). */
  hardwareId?: string;
  /** The version the switch runs (Device Information, Firmware Revision String). */
  runningVersion?: string;
}

/** The parsed image when it passes; OtaError with the verify code when it does not. */
export function checkImage(image: Buffer, check: ImageCheck): firmware.ParsedImage {
  let result: firmware.VerifyResult;
  try {
    result = firmware.verifyImage(image, {
      publicKeys: check.trustedKeys,
      ...(check.hardwareId === undefined ? {} : { hardwareId: check.hardwareId }),
      ...(check.runningVersion === undefined ? {} : { runningVersion: check.runningVersion }),
    });
  } catch (err) {
    if (!(err instanceof firmware.ImageError)) throw err;
    if (err.code === 'BAD_KEY') throw new OtaError('BAD_TRUSTED_KEY', `trusted key: ${err.message}`, { cause: err });
    throw new OtaError(
      'IDENTITY_UNAVAILABLE',
      `the switch reports firmware "${check.runningVersion}": ${err.message}`,
      { cause: err },
    );
  }
  if (!result.ok) throw new OtaError(result.code, `image refused: ${result.reason}`);
  return result.image;
}
