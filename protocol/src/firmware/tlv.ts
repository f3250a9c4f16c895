/**
 * MCUboot TLV areas (docs/design.md "Image Format", bootutil/image.h). Each area starts with a
 * 4-byte info header {it_magic u16, it_tlv_tot u16}, where it_tlv_tot counts the info header too,
 * followed by records {it_type u16, it_len u16, value}. All little endian. Older MCUboot wrote
 * it_type as u8 plus a pad byte, which reads the same for types below 0x100.
 */
import { ImageError } from './errors.ts';

/** Info magic of the unprotected TLV area (not covered by the image hash). */
export const TLV_INFO_MAGIC = 0x6907;
/** Info magic of the protected TLV area (covered by the image hash, counted in ih_protect_tlv_size). */
export const TLV_PROT_INFO_MAGIC = 0x6908;

export const TLV_INFO_SIZE = 4;
export const TLV_HEADER_SIZE = 4;

/** TLV types we read or write (bootutil/image.h IMAGE_TLV_*). */
export const TlvType = {
  /** SHA-256 of the public key that signed the image. */
  keyHash: 0x01,
  /** The full public key, an alternative to keyHash. */
  publicKey: 0x02,
  /** SHA-256 of header, payload and protected TLV area. */
  sha256: 0x10,
  rsa2048Pss: 0x20,
  ecdsaSig: 0x22,
  rsa3072Pss: 0x23,
  /** Ed25519 signature of the SHA-256 hash. */
  ed25519: 0x24,
  /** Image security counter, u32 (anti-rollback). Must sit in the protected area. */
  securityCounter: 0x50,
  /**
   * Ours: the hardware id the image is built for, UTF-8, in the protected area so it is hashed and
   * signed. MCUboot reserves types 0xXXA0..0xXXFF for vendors ("vendor reserved TLVs at xxA0-xxFF",
   * bootutil/image.h); imgtool never writes 0x00A0, so it cannot collide with a standard record.
   */
  hardwareId: 0x00a0,
} as const;

/** Types allowed outside the hashed area: the hash itself and what authenticates it (MCUboot refuses others). */
export const UNPROTECTED_TYPES: ReadonlySet<number> = new Set([
  TlvType.keyHash,
  TlvType.publicKey,
  TlvType.sha256,
  TlvType.rsa2048Pss,
  TlvType.ecdsaSig,
  TlvType.rsa3072Pss,
  TlvType.ed25519,
]);

export interface Tlv {
  type: number;
  value: Buffer;
}

export function encodeTlvArea(magic: number, records: readonly Tlv[]): Buffer {
  const size = TLV_INFO_SIZE + records.reduce((n, r) => n + TLV_HEADER_SIZE + r.value.length, 0);
  if (size > 0xffff) throw new ImageError('BAD_OPTION', `TLV area of ${size} bytes exceeds the u16 total`);
  const out = Buffer.alloc(size);
  out.writeUInt16LE(magic, 0);
  out.writeUInt16LE(size, 2);
  let at = TLV_INFO_SIZE;
  for (const r of records) {
    out.writeUInt16LE(r.type, at);
    out.writeUInt16LE(r.value.length, at + 2);
    r.value.copy(out, at + TLV_HEADER_SIZE);
    at += TLV_HEADER_SIZE + r.value.length;
  }
  return out;
}

/**
 * Reads one TLV area starting at `offset`. Returns the records and the area's total size.
 * Throws ImageError TRUNCATED when the buffer ends inside it, BAD_TLV when it is inconsistent.
 */
export function decodeTlvArea(
  buf: Buffer,
  offset: number,
  magic: number,
  what: string,
): { records: Tlv[]; size: number } {
  if (offset + TLV_INFO_SIZE > buf.length) {
    throw new ImageError('TRUNCATED', `image ends before the ${what} TLV info header at offset ${offset}`);
  }
  const found = buf.readUInt16LE(offset);
  if (found !== magic) {
    throw new ImageError(
      'BAD_TLV',
      `${what} TLV info magic is 0x${found.toString(16)}, expected 0x${magic.toString(16)}`,
    );
  }
  const size = buf.readUInt16LE(offset + 2);
  if (size < TLV_INFO_SIZE)
    throw new ImageError('BAD_TLV', `${what} TLV area claims ${size} bytes, less than its header`);
  const end = offset + size;
  if (end > buf.length) {
    throw new ImageError(
      'TRUNCATED',
      `${what} TLV area needs ${size} bytes at offset ${offset}, image has ${buf.length - offset}`,
    );
  }
  const records: Tlv[] = [];
  let at = offset + TLV_INFO_SIZE;
  while (at < end) {
    if (at + TLV_HEADER_SIZE > end)
      throw new ImageError('BAD_TLV', `${what} TLV record header overruns its area at offset ${at}`);
    const type = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (at + TLV_HEADER_SIZE + len > end) {
      throw new ImageError('BAD_TLV', `${what} TLV 0x${type.toString(16)} of ${len} bytes overruns its area`);
    }
    records.push({ type, value: Buffer.from(buf.subarray(at + TLV_HEADER_SIZE, at + TLV_HEADER_SIZE + len)) });
    at += TLV_HEADER_SIZE + len;
  }
  return { records, size };
}

/** The value of the only record of a type, null if absent; BAD_TLV if it appears twice. */
export function single(records: readonly Tlv[], type: number, what: string): Buffer | null {
  const hits = records.filter((r) => r.type === type);
  if (hits.length > 1) throw new ImageError('BAD_TLV', `${what} appears ${hits.length} times`);
  return hits[0]?.value ?? null;
}
