/**
 * Building and parsing images in the MCUboot layout (docs/design.md "Image Format"):
 *
 *   header (ih_hdr_size bytes, 32 used) | payload (ih_img_size) |
 *   protected TLV area (ih_protect_tlv_size, magic 0x6908) | unprotected TLV area (magic 0x6907)
 *
 * The SHA-256 TLV covers header + payload + protected TLV area, as MCUboot hashes it, so the
 * hardware id and security counter in the protected area are authenticated by the signature.
 * After the TLVs may come imgtool's `--pad` padding and image trailer (padding.ts).
 * Parsing checks structure only; verify.ts checks hash, signatures, hardware and version.
 */
import { createHash, sign } from 'node:crypto';
import { ImageError } from './errors.ts';
import { keyHashOf, loadPrivateKey } from './keys.ts';
import { readPadding, type ImagePadding } from './padding.ts';
import {
  decodeTlvArea,
  encodeTlvArea,
  single,
  TLV_INFO_MAGIC,
  TLV_PROT_INFO_MAGIC,
  TlvType,
  UNPROTECTED_TYPES,
  type Tlv,
} from './tlv.ts';
import { formatVersion, parseVersion, securityCounterOf, type ImageVersion } from './version.ts';

export const IMAGE_MAGIC = 0x96f3b83d;
export const IMAGE_HEADER_SIZE = 32;
/** Header flags (bootutil/image.h IMAGE_F_*); we set none, parsing reports them as found. */
export const ImageFlag = { pic: 0x01, encryptedAes128: 0x04, nonBootable: 0x10, ramLoad: 0x20 } as const;

const HARDWARE_ID_RE = /^[\x21-\x7e]{1,64}$/;

export interface ImageHeader {
  magic: number;
  loadAddr: number;
  hdrSize: number;
  protectTlvSize: number;
  imgSize: number;
  flags: number;
  version: ImageVersion;
}

export interface ParsedImage {
  header: ImageHeader;
  /** "major.minor.revision" plus "+build" when the build number is not 0. */
  version: string;
  /** From our vendor TLV 0x00A0 in the protected area; null when the image has none. */
  hardwareId: string | null;
  /** IMAGE_TLV_SEC_CNT from the protected area; null when absent. */
  securityCounter: number | null;
  payload: Buffer;
  /** IMAGE_TLV_SHA256 as written in the image (verify recomputes it). */
  hash: Buffer | null;
  /**
   * The first KEYHASH and the first ED25519 signature TLV. An image may carry several key hash and
   * signature pairs; verify walks them all in order (unprotectedTlvs), as MCUboot does.
   */
  keyHash: Buffer | null;
  signature: Buffer | null;
  protectedTlvs: Tlv[];
  unprotectedTlvs: Tlv[];
  /** Bytes covered by the hash: header + payload + protected TLV area. */
  hashedLength: number;
  /** Header, payload and both TLV areas: the image without its padding. */
  totalLength: number;
  /** imgtool `--pad` padding and trailer after the TLVs; null when the image ends with its TLVs. */
  padding: ImagePadding | null;
}

export interface BuildOptions {
  /** "major.minor.revision[+build]". */
  version: string;
  /** Printable ASCII, 1..64 bytes, e.g. "sb-bot-r2". */
  hardwareId: string;
  payload: Buffer;
  /** Ed25519 PKCS#8 PEM. Without it the image carries only its hash (an unsigned image). */
  privateKeyPem?: string;
  /** ih_hdr_size, at least 32; the header is zero-padded up to it (imgtool --header-size). */
  headerSize?: number;
  loadAddress?: number;
  /** Defaults to securityCounterOf(version). */
  securityCounter?: number;
}

function u32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new ImageError('BAD_OPTION', `${name} ${v} is not a u32`);
  return v;
}

