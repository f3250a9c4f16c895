/** OpenAPI document generated from the route schemas, served with Swagger UI at /docs (JSON at /docs/json). */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export default fp(
  async function docs(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'switchfleet mobile API', version: '1.0.0', description: 'Accounts, devices and commands for the phone app.' },
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        tags: [
          { name: 'auth' },
          { name: 'homes' },
          { name: 'devices' },
          { name: 'commands' },
          { name: 'schedules' },
          { name: 'events' },
          { name: 'health' },
        ],
      },
      // Shared schemas appear in components under their $id instead of def-0, def-1, ...
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs', fastify: '5.x' },
);
