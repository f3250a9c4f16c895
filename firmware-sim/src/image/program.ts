/**
 * The payload of a simulated firmware image: a "program" the simulated switch runs. Layout:
 *
 *   "SFPG" | format u8 (1) | reserved u8 (0) | descriptor length u16 LE | descriptor (UTF-8 JSON) | filler
 *
 * The descriptor names the version and hardware the program was built as, and its faults. The
 * filler pads the payload to a requested size with deterministic code-like bytes, so a 256 KiB
 * image uploads like a real one. The image header and its signed TLVs stay authoritative for
 * version and hardware; the copies here let a switch notice a payload moved between images.
 */
import { formatFault, parseFaults, FaultError, type Fault, type FaultKind } from './faults.ts';

export const PROGRAM_MAGIC = Buffer.from('SFPG', 'ascii');
export const PROGRAM_FORMAT = 1;
const PREFIX_SIZE = 8;
/** A generous bound for a simulated slot; keeps a typo in --size from allocating gigabytes. */
export const MAX_PROGRAM_BYTES = 16 * 1024 * 1024;

export type ProgramErrorCode = 'BAD_MAGIC' | 'UNSUPPORTED_FORMAT' | 'TRUNCATED' | 'BAD_DESCRIPTOR' | 'BAD_SIZE';

export class ProgramError extends Error {
  constructor(
    readonly code: ProgramErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProgramError';
  }
}

export interface ProgramInput {
  version?: string;
  hardwareId?: string;
  /** Fault objects or their text ("drop-after:30"). */
  faults?: readonly (Fault | string)[];
  /** Payload size to pad to; default: no padding. */
  sizeBytes?: number;
}

export interface Program {
  version: string | null;
  hardwareId: string | null;
  faults: Fault[];
  /** The payload's length, filler included. */
  sizeBytes: number;
}

interface Descriptor {
  version?: string;
  hardwareId?: string;
  faults: string[];
}

/** Throws FaultError for a bad fault, ProgramError BAD_SIZE for a size that cannot hold the descriptor. */
export function encodeProgram(input: ProgramInput): Buffer {
  const descriptor: Descriptor = { faults: parseFaults(input.faults ?? []).map(formatFault) };
  if (input.version !== undefined) descriptor.version = input.version;
  if (input.hardwareId !== undefined) descriptor.hardwareId = input.hardwareId;
  const json = Buffer.from(JSON.stringify(descriptor), 'utf8');
  if (json.length > 0xffff)
    throw new ProgramError('BAD_SIZE', `program descriptor of ${json.length} bytes exceeds 65535`);
  const minimum = PREFIX_SIZE + json.length;
  const size = input.sizeBytes ?? minimum;
  if (!Number.isInteger(size) || size < minimum || size > MAX_PROGRAM_BYTES) {
    throw new ProgramError(
      'BAD_SIZE',
      `program size ${size} must be a whole number of bytes in ${minimum}..${MAX_PROGRAM_BYTES}`,
    );
  }
  const out = Buffer.alloc(size);
  PROGRAM_MAGIC.copy(out, 0);
  out[4] = PROGRAM_FORMAT;
  out.writeUInt16LE(json.length, 6);
  json.copy(out, PREFIX_SIZE);
  fill(out.subarray(minimum));
  return out;
}

/** A fixed xorshift32 stream: the same build always gives the same bytes, and they do not compress to nothing. */
function fill(region: Buffer): void {
  let x = 0x9e3779b9;
  for (let i = 0; i < region.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    region[i] = x & 0xff;
  }
}

export function decodeProgram(payload: Buffer): Program {
  if (payload.length < PREFIX_SIZE)
    throw new ProgramError('TRUNCATED', `program of ${payload.length} bytes has no header`);
  if (!payload.subarray(0, 4).equals(PROGRAM_MAGIC))
    throw new ProgramError('BAD_MAGIC', 'payload is not a simulated firmware program');
  if (payload[4] !== PROGRAM_FORMAT)
    throw new ProgramError('UNSUPPORTED_FORMAT', `program format ${payload[4]} is not ${PROGRAM_FORMAT}`);
  const length = payload.readUInt16LE(6);
  if (PREFIX_SIZE + length > payload.length)
    throw new ProgramError('TRUNCATED', `program descriptor of ${length} bytes overruns the payload`);
  let raw: unknown;
  try {
    raw = JSON.parse(payload.subarray(PREFIX_SIZE, PREFIX_SIZE + length).toString('utf8'));
  } catch (err) {
    throw new ProgramError('BAD_DESCRIPTOR', `program descriptor is not JSON: ${(err as Error).message}`);
  }
  const d = raw as Partial<Descriptor> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    !Array.isArray(d.faults) ||
    !d.faults.every((f) => typeof f === 'string')
  ) {
    throw new ProgramError('BAD_DESCRIPTOR', 'program descriptor lacks a list of faults');
  }
  let faults: Fault[];
  try {
    faults = parseFaults(d.faults);
  } catch (err) {
    if (err instanceof FaultError) throw new ProgramError('BAD_DESCRIPTOR', `program descriptor: ${err.message}`);
    throw err;
  }
  return {
    version: typeof d.version === 'string' ? d.version : null,
    hardwareId: typeof d.hardwareId === 'string' ? d.hardwareId : null,
    faults,
    sizeBytes: payload.length,
  };
}

/** The program's fault of a kind, with its argument, or undefined. */
export function faultOf<K extends FaultKind>(
  program: Pick<Program, 'faults'>,
  kind: K,
): Extract<Fault, { kind: K }> | undefined {
  return program.faults.find((f): f is Extract<Fault, { kind: K }> => f.kind === kind);
}
