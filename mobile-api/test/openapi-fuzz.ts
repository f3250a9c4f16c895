/**
 * Requests generated from the served OpenAPI document with fast-check: for each operation, values that
 * its schemas accept and values they should refuse (wrong types, out of range, NUL characters, lone
 * surrogates, missing or extra properties, malformed JSON, other media types). Written from OpenAPI
 * 3.0's schema object (nullable, anyOf, enum, format, pattern, bounds), as the API's schemas use it.
 */
import fc from 'fast-check';

export type Json = Record<string, unknown>;
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Json;
}
export interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Json }> };
}
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Real ids a parameter may take, so that generated requests also reach past the existence checks. */
export type KnownValues = Record<string, readonly string[]>;
/** Generators that replace the schema's for a named field (e.g. to keep waits short). */
export type Overrides = Record<string, fc.Arbitrary<unknown>>;

const NUL_FREE = '^[^\\u0000]*$';
const LONG = 2000;

function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '');
}

/** A lone surrogate cannot be percent-encoded (it is no UTF-8); it becomes U+FFFD, as a browser sends it. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Path segments sent as they are, not encoded: escapes the router must refuse or decode. */
const RAW_SEGMENTS = ['%zz', '%00', '%', '..', '%2F', 'a%20b', '%C0%AF', '%ED%A0%80'];

export class RequestGenerator {
  constructor(
    private readonly components: Record<string, Json>,
    private readonly known: KnownValues,
    private readonly overrides: Overrides,
  ) {}

  private resolve(schema: Json): Json {
    const ref = schema.$ref;
    return typeof ref === 'string'
      ? this.resolve(this.components[ref.replace('#/components/schemas/', '')] ?? {})
      : schema;
  }