export function encodeHeader(h: ImageHeader): Buffer {
  const out = Buffer.alloc(h.hdrSize);
  out.writeUInt32LE(h.magic, 0);
  out.writeUInt32LE(h.loadAddr, 4);
  out.writeUInt16LE(h.hdrSize, 8);
  out.writeUInt16LE(h.protectTlvSize, 10);
  out.writeUInt32LE(h.imgSize, 12);
  out.writeUInt32LE(h.flags, 16);
  out.writeUInt8(h.version.major, 20);
  out.writeUInt8(h.version.minor, 21);
  out.writeUInt16LE(h.version.revision, 22);
  out.writeUInt32LE(h.version.build, 24);
  // bytes 28..31 are _pad1, and anything up to hdrSize is padding: both stay zero.
  return out;
}

export function decodeHeader(buf: Buffer): ImageHeader {
  if (buf.length >= 4 && buf.readUInt32LE(0) !== IMAGE_MAGIC) {
    throw new ImageError(
      'BAD_MAGIC',
      `image magic is 0x${buf.readUInt32LE(0).toString(16)}, expected 0x${IMAGE_MAGIC.toString(16)}`,
    );
  }
  if (buf.length < IMAGE_HEADER_SIZE) {
    throw new ImageError(
      'TRUNCATED',
      `image of ${buf.length} bytes is shorter than the ${IMAGE_HEADER_SIZE}-byte header`,
    );
  }
  const header: ImageHeader = {
    magic: buf.readUInt32LE(0),
    loadAddr: buf.readUInt32LE(4),
    hdrSize: buf.readUInt16LE(8),
    protectTlvSize: buf.readUInt16LE(10),
    imgSize: buf.readUInt32LE(12),
    flags: buf.readUInt32LE(16),
    version: { major: buf[20]!, minor: buf[21]!, revision: buf.readUInt16LE(22), build: buf.readUInt32LE(24) },
  };
  if (header.hdrSize < IMAGE_HEADER_SIZE) {
    throw new ImageError(
      'BAD_HEADER',
      `ih_hdr_size ${header.hdrSize} is smaller than the ${IMAGE_HEADER_SIZE}-byte header`,
    );
  }
  return header;
}

export function buildImage(opts: BuildOptions): Buffer {
  const version = parseVersion(opts.version);
  if (!HARDWARE_ID_RE.test(opts.hardwareId)) {
    throw new ImageError(
      'BAD_HARDWARE_ID',
      `hardware id "${opts.hardwareId}" must be 1..64 printable ASCII characters`,
    );
  }
  const hdrSize = opts.headerSize ?? IMAGE_HEADER_SIZE;
  if (!Number.isInteger(hdrSize) || hdrSize < IMAGE_HEADER_SIZE || hdrSize > 0xffff) {
    throw new ImageError('BAD_OPTION', `header size ${hdrSize} must be an integer in ${IMAGE_HEADER_SIZE}..65535`);
  }
  const counter = u32('security counter', opts.securityCounter ?? securityCounterOf(version));
  const counterBytes = Buffer.alloc(4);
  counterBytes.writeUInt32LE(counter);
  const protectedArea = encodeTlvArea(TLV_PROT_INFO_MAGIC, [
    { type: TlvType.securityCounter, value: counterBytes },
    { type: TlvType.hardwareId, value: Buffer.from(opts.hardwareId, 'ascii') },
  ]);
  const header = encodeHeader({
    magic: IMAGE_MAGIC,
    loadAddr: u32('load address', opts.loadAddress ?? 0),
    hdrSize,
    protectTlvSize: protectedArea.length,
    imgSize: u32('payload size', opts.payload.length),
    flags: 0,
    version,
  });
  const hashed = Buffer.concat([header, opts.payload, protectedArea]);
  const hash = createHash('sha256').update(hashed).digest();
  // Same order as imgtool: the hash, then the key hash and the signature over the hash.
  const records: Tlv[] = [{ type: TlvType.sha256, value: hash }];
  if (opts.privateKeyPem !== undefined) {
    const key = loadPrivateKey(opts.privateKeyPem);
    // MCUboot's IMAGE_TLV_ED25519 signs the 32-byte SHA-256 digest, not the image bytes
    // (imgtool "hash then sign"; the newer pure mode, IMAGE_TLV_SIG_PURE 0x25, is not used here).
    // Ed25519 in node:crypto takes a null digest algorithm: the message is signed as given.
    records.push({ type: TlvType.keyHash, value: keyHashOf(key) });
    records.push({ type: TlvType.ed25519, value: sign(null, hash, key) });
  }
  return Buffer.concat([hashed, encodeTlvArea(TLV_INFO_MAGIC, records)]);
}

