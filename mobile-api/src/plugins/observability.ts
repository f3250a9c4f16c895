/**
 * Request ids and Prometheus. Every request gets an id (the caller's X-Request-Id when it is sane,
 * else a fresh one; fastify puts it in every log line as reqId) echoed in the response header; its
 * latency lands in the cloud's registry by route pattern, which /metrics serves with the cloud's
 * ingest, command and gateway figures.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CloudMetrics } from '@switchfleet/cloud';

export default fp(
  async function observability(app: FastifyInstance, options: { metrics: CloudMetrics }) {
    const { metrics } = options;
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: request.method, route, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  },
  { name: 'observability', fastify: '5.x' },
);
