/**
 * Decoding of MQTT payloads against the topic map. Returns a result instead of throwing so that a
 * receiver can log and count a bad message and carry on with the next one.
 */
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { topicMap, type PayloadOf, type TopicName } from './topics.ts';

/** Upper bound for any message in the map; larger payloads are refused before JSON.parse. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export class PayloadError extends Error {
  constructor(
    readonly code: 'PAYLOAD_TOO_LARGE' | 'PAYLOAD_NOT_JSON' | 'PAYLOAD_INVALID',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: PayloadError };

const validators = new Map<TopicName, Validator>();
function validatorFor(name: TopicName): Validator {
  let v = validators.get(name);
  if (!v) {
    v = Compile(topicMap[name].schema as TSchema) as Validator;
    validators.set(name, v);
  }
  return v;
}

export function decodePayload<T extends TopicName>(name: T, payload: Buffer | string): Decoded<PayloadOf<T>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) {
    return {
      ok: false,
      error: new PayloadError('PAYLOAD_TOO_LARGE', `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(payload.toString());
  } catch (e) {
    return { ok: false, error: new PayloadError('PAYLOAD_NOT_JSON', `payload is not JSON: ${(e as Error).message}`) };
  }
  const validator = validatorFor(name);
  if (!validator.Check(value)) {
    const first = [...validator.Errors(value)][0];
    const field = first?.instancePath || '/';
    return {
      ok: false,
      error: new PayloadError(
        'PAYLOAD_INVALID',
        `${name} payload invalid at ${field}: ${first?.message ?? 'invalid'}`,
        field,
      ),
    };
  }
  return { ok: true, value: value as PayloadOf<T> };
}

export function encodePayload<T extends TopicName>(name: T, value: PayloadOf<T>): Buffer {
  const checked = validatorFor(name);
  if (!checked.Check(value)) {
    const first = [...checked.Errors(value)][0];
    throw new PayloadError(
      'PAYLOAD_INVALID',
      `refusing to send invalid ${name}: ${first?.instancePath} ${first?.message}`,
    );
  }
  return Buffer.from(JSON.stringify(value));
}
