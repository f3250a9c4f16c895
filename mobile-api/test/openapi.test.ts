/**
 * The OpenAPI document is complete: every operation has a summary, tags, an example of each request
 * and success answer, and every error answer is the one shared ErrorBody. Walking the served document
 * (not a list of routes) makes a new route without them fail here.
 */
import { Compile } from 'typebox/compile';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from './support.ts';

type Json = Record<string, unknown>;
interface Media {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: (Media & { name: string; in: string; required?: boolean })[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media>; headers?: Record<string, unknown> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

const ERROR_REF = '#/components/schemas/ErrorBody';
/** /health answers 503 with the same Health body as its 200, so monitors read one shape (by design, not an error). */
const NON_ERROR_ANSWERS = new Set(['get /health 503']);

const api = useApi();
let doc: Doc;
beforeAll(async () => {
  doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc;
});

function operations(): { name: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ name: `${method} ${path}`, op })),
  );
}

/** OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a union with null and component refs are inlined. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const { nullable, $ref, ...rest } = schema as Json;
  if (typeof $ref === 'string') return toJsonSchema(doc.components.schemas[$ref.replace('#/components/schemas/', '')]);
  const converted = Object.fromEntries(
    Object.entries(rest).map(([k, v]) => [
      k,
      k === 'example' || k === 'enum' || k === 'default'
        ? v
        : k === 'properties'
          ? mapValues(v as Json)
          : toJsonSchema(v),
    ]),
  );
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}
const mapValues = (o: Json) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toJsonSchema(v)]));

function examplesOf(media: Media): unknown[] {
  if (media.example !== undefined) return [media.example];
  return Object.values(media.examples ?? {}).map((e) => e.value);
}

/** Every example of a media object and of each nested schema, with the schema it must satisfy. */
function examplePairs(media: Media, where: string): { where: string; schema: unknown; example: unknown }[] {
  const pairs = examplesOf(media).map((example) => ({ where, schema: media.schema, example }));
  const walk = (node: unknown, at: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Json;
    if (n.example !== undefined) pairs.push({ where: at, schema: n, example: n.example });
    for (const [k, v] of Object.entries(n))
      if (k !== 'example' && k !== 'enum' && k !== 'default') walk(v, `${at}.${k}`);
  };
  walk(media.schema, `${where} schema`);
  return pairs;
}

function jsonMedia(content: Record<string, Media> | undefined): Media | undefined {
  return content?.['application/json'] ?? Object.values(content ?? {})[0];
}

