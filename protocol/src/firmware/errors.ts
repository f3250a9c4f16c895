/** Errors raised while building or parsing an image. Verification reports results, it does not throw. */
export type ImageErrorCode =
  /** ih_magic is not IMAGE_MAGIC (0x96f3b83d). */
  | 'BAD_MAGIC'
  /** The buffer ends before the header, payload or a TLV area does. */
  | 'TRUNCATED'
  /** ih_hdr_size is smaller than the 32-byte header, or sizes in the header do not add up. */
  | 'BAD_HEADER'
  /** A TLV area has the wrong info magic, a wrong total, a record overrunning it, or a duplicate. */
  | 'BAD_TLV'
  /** Bytes follow the unprotected TLV area. */
  | 'TRAILING_DATA'
  /** A version string that does not fit major.minor.revision+build (u8.u8.u16+u32). */
  | 'BAD_VERSION'
  /** A hardware id that is empty, too long or not printable. */
  | 'BAD_HARDWARE_ID'
  /** A PEM that is not an Ed25519 key of the expected kind. */
  | 'BAD_KEY'
  /** A build option out of range (header size, payload size, security counter). */
  | 'BAD_OPTION';

export class ImageError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}