  /** Values the schema accepts (or may, for formats it checks more closely than this writes). */
  valid(schema: Json, name = ''): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const override = this.overrides[name];
    if (override) return override;
    const plain = this.validPlain(s, name);
    return s.nullable === true ? fc.oneof(plain, fc.constant(null)) : plain;
  }

  private validPlain(s: Json, name: string): fc.Arbitrary<unknown> {
    if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
    if (Array.isArray(s.anyOf)) return fc.oneof(...(s.anyOf as Json[]).map((a) => this.valid(a, name)));
    switch (s.type) {
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return fc.integer({ min: num(s.minimum, -(2 ** 31)), max: num(s.maximum, 2 ** 31 - 1) });
      case 'number':
        return fc.double({ min: num(s.minimum, -1e9), max: num(s.maximum, 1e9), noNaN: true });
      case 'array':
        return fc.array(this.valid((s.items as Json) ?? {}), { maxLength: 3 });
      case 'object':
        return this.validObject(s);
      case 'string':
        return this.validString(s, name);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  private validObject(s: Json): fc.Arbitrary<unknown> {
    const props = (s.properties as Record<string, Json>) ?? {};
    const required = (s.required as string[]) ?? [];
    const entries = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, this.valid(v, k)]));
    const min = num(s.minProperties, 0);
    return fc.record(entries, { requiredKeys: required }).filter((o) => Object.keys(o).length >= min);
  }

  private validString(s: Json, name: string): fc.Arbitrary<string> {
    const known = this.known[name] ?? [];
    const minLength = num(s.minLength, 0);
    const maxLength = Math.min(num(s.maxLength, 64), 300);
    let free: fc.Arbitrary<string>;
    if (s.format === 'uuid') free = fc.uuid();
    else if (s.format === 'email') free = fc.emailAddress().filter((e) => e.length <= maxLength);
    else if (s.format === 'date-time')
      free = fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString());
    else if (name === 'if-match') free = fc.constantFrom('*', '"0"', '"1"', 'W/"1"', '"1", "2"', '"x"');
    else if (s.pattern !== undefined && s.pattern !== NUL_FREE) free = fc.stringMatching(new RegExp(String(s.pattern)));
    else free = fc.string({ unit: 'grapheme', minLength, maxLength }).map((v) => v.replaceAll('\u0000', ''));
    return known.length > 0 ? fc.oneof(fc.constantFrom(...known), free) : free;
  }

  /** Values the schema should refuse, aimed at its type; a few may slip through as valid, which is harmless. */
  invalid(schema: Json): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const wrongType = fc.jsonValue({ maxDepth: 2 });
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ maxLength: 20 }).map((v) => `${v}\u0000${v}`),
      fc.constantFrom('', ' ', '\ud800', 'x'.repeat(LONG), '1e30', 'null', '-0', 'true', 'false'),
    );
    const numbers = fc.oneof(
      fc.constantFrom(1e30, -1e30, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 0.5, -1, Number.MAX_VALUE),
      fc.double({ noNaN: true }),
    );
    const anyOf = Array.isArray(s.anyOf) ? (s.anyOf as Json[]).map((a) => this.resolve(a).type) : [];
    const types = new Set([s.type, ...anyOf]);
    if (types.has('object')) return fc.oneof({ arbitrary: this.invalidObject(s), weight: 3 }, wrongType, strings);
    if (types.has('string') || Array.isArray(s.enum))
      return fc.oneof({ arbitrary: strings, weight: 3 }, wrongType, numbers);
    if (types.has('integer') || types.has('number'))
      return fc.oneof({ arbitrary: numbers, weight: 3 }, wrongType, strings);
    return fc.oneof(wrongType, strings, numbers);
  }

  private invalidObject(s: Json): fc.Arbitrary<unknown> {
    if (s.type !== 'object') return fc.constant([]);
    const props = (s.properties as Record<string, Json>) ?? {};
    const names = Object.keys(props);
    const valid = this.validObject(s) as fc.Arbitrary<Json>;
    if (names.length === 0) return fc.record({ unexpected: fc.jsonValue({ maxDepth: 1 }) });
    return fc.oneof(
      valid.chain((o) =>
        fc.constantFrom(...names).map((drop) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== drop))),
      ),
      valid.map((o) => ({ ...o, unexpected: 1 })),
      fc
        .tuple(valid, fc.constantFrom(...names))
        .chain(([o, k]) => this.invalid(props[k] ?? {}).map((bad) => ({ ...o, [k]: bad }))),
    );
  }

  /** One request to the operation: valid in every part, or invalid in one part. */
  request(method: string, path: string, op: Operation): fc.Arbitrary<FuzzRequest> {
    const params = op.parameters ?? [];
    const bodySchema = op.requestBody?.content['application/json']?.schema;
    const part = (where: Parameter['in'], bad: boolean) => {
      const chosen = params.filter((p) => p.in === where);
      if (chosen.length === 0) return fc.constant({} as Record<string, unknown>);
      const bogus = chosen.map((p) => [p.name, bad ? this.invalid(p.schema) : this.valid(p.schema, p.name)] as const);
      return fc.record(Object.fromEntries(bogus), {
        requiredKeys: chosen.filter((p) => p.in === 'path' || p.required).map((p) => p.name),
      });
    };
    // Where there is a body, most of the invalid requests are invalid in it.
    const mode = fc.constantFrom(
      'valid',
      'valid',
      'path',
      'query',
      'header',
      'raw',
      ...(bodySchema ? ['body', 'body', 'body'] : []),
    );
    return mode.chain((m) =>
      fc
        .record({
          path: part('path', m === 'path'),
          query: part('query', m === 'query'),
          header: part('header', m === 'header'),
          body: bodySchema
            ? m === 'body'
              ? this.invalid(bodySchema)
              : this.valid(bodySchema)
            : fc.constant(undefined),
          raw: fc.constantFrom('{', '{"a":', '[]', 'null', '"x"', '{"__proto__":{"x":1}}', 'x'.repeat(LONG)),
          rawSegment: m === 'path' ? fc.option(fc.constantFrom(...RAW_SEGMENTS)) : fc.constant(null),
          rawType: fc.constantFrom(
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
          ),
        })
        .map(({ path: pathValues, query, header, body, raw, rawSegment, rawType }) => {
          const segment = (name: string) =>
            rawSegment ?? encodeURIComponent(wellFormed(String(pathValues[name] ?? '')));
          const url = path.replace(/\{(\w+)\}/g, (_, name: string) => segment(name));
          const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
          const headers: Record<string, string> = Object.fromEntries(
            Object.entries(header).map(([k, v]) => [k, headerSafe(String(v))]),
          );
          const request: FuzzRequest = {
            method: method.toUpperCase(),
            url: search ? `${url}?${search}` : url,
            headers,
          };
          if (m === 'raw') return { ...request, headers: { ...headers, 'content-type': rawType }, payload: raw };
          if (body === undefined) return request;
          return {
            ...request,
            headers: { ...headers, 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          };
        }),
    );
  }
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}