/**
 * Structural parse; throws ImageError (BAD_MAGIC, TRUNCATED, BAD_HEADER, BAD_TLV, TRAILING_DATA).
 * Bytes after the TLV area must be imgtool padding: erased flash, optionally ending in a trailer.
 */
export function parseImage(buf: Buffer): ParsedImage {
  const header = decodeHeader(buf);
  const payloadEnd = header.hdrSize + header.imgSize;
  if (payloadEnd > buf.length) {
    throw new ImageError('TRUNCATED', `image declares ${payloadEnd} bytes of header and payload, has ${buf.length}`);
  }
  let protectedTlvs: Tlv[] = [];
  if (header.protectTlvSize > 0) {
    const area = decodeTlvArea(buf, payloadEnd, TLV_PROT_INFO_MAGIC, 'protected');
    if (area.size !== header.protectTlvSize) {
      throw new ImageError('BAD_TLV', `protected TLV area is ${area.size} bytes, header says ${header.protectTlvSize}`);
    }
    protectedTlvs = area.records;
  }
  const hashedLength = payloadEnd + header.protectTlvSize;
  const area = decodeTlvArea(buf, hashedLength, TLV_INFO_MAGIC, 'unprotected');
  const totalLength = hashedLength + area.size;
  let padding: ImagePadding | null = null;
  if (buf.length > totalLength) {
    const read = readPadding(buf.subarray(totalLength));
    if (typeof read === 'string') throw new ImageError('TRAILING_DATA', read);
    padding = read;
  }
  const foreign = area.records.find((r) => !UNPROTECTED_TYPES.has(r.type));
  if (foreign) {
    // Only the hash and what authenticates it may sit outside the hashed bytes; anything else there
    // (a hardware id, say) could be swapped without breaking the signature.
    throw new ImageError('BAD_TLV', `TLV 0x${foreign.type.toString(16)} is not allowed in the unprotected area`);
  }
  const hash = sized(single(area.records, TlvType.sha256, 'SHA256 TLV'), 32, 'SHA256 TLV');
  // A key hash or Ed25519 signature of another size is no record of its kind: refuse it as malformed
  // rather than guess (MCUboot refuses an oversized KEYHASH and a wrong-sized signature of a known key).
  const all = [...protectedTlvs, ...area.records];
  for (const r of all) {
    if (r.type === TlvType.keyHash) sized(r.value, 32, 'KEYHASH TLV');
    if (r.type === TlvType.ed25519) sized(r.value, 64, 'ED25519 TLV');
  }
  const keyHash = all.find((r) => r.type === TlvType.keyHash)?.value ?? null;
  const signature = all.find((r) => r.type === TlvType.ed25519)?.value ?? null;
  const counter = sized(
    single(protectedTlvs, TlvType.securityCounter, 'security counter TLV'),
    4,
    'security counter TLV',
  );
  const hw = single(protectedTlvs, TlvType.hardwareId, 'hardware id TLV');
  return {
    header,
    version: formatVersion(header.version),
    hardwareId: hw === null ? null : hw.toString('latin1'),
    securityCounter: counter === null ? null : counter.readUInt32LE(0),
    payload: Buffer.from(buf.subarray(header.hdrSize, payloadEnd)),
    hash,
    keyHash,
    signature,
    protectedTlvs,
    unprotectedTlvs: area.records,
    hashedLength,
    totalLength,
    padding,
  };
}

function sized(value: Buffer | null, length: number, what: string): Buffer | null {
  if (value !== null && value.length !== length) {
    throw new ImageError('BAD_TLV', `${what} is ${value.length} bytes, expected ${length}`);
  }
  return value;
}
