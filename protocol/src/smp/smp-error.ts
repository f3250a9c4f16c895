/**
 * The local codec's error: a frame or body this side cannot encode or decode. Kept apart from the
 * device-reported errors (errors.ts) because the CBOR helpers throw it and errors.ts reads bodies
 * through those helpers.
 */
export type SmpErrorCode =
  /** Fewer than 8 bytes: no header. */
  | 'SHORT_FRAME'
  /** The header's Data Length promises more bytes than the frame has. */
  | 'TRUNCATED'
  /** More bytes than the header's Data Length. */
  | 'TRAILING_DATA'
  /** Reserved header bits set: not an SMP frame, or a corrupted one. */
  | 'BAD_HEADER'
  | 'BAD_CBOR'
  /** The body is not a map, or a field is missing or of the wrong type. */
  | 'BAD_BODY'
  /** A value that does not fit its header or body field. */
  | 'BAD_FIELD'
  /** The ATT MTU leaves no room for any data in a write. */
  | 'MTU_TOO_SMALL'
  /** The SMP packet size leaves no room for image data. */
  | 'PACKET_TOO_SMALL';

export class SmpError extends Error {
  constructor(
    readonly code: SmpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SmpError';
  }
}
