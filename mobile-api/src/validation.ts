/**
 * Request validation with two Ajv configurations. Querystring, params and headers arrive as text, so
 * their values are coerced to the schema's types (`?wait=true` is a boolean); a JSON body already
 * carries its types, and coercing it would accept `{"name":12345}` as a name or `{"on":"false"}` as
 * off (which Ajv's coercion reads as false, but `"no"` as an error): bodies are checked strictly.
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
    const byPart: Compile = (route) => ((route.httpPart === 'body' ? strict : coercing) as unknown as Compile)(route);
    return byPart as unknown as typeof coercing;
  };
}
