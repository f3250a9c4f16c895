/** GET /health: 200 when database and broker are up and a gateway is online, otherwise 503, same body. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, Health } from '../schemas.ts';

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        operationId: 'getHealth',
        security: [],
        summary: 'Liveness of database, broker and gateways',
        response: { 200: Health, 500: errorResponses[500], 503: Health },
      },
    },
    async (_request, reply) => {
      const report = await app.cloud.health.check();
      const body = {
        status: report.ok ? ('ok' as const) : ('degraded' as const),
        db: report.db,
        broker: report.broker,
        gatewaysOnline: report.gatewaysOnline,
      };
      return reply.code(report.ok ? 200 : 503).send(body);
    },
  );
};

export default healthRoutes;
