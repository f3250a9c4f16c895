/** Pieces of HTTP shared by the resources' schemas: text fields the database can hold, response headers. */
import { Type, type TSchema, type TStringOptions } from 'typebox';

/**
 * PostgreSQL's text cannot hold U+0000 (it ends a C string), so a string with it that reached a
 * statement would fail there as a 500; every request string that is stored or looked up refuses it.
 */
export const NO_NUL = '^[^\\u0000]*$';

export function Text(options: TStringOptions = {}) {
  return Type.String({ ...options, pattern: NO_NUL });
}

const Location = { type: 'string', format: 'uri-reference', description: 'URL of the resource' } as const;
const ETag = {
  type: 'string',
  description: 'Strong entity tag of the shadow\'s version, e.g. "7"; send it back in If-Match (RFC 9110 §8.8.3)',
} as const;

/**
 * A success answer with response headers for the OpenAPI document (the serializer ignores them):
 * RFC 9110 §10.2.2, a 201's Location names the created resource, a 202's the status monitor.
 */
function withHeaders<T extends TSchema>(schema: T, headers: Record<string, object>): T {
  return { ...schema, headers } as T;
}
export const created = <T extends TSchema>(schema: T) => withHeaders(schema, { Location });
export const withETag = <T extends TSchema>(schema: T) => withHeaders(schema, { ETag });
