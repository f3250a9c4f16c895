/**
 * What every case works from: the image under test, the trusted keys, and the previous release the
 * update cases start from.
 *
 * The previous release is the one given; failing that, a baseline 0.0.x image is built for the
 * same hardware and signed with the given private key, whose public half must already be trusted.
 * The suite never invents a key of its own to trust: a switch in the field trusts exactly the
 * release keys, and an update the suite proves must be one such a switch would accept.
 */
import * as firmware from '@switchfleet/protocol/firmware';
import { buildSimImage } from '@switchfleet/firmware-sim';
import { SuiteError, type ReleaseSuiteOptions, type SuiteReport } from './types.ts';

/** The board a switch is made as when the image names none (it then fails image-verifies anyway). */
const FALLBACK_HARDWARE_ID = 'sf-sw1-r1';
const BASELINE_PAYLOAD_BYTES = 8 * 1024;

export interface Release {
  bytes: Buffer;
  parsed: firmware.ParsedImage;
  version: string;
  hash: Buffer;
}

export interface SuiteInputs {
  image: Release;
  /** The hardware id switches are made with: the image's own. */
  hardwareId: string;
  trustedKeys: string[];
  previous: (Release & { source: 'given' | 'baseline' }) | null;
  /** Why there is no previous release, when there is none. */
  previousMissing?: string;
}

export function prepareInputs(options: ReleaseSuiteOptions): SuiteInputs {
  const trustedKeys = [...(options.publicKeyPem ? [options.publicKeyPem] : []), ...(options.publicKeys ?? [])];
  if (trustedKeys.length === 0)
    throw new SuiteError('NO_TRUSTED_KEY', 'the suite needs the public key releases are signed with');
  for (const pem of trustedKeys) {
    try {
      firmware.loadPublicKey(pem);
    } catch (err) {
      throw new SuiteError('BAD_KEY', `trusted key: ${(err as Error).message}`);
    }
  }
  const image = release(options.image, 'IMAGE_UNREADABLE', 'image');
  const hardwareId = image.parsed.hardwareId ?? FALLBACK_HARDWARE_ID;
  if (options.previousImage) {
    return {
      image,
      hardwareId,
      trustedKeys,
      previous: { ...release(options.previousImage, 'PREVIOUS_UNREADABLE', 'previous image'), source: 'given' },
    };
  }
  if (options.privateKeyPem === undefined) {
    return {
      image,
      hardwareId,
      trustedKeys,
      previous: null,
      previousMissing:
        'no previous release to update from: give the previous image (--previous) or the signing key (--key) to build a baseline',
    };
  }
  const version = baselineVersion(image.version);
  if (version === null) {
    return {
      image,
      hardwareId,
      trustedKeys,
      previous: null,
      previousMissing: `no baseline can be older than ${image.version}: give the previous image`,
    };
  }
  let publicPem: string;
  try {
    publicPem = firmware.publicKeyPemOf(options.privateKeyPem);
  } catch (err) {
    throw new SuiteError('BAD_KEY', `signing key: ${(err as Error).message}`);
  }
  const wanted = keyHash(publicPem);
  if (!trustedKeys.some((pem) => keyHash(pem).equals(wanted))) {
    throw new SuiteError(
      'KEY_NOT_TRUSTED',
      'the signing key given for the baseline is not one of the trusted public keys',
    );
  }
  const bytes = buildSimImage({
    version,
    hardwareId,
    privateKeyPem: options.privateKeyPem,
    sizeBytes: BASELINE_PAYLOAD_BYTES,
  });
  return {
    image,
    hardwareId,
    trustedKeys,
    previous: { ...release(bytes, 'PREVIOUS_UNREADABLE', 'baseline'), source: 'baseline' },
  };
}

/** The report's description of the inputs. */
export function describeInputs(inputs: SuiteInputs): Pick<SuiteReport, 'image' | 'previous'> {
  const p = inputs.previous;
  return {
    image: {
      version: inputs.image.version,
      hardwareId: inputs.image.parsed.hardwareId,
      hash: inputs.image.hash.toString('hex'),
    },
    previous: p ? { version: p.version, hash: p.hash.toString('hex'), source: p.source } : null,
  };
}

/** 0.0.1, or 0.0.0 for an image at 0.0.1; null when nothing is older. */
export function baselineVersion(imageVersion: string): string | null {
  for (const candidate of ['0.0.1', '0.0.0']) {
    if (firmware.compareVersions(candidate, imageVersion) < 0) return candidate;
  }
  return null;
}

function release(bytes: Buffer, code: 'IMAGE_UNREADABLE' | 'PREVIOUS_UNREADABLE', what: string): Release {
  let parsed: firmware.ParsedImage;
  try {
    parsed = firmware.parseImage(bytes);
  } catch (err) {
    throw new SuiteError(code, `${what} is not an MCUboot image: ${(err as Error).message}`);
  }
  if (!parsed.hash) throw new SuiteError(code, `${what} carries no SHA256 TLV`);
  return { bytes, parsed, version: parsed.version, hash: parsed.hash };
}

function keyHash(pem: string): Buffer {
  return firmware.keyHashOf(firmware.loadPublicKey(pem));
}
