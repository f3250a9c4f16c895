/**
 * A signed simulated firmware image in one call: the program payload (faults, padding) inside an
 * MCUboot image from @switchfleet/protocol. The CLI's `firmware build`, the release suite and
 * tests that need a faulty release all build images here.
 */
// The firmware module alone: the package root also loads the MQTT schemas, which a CLI run does not need.
import * as firmware from '@switchfleet/protocol/firmware';
import type { Fault } from './faults.ts';
import { decodeProgram, encodeProgram, type Program } from './program.ts';

export interface SimImageOptions {
  version: string;
  hardwareId: string;
  /** Ed25519 PKCS#8 PEM; omit for an unsigned image. */
  privateKeyPem?: string;
  faults?: readonly (Fault | string)[];
  /** Payload size (program plus filler); the image adds its header and TLVs, about 200 bytes. */
  sizeBytes?: number;
  headerSize?: number;
  securityCounter?: number;
}

export function buildSimImage(opts: SimImageOptions): Buffer {
  const payload = encodeProgram({
    version: opts.version,
    hardwareId: opts.hardwareId,
    faults: opts.faults ?? [],
    ...(opts.sizeBytes === undefined ? {} : { sizeBytes: opts.sizeBytes }),
  });
  return firmware.buildImage({
    version: opts.version,
    hardwareId: opts.hardwareId,
    payload,
    ...(opts.privateKeyPem === undefined ? {} : { privateKeyPem: opts.privateKeyPem }),
    ...(opts.headerSize === undefined ? {} : { headerSize: opts.headerSize }),
    ...(opts.securityCounter === undefined ? {} : { securityCounter: opts.securityCounter }),
  });
}

/**
 * Parses an image and its program without checking hash or signature (run firmware.verifyImage
 * for that). Throws ImageError for a malformed image, ProgramError for a payload that is not ours.
 */
export function readSimImage(buf: Buffer): { image: firmware.ParsedImage; program: Program } {
  const image = firmware.parseImage(buf);
  return { image, program: decodeProgram(image.payload) };
}
