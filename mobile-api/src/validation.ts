/**
 * Request validation with two Ajv configurations. Querystring, params and headers arrive as text, so
 * their values are coerced to the schema's types (`?wait=true` is a boolean); a JSON body already
 * carries its types, and coercing it would accept `{"name":12345}` as a name or `{"on":"false"}` as
 * off (which Ajv's coercion reads as false, but `"no"` as an error): bodies are checked strictly.
 * A binary body (`type: string, format: binary`, OpenAPI 3.0.3's way to describe a file) is the
 * octet-stream parser's Buffer: present is valid; what the bytes must be is the service's to check.
 */
import { AjvCompiler, type BuildCompilerFromPool, type RouteDefinition } from '@fastify/ajv-compiler';

/** Ajv options of every part: unknown properties are refused, not stripped silently. */
export const AJV_OPTIONS = { removeAdditional: false } as const;

export function partAwareValidator(): BuildCompilerFromPool {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const custom = { ...AJV_OPTIONS, ...options?.customOptions };
    const coercing = pool(externalSchemas, { ...options, mode: undefined, customOptions: custom });
    const strict = pool(externalSchemas, {
      ...options,
      mode: undefined,
      customOptions: { ...custom, coerceTypes: false },
    });
    // Fastify calls the compiler with a route definition (the package's typings say a bare schema).
    type Compile = (route: RouteDefinition) => unknown;
    const byPart: Compile = (route) => {
      if (route.httpPart === 'body' && isBinary(route.schema)) return binaryBody;
      return ((route.httpPart === 'body' ? strict : coercing) as unknown as Compile)(route);
    };
    return byPart as unknown as typeof coercing;
  };
}

function isBinary(schema: unknown): boolean {
  const s = schema as { type?: unknown; format?: unknown } | undefined;
  return s?.type === 'string' && s.format === 'binary';
}

/** Fastify's validator contract: true, or false with Ajv-shaped `errors` the error handler names the field from. */
function binaryBody(data: unknown): boolean {
  const ok = Buffer.isBuffer(data) && data.length > 0;
  binaryBody.errors = ok
    ? null
    : [{ keyword: 'type', instancePath: '', schemaPath: '#/type', params: {}, message: 'must be a non-empty image' }];
  return ok;
}
binaryBody.errors = null as object[] | null;
