/**
 * GET /v1/events: a server-sent event stream (WHATWG HTML §9.2) of the caller's devices' state
 * changes and command outcomes. Fed by the cloud's event bus (PostgreSQL LISTEN/NOTIFY), so a change
 * applied by any cloud instance reaches streams held by every instance. Scoped to the homes the
 * caller belongs to when the stream opens; the app reconnects to pick up a new membership. The
 * stream ends when the session of its token ends (logout on any instance), as the token's calls do,
 * and when this instance may have missed events (its database session was lost and is back): the
 * app reconnects (EventSource does by itself) and reads the current state again.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CloudEvent } from '@switchfleet/cloud';
import { Type } from 'typebox';
import { errorResponses } from '../schemas.ts';
import { EX } from '../schemas/examples.ts';

const HEARTBEAT_MS = 15_000;

const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        operationId: 'streamEvents',
        summary: 'Live stream (text/event-stream) of the caller\'s state changes and command outcomes',
        description:
          'Events: `state` {deviceId, online, state, battery, rssi, version} and `command` {commandId, deviceId, status, reason}. A comment line every 15 s keeps proxies from closing the stream. The stream ends when the session ends, and when the cloud may have missed events (reconnect, then read the current state).',
        security: [{ bearerAuth: [] }],
        response: { 200: Type.String({
            description: 'text/event-stream',
            examples: [`: connected\n\nevent: state\ndata: {"deviceId":"${EX.deviceId}","online":true,"state":{"on":true},"battery":91,"rssi":-62,"version":8}\n\n`],
          }), 401: errorResponses[401], 500: errorResponses[500] },
      },
    },
    async (request, reply) => {
      const homeIds = new Set((await app.cloud.homes.homesForUser(request.userId)).map((h) => h.id));
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      raw.write(': connected\n\n');
      const send = (event: CloudEvent) => {
        if (!homeIds.has(event.homeId)) return;
        const { homeId: _home, type, ...data } = event;
        raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const unsubscribe = app.cloud.events.subscribe(send);
      const sessionId = request.sessionId;
      const stopSession = app.cloud.events.onSessionEnded((ended) => {
        if (ended === sessionId) end();
      });
      // Events, a logout among them, may have gone by unheard: the app must not go on trusting this stream.
      const stopGap = app.cloud.events.onGap(() => end());
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      const end = () => {
        if (!open.delete(end)) return;
        clearInterval(heartbeat);
        unsubscribe();
        stopSession();
        stopGap();
        raw.end();
      };
      open.add(end);
      request.raw.once('close', end);
    },
  );
};

export default eventRoutes;