describe('every operation of the OpenAPI document', () => {
  it('has a summary and a tag', () => {
    const missing = operations()
      .filter(({ op }) => !op.summary || !op.tags?.length)
      .map((o) => o.name);
    expect(operations().length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('answers success with a schema and an example (or 204 with no body)', () => {
    const missing = operations()
      .filter(({ op }) => {
        const successes = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
        if (successes.length === 0) return true;
        return !successes.every(([status, r]) => {
          if (status === '204') return r.content === undefined;
          const media = jsonMedia(r.content);
          return media?.schema !== undefined && examplesOf(media).length > 0;
        });
      })
      .map((o) => o.name);
    expect(missing).toEqual([]);
  });

  it('documents every 4xx and 5xx answer as the shared ErrorBody with an example, including 500', () => {
    const wrong = operations().flatMap(({ name, op }) =>
      Object.entries(op.responses)
        .filter(([status]) => /^[45]/.test(status) && !NON_ERROR_ANSWERS.has(`${name} ${status}`))
        .filter(([, r]) => {
          const media = jsonMedia(r.content);
          return media?.schema?.$ref !== ERROR_REF || examplesOf(media).length === 0;
        })
        .map(([status]) => `${name} ${status}`),
    );
    const without500 = operations()
      .filter(({ op }) => !op.responses['500'])
      .map((o) => o.name);
    expect(wrong).toEqual([]);
    expect(without500).toEqual([]);
  });

  it('documents 400 when it takes input and 401 when it needs a token (404 in the admin API, which never says 401)', () => {
    const admin = (name: string) => name.includes(' /v1/admin/');
    const missing = operations().flatMap(({ name, op }) => [
      ...((op.parameters?.length || op.requestBody) && !op.responses['400'] ? [`${name} 400`] : []),
      ...(op.security?.length && !admin(name) && !op.responses['401'] ? [`${name} 401`] : []),
      ...(admin(name) && (op.responses['401'] || !op.responses['404']) ? [`${name} 404 instead of 401`] : []),
    ]);
    expect(operations().some(({ name }) => admin(name))).toBe(true);
    expect(missing).toEqual([]);
  });

  it('gives its request body and each parameter an example', () => {
    const missing = operations().flatMap(({ name, op }) => [
      ...(op.requestBody && examplesOf(jsonMedia(op.requestBody.content) ?? {}).length === 0 ? [`${name} body`] : []),
      ...(op.parameters ?? []).filter((p) => examplesOf(p).length === 0).map((p) => `${name} ${p.in} ${p.name}`),
    ]);
    expect(missing).toEqual([]);
  });

  it('has examples that satisfy their own schemas', () => {
    const pairs = operations().flatMap(({ name, op }) => [
      ...(op.parameters ?? []).flatMap((p) => examplePairs(p, `${name} ${p.in} ${p.name}`)),
      ...(op.requestBody ? examplePairs(jsonMedia(op.requestBody.content) ?? {}, `${name} body`) : []),
      ...Object.entries(op.responses).flatMap(([status, r]) =>
        r.content ? examplePairs(jsonMedia(r.content) ?? {}, `${name} ${status}`) : [],
      ),
    ]);
    const invalid = pairs
      .filter(({ schema, example }) => !Compile(toJsonSchema(schema) as never).Check(example))
      .map((p) => p.where);
    expect(pairs.length).toBeGreaterThan(operations().length);
    expect(invalid).toEqual([]);
  });
});

describe('what clients generate from the document', () => {
  /** Public: no access token. Everything else carries bearerAuth. */
  const PUBLIC = [
    'post /v1/auth/register',
    'post /v1/auth/login',
    'post /v1/auth/refresh',
    'post /v1/auth/logout',
    'get /health',
    // A gateway's download: the signed URL is the credential.
    'get /v1/firmware/{sha256}',
  ];

  it('names every operation with a unique operationId', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('marks public operations security: [] and every other one bearerAuth', () => {
    const wrong = operations()
      .filter(({ name, op }) =>
        PUBLIC.includes(name) ? op.security?.length !== 0 : !JSON.stringify(op.security).includes('bearerAuth'),
      )
      .map((o) => o.name);
    expect(wrong).toEqual([]);
  });

  it('documents 414 everywhere and 413 and 415 where a body is taken', () => {
    const missing = operations().flatMap(({ name, op }) =>
      ['414', ...(op.requestBody ? ['413', '415'] : [])].filter((s) => !op.responses[s]).map((s) => `${name} ${s}`),
    );
    expect(missing).toEqual([]);
  });

  it('does not require a parameter that has a default', () => {
    const wrong = operations().flatMap(({ name, op }) =>
      (op.parameters ?? [])
        .filter((p) => p.required && p.schema?.default !== undefined)
        .map((p) => `${name} ${p.name}`),
    );
    expect(operations().some(({ op }) => op.parameters?.some((p) => p.schema?.default !== undefined))).toBe(true);
    expect(wrong).toEqual([]);
  });

  it('documents Location on every 201 and 202 (but register, whose 202 names no resource: an account has no URL), and ETag on the shadow', () => {
    const wrong = operations().flatMap(({ name, op }) =>
      Object.entries(op.responses)
        .filter(([status]) => (status === '201' || status === '202') && name !== 'post /v1/auth/register')
        .filter(([, r]) => !r.headers?.Location)
        .map(([status]) => `${name} ${status}`),
    );
    expect(wrong).toEqual([]);
    expect(doc.paths['/v1/devices/{id}/shadow']!.get!.responses['200']!.headers?.ETag).toBeDefined();
    expect(doc.paths['/v1/devices/{id}/desired']!.patch!.responses['200']!.headers?.ETag).toBeDefined();
  });
});

describe('the shared ErrorBody', () => {
  it('is the { error: { code, message, details } } shape, with an example that satisfies it', () => {
    const error = doc.components.schemas.ErrorBody as Json & { example?: unknown };
    expect(error).toMatchObject({
      required: ['error'],
      properties: { error: { required: ['code', 'message', 'details'] } },
    });
    expect(error.example).toBeDefined();
    expect(Compile(toJsonSchema(error) as never).Check(error.example)).toBe(true);
  });

  it('would reject an example that breaks it, so the example check can fail', () => {
    expect(
      Compile(toJsonSchema(doc.components.schemas.ErrorBody) as never).Check({ error: { code: 'X', message: 'm' } }),
    ).toBe(false);
  });
});
