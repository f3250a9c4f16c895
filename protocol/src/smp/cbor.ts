/**
 * CBOR for SMP bodies: plain CBOR maps with text keys, as Zephyr's zcbor writes and reads them.
 * Encoding: cbor-x, configured away from its extensions (records, tagged typed arrays) and to use
 * the shortest map header, so sizes are predictable for chunk planning (mtu.ts).
 * Decoding: cborg, whose token stream keeps each item's CBOR major type, so a float stays a float
 * (CborFloat) and the field readers below accept only the type zcbor's typed decoders accept: a
 * uint field refuses 1.0 as zcbor_uint32_decode does, whatever number it stands for.
 */
import { Encoder } from 'cbor-x';
import { decode, Token, Tokenizer, Type, type DecodeOptions } from 'cborg';
import { SmpError } from './smp-error.ts';

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

/** A CBOR floating-point item (major type 7, half, single or double), kept apart from integers. */
export class CborFloat {
  constructor(readonly value: number) {}
}

/** cborg's tokenizer, with float tokens carrying a CborFloat instead of a plain number. */
class TypedTokenizer extends Tokenizer {
  override next(): Token {
    const token = super.next();
    if (!Type.equals(token.type, Type.float)) return token;
    return new Token(Type.float, new CborFloat(token.value as number), token.encodedLength);
  }
}

// No SMP field takes CBOR undefined; integers past 2^53 come back as bigint and fail the readers.
const DECODE: DecodeOptions = { allowUndefined: false, allowBigInt: true };

export function decodeBody(data: Buffer): SmpBody {
  if (data.length === 0) return {};
  let value: unknown;
  try {
    value = decode(data, { ...DECODE, tokenizer: new TypedTokenizer(data, DECODE) });
  } catch (err) {
    throw new SmpError('BAD_CBOR', `SMP body is not valid CBOR: ${(err as Error).message}`);
  }
  if (!isMap(value)) throw new SmpError('BAD_BODY', 'SMP body is not a CBOR map');
  return value;
}

/** A CBOR map as decoded (a plain object; not an array, a byte string or a CborFloat). */
export function isMap(value: unknown): value is SmpBody {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Length in bytes of the CBOR header of a byte string of n bytes (RFC 8949 §3: 1, 2, 3 or 5 bytes). */
export function bstrHeaderSize(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  return 5;
}

// Field readers for request/response bodies: a missing required field or a wrong type is BAD_BODY.
// A float decodes as a CborFloat, never as a number, so `typeof v === 'number'` holds only for
// CBOR integers (major types 0 and 1); integers beyond 2^53 decode as bigint and are refused.

const notFloat = (v: unknown) => (v instanceof CborFloat ? ', not a float' : '');

export function uintField(body: SmpBody, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new SmpError('BAD_BODY', `field "${key}" must be an unsigned integer${notFloat(v)}`);
  }
  return v;
}

/** A signed integer (zcbor_int32_decode's kind), e.g. a response's rc. */
export function intField(body: SmpBody, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new SmpError('BAD_BODY', `field "${key}" must be an integer${notFloat(v)}`);
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
