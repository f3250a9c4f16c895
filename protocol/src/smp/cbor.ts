/**
 * CBOR for SMP bodies: plain CBOR maps with text keys, as Zephyr's zcbor writes and reads them.
 * cbor-x is configured away from its extensions (records, tagged typed arrays) and to use the
 * shortest map header, so sizes are predictable for chunk planning (mtu.ts).
 */
import { Encoder } from 'cbor-x';
import { SmpError } from './errors.ts';

export type SmpBody = Record<string, unknown>;

/** A codec configuration, not shared state: every encode/decode below is a pure function of its input. */
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false });

export function encodeBody(body: SmpBody): Buffer {
  for (const [key, value] of Object.entries(body)) {
    // cbor-x writes non-integral or oversized numbers as floats, which zcbor refuses as uint.
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new SmpError('BAD_FIELD', `body field "${key}" is ${value}, not an integer`);
    }
  }
  return Buffer.from(cbor.encode(body));
}

export function decodeBody(data: Buffer): SmpBody {
  if (data.length === 0) return {};
  let value: unknown;
  try {
    value = cbor.decode(data);
  } catch (err) {
    throw new SmpError('BAD_CBOR', `SMP body is not valid CBOR: ${(err as Error).message}`);
  }
  if (!isMap(value)) throw new SmpError('BAD_BODY', 'SMP body is not a CBOR map');
  return value;
}

export function isMap(value: unknown): value is SmpBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Length in bytes of the CBOR header of a byte string of n bytes (RFC 8949 §3: 1, 2, 3 or 5 bytes). */
export function bstrHeaderSize(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  return 5;
}

// Field readers for request/response bodies: a missing required field or a wrong type is BAD_BODY.

export function uintField(body: SmpBody, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new SmpError('BAD_BODY', `field "${key}" must be an unsigned integer`);
  }
  return v;
}

export function boolField(body: SmpBody, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new SmpError('BAD_BODY', `field "${key}" must be a boolean`);
  return v;
}

export function bytesField(body: SmpBody, key: string): Buffer | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) throw new SmpError('BAD_BODY', `field "${key}" must be a byte string`);
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function textField(body: SmpBody, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new SmpError('BAD_BODY', `field "${key}" must be a text string`);
  return v;
}

export function required<T>(value: T | undefined, key: string): T {
  if (value === undefined) throw new SmpError('BAD_BODY', `field "${key}" is required`);
  return value;
}
