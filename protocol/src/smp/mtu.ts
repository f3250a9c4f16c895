/**
 * Upload chunk sizing for SMP over GATT. An SMP packet is not bound to one ATT write: Zephyr's SMP
 * BLE transport rebuilds a request from consecutive Write Commands, each carrying at most
 * ATT_MTU − 3 bytes (ATT opcode + handle, Core spec Vol 3 Part F §3.4.5.3), up to the size of its
 * receive buffer, which the device states in the OS group's "MCUmgr parameters" answer
 * (smp_group_0.rst, `buf_size`). So a chunk is sized to fill a packet of whole writes within that
 * buffer: at the default ATT_MTU of 23 a packet spans many writes, and the SMP header and CBOR
 * around the data are paid once per packet, not once per write.
 */
import { bstrHeaderSize, encodeBody } from './cbor.ts';
import { SMP_HEADER_SIZE } from './constants.ts';
import { SmpError } from './smp-error.ts';
import { uploadRequestBody, type UploadRequest } from './image.ts';

export const ATT_WRITE_OVERHEAD = 3;
/** The ATT_MTU every LE link starts with before an exchange (Core spec Vol 3 Part F §3.2.8). */
export const DEFAULT_ATT_MTU = 23;
/**
 * The receive buffer assumed of a device that does not answer "MCUmgr parameters": Zephyr's default
 * `CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE`, the smallest a stock build has.
 */
export const FALLBACK_SMP_BUFFER_SIZE = 384;

/**
 * The SMP packet size for uploads on a link: the most whole ATT writes that fit the device's
 * receive buffer, or the buffer itself when one write is larger than it.
 */
export function uploadPacketSize(mtu: number, bufferSize: number = FALLBACK_SMP_BUFFER_SIZE): number {
  const write = mtu - ATT_WRITE_OVERHEAD;
  if (!Number.isInteger(mtu) || write < 1) throw new SmpError('MTU_TOO_SMALL', `an ATT MTU of ${mtu} carries no data`);
  if (bufferSize <= write) return bufferSize;
  return Math.floor(bufferSize / write) * write;
}

/**
 * Largest `data` length whose upload packet stays within packetSize bytes (SMP header included),
 * for a chunk with the given fields (off, and on the first chunk len, sha, upgrade, image). Offsets
 * grow the CBOR integer at 24, 256, 65536, so ask per chunk.
 */
export function maxUploadChunk(packetSize: number, fields: Omit<UploadRequest, 'data'>): number {
  const budget = packetSize - SMP_HEADER_SIZE;
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
  if (best <= 0) {
    throw new SmpError('PACKET_TOO_SMALL', `an SMP packet of ${packetSize} bytes leaves no room for upload data`);
  }
  return best;
}
