/**
 * The SMP frame (smp_protocol.rst "Frame: The envelope"), big endian:
 *
 *   byte 0: Res (3 bits, 0) | Ver (2 bits) | OP (3 bits)
 *   byte 1: Flags   bytes 2-3: Data Length   bytes 4-5: Group ID   byte 6: Sequence Num   byte 7: Command ID
 *   Data Length bytes of CBOR
 *
 * Over GATT a frame may span several writes or notifications; SmpReassembler rebuilds frames
 * from the Data Length field ("may be used for reassembly purposes").
 */
import { decodeBody, encodeBody, type SmpBody } from './cbor.ts';
import { SMP_HEADER_SIZE } from './constants.ts';
import { SmpError } from './smp-error.ts';

export interface SmpHeader {
  /** Header Ver bits: 0 legacy, 1 SMP version 2 (our default), 2 and 3 reserved. Responses echo the request's. */
  version: number;
  op: number;
  flags: number;
  group: number;
  seq: number;
  id: number;
}

export interface SmpFrame extends SmpHeader {
  body: SmpBody;
}

export type SmpFrameInput = Omit<SmpFrame, 'version' | 'flags' | 'body'> & {
  version?: number;
  flags?: number;
  body?: SmpBody;
};

function check(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SmpError('BAD_FIELD', `SMP ${name} ${value} is outside 0..${max}`);
  }
  return value;
}

export function encodeSmp(frame: SmpFrameInput): Buffer {
  const data = encodeBody(frame.body ?? {});
  if (data.length > 0xffff)
    throw new SmpError('BAD_FIELD', `SMP body of ${data.length} bytes exceeds the u16 Data Length`);
  const header = Buffer.alloc(SMP_HEADER_SIZE);
  header[0] = (check('version', frame.version ?? 1, 3) << 3) | check('op', frame.op, 7);
  header[1] = check('flags', frame.flags ?? 0, 0xff);
  header.writeUInt16BE(data.length, 2);
  header.writeUInt16BE(check('group', frame.group, 0xffff), 4);
  header[6] = check('seq', frame.seq, 0xff);
  header[7] = check('id', frame.id, 0xff);
  return Buffer.concat([header, data]);
}

/** Decodes the 8-byte header alone; throws SHORT_FRAME or BAD_HEADER. */
export function decodeHeader(buf: Buffer): SmpHeader & { length: number } {
  if (buf.length < SMP_HEADER_SIZE)
    throw new SmpError('SHORT_FRAME', `SMP frame of ${buf.length} bytes has no 8-byte header`);
  const b0 = buf[0]!;
  if (b0 & 0xe0) throw new SmpError('BAD_HEADER', `SMP reserved bits set in header byte 0x${b0.toString(16)}`);
  // Versions 2 and 3 are reserved; they are decoded as found so that a server can answer them with
  // MGMT_ERR_UNSUPPORTED_TOO_NEW. Only the Res bits are treated as garbage.
  return {
    version: (b0 >> 3) & 0x03,
    op: b0 & 0x07,
    flags: buf[1]!,
    length: buf.readUInt16BE(2),
    group: buf.readUInt16BE(4),
    seq: buf[6]!,
    id: buf[7]!,
  };
}

/** Decodes exactly one whole frame. Throws SmpError on a short, long or garbled frame. */
export function decodeSmp(buf: Buffer): SmpFrame {
  const { length, ...header } = decodeHeader(buf);
  const have = buf.length - SMP_HEADER_SIZE;
  if (have < length) throw new SmpError('TRUNCATED', `SMP frame promises ${length} data bytes, has ${have}`);
  if (have > length)
    throw new SmpError('TRAILING_DATA', `SMP frame has ${have - length} bytes beyond its ${length} data bytes`);
  return { ...header, body: decodeBody(buf.subarray(SMP_HEADER_SIZE)) };
}

/** The response frame to a request: op + 1 (read → read rsp, write → write rsp), same group, id, seq and version. */
export function encodeResponse(request: SmpHeader, body: SmpBody): Buffer {
  return encodeSmp({ ...request, op: request.op | 1, body });
}

/**
 * Rebuilds whole frames from GATT writes or notifications. push() returns the frames completed by
 * a chunk (zero, one or several), raw, so that one garbled frame can be decoded and refused
 * without losing the ones after it. After a link drop call reset(): a partial frame is never
 * completed by bytes of a later connection.
 */
export class SmpReassembler {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Buffer[] = [];
    while (buf.length >= SMP_HEADER_SIZE) {
      const total = SMP_HEADER_SIZE + buf.readUInt16BE(2);
      if (buf.length < total) break;
      frames.push(Buffer.from(buf.subarray(0, total)));
      buf = buf.subarray(total);
    }
    this.#pending = Buffer.from(buf);
    return frames;
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.#pending.length;
  }

  reset(): void {
    this.#pending = Buffer.alloc(0);
  }
}
