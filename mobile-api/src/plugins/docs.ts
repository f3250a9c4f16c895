/** OpenAPI document generated from the route schemas, served with Swagger UI at /docs (JSON at /docs/json). */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { errorResponses } from '../schemas.ts';

type Json = Record<string, unknown>;

/**
 * Documentation only (validation and serialization keep the plain schemas): an error answer is a
 * `$ref` to ErrorBody, and the OpenAPI writer drops a `$ref`'s siblings, so its per-status example
 * is moved into the media object (OpenAPI 3.0.3 §4.7.14), next to the reference.
 */
export function withErrorExamples(schema: Json | undefined): Json | undefined {
  const response = schema?.response as Record<string, Json> | undefined;
  if (!schema || !response) return schema;
  const documented = Object.fromEntries(
    Object.entries(response).map(([status, answer]) => {
      const examples = answer.examples;
      if (answer.$ref !== 'ErrorBody' || !Array.isArray(examples) || examples.length === 0) return [status, answer];
      return [
        status,
        {
          description: answer.description,
          content: { 'application/json': { schema: { $ref: 'ErrorBody' }, example: examples[0] } },
        },
      ];
    }),
  );
  return { ...schema, response: documented };
}

/**
 * The answers fastify itself gives before a handler runs, on every route they can reach: 414 (the
 * URI bound, plugins/http-semantics.ts) everywhere; 413 (body over bodyLimit) and 415 (not JSON)
 * where the route takes a body.
 */
export function withFrameworkAnswers(schema: Json | undefined): Json | undefined {
  if (!schema?.response) return schema;
  const framework = {
    414: errorResponses[414],
    ...(schema.body ? { 413: errorResponses[413], 415: errorResponses[415] } : {}),
  };
  return { ...schema, response: { ...(schema.response as Json), ...framework } };
}

const TAGS = {
  auth: 'Accounts, logins and tokens (no access token needed)',
  homes: 'Homes, members, invitations, rooms and gateways',
  devices: 'Switches, their shadow and history, and commands to them',
  commands: "A command's lifecycle",
  schedules: 'Timed commands per switch',
  events: 'Live server-sent events',
  health: 'Liveness for monitors',
  gateway: 'What gateways fetch from the cloud: firmware images by the signed URL of an update job',
  admin: "The operators' API (/v1/admin): operator tokens only; any other caller gets 404 on every path",
};

export default fp(
  async function docs(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'switchfleet mobile API',
          version: '1.0.0',
          description: 'Accounts, devices and commands for the phone app.',
          license: { name: 'Proprietary (private project, no licence URL)' },
        },
        // Relative to where the document is served (OpenAPI 3.0.3 §4.7.5): the API is the same origin.
        servers: [{ url: '/', description: 'The origin serving this document' }],
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
      },
      transform: ({ schema, url }) => ({
        schema: withErrorExamples(withFrameworkAnswers(schema as Json | undefined)) as typeof schema,
        url,
      }),
      // Shared schemas appear in components under their $id instead of def-0, def-1, ...
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs', fastify: '5.x' },
);
