/**
 * Upload chunk sizing for SMP over GATT: one request per ATT write, so a write carries at most
 * ATT_MTU - 3 bytes (ATT Write Command opcode + handle, Core spec Vol 3 Part F §3.4.5.3). From that
 * come the 8-byte SMP header and the CBOR of the body around the data; what is left is data.
 */
import { bstrHeaderSize, encodeBody } from './cbor.ts';
import { SMP_HEADER_SIZE } from './constants.ts';
import { SmpError } from './errors.ts';
import { uploadRequestBody, type UploadRequest } from './image.ts';

export const ATT_WRITE_OVERHEAD = 3;
/** The ATT_MTU every LE link starts with before an exchange (Core spec Vol 3 Part F §3.2.8). */
export const DEFAULT_ATT_MTU = 23;

/**
 * Largest `data` length whose upload frame still fits one write at this MTU, for a chunk with the
 * given fields (off, and on the first chunk len, sha, upgrade, image). Offsets grow the CBOR
 * integer at 24, 256, 65536, so ask per chunk.
 */
export function maxUploadChunk(mtu: number, fields: Omit<UploadRequest, 'data'>): number {
  const budget = mtu - ATT_WRITE_OVERHEAD - SMP_HEADER_SIZE;
  // The body with empty data: everything but the data bytes and the growth of its bstr header.
  const base = encodeBody(uploadRequestBody({ ...fields, data: Buffer.alloc(0) })).length - bstrHeaderSize(0);
  const room = budget - base;
  // n + bstrHeaderSize(n) grows with n and the header is 1..5 bytes, so the largest n that fits
  // lies within 5 below the room.
  let best = 0;
  for (let n = room - 1; n >= Math.max(1, room - 5); n--) {
    if (n + bstrHeaderSize(n) <= room) {
      best = n;
      break;
    }
  }
  if (best <= 0) throw new SmpError('MTU_TOO_SMALL', `an ATT MTU of ${mtu} leaves no room for upload data`);
  return best;
}
