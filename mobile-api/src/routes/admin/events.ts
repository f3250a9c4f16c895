/**
 * GET /v1/admin/events: the operators' live stream (server-sent events, WHATWG HTML §9.2), fleet-wide:
 * every firmware update job's moves, of every device whatever its home, and every staged rollout's.
 * Fed by the cloud's event bus (PostgreSQL LISTEN/NOTIFY), so what any instance does reaches streams
 * held by every instance, in the order it was committed. It carries ids and progress only, no
 * household's personal data (no names, emails or home names). Ends as the household stream does
 * (event-stream.ts): on the session's end (logout, the operator disabled), and when the bus may have
 * missed events, after which the client reads the jobs it follows again and reconnects.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CloudEvent } from '@switchfleet/cloud';
import { Type } from 'typebox';
import { eventStreams } from '../../event-stream.ts';
import { errorResponses as e } from '../../schemas.ts';

const JOB = '3b1f7a2e-8c4d-4e5f-9a6b-7c8d9e0f1a2b';
const DEVICE = '5a0e8d3c-1b2f-4a6e-8c9d-0e1f2a3b4c5d';
const HOME = '1b7f2a4e-3c1d-4f5e-9a8b-7c6d5e4f3a2b';
const ROLLOUT = '8e4a2c6b-0d1f-4e3a-9b5c-7d9e1f3a5b7c';

/** What the operators' stream sends of a bus event, or null for what is not theirs to see. */
function operatorView(event: CloudEvent): { type: string; data: object } | null {
  switch (event.type) {
    case 'update': {
      const { type, ...data } = event;
      return { type, data };
    }
    case 'rollout': {
      const { type, ...data } = event;
      return { type, data };
    }
    // A switch's state and a household's commands are the household's own business.
    default:
      return null;
  }
}

const adminEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const openStream = eventStreams(app);

  app.get(
    '/events',
    {
      schema: {
        tags: ['admin'],
        operationId: 'streamAdminEvents',
        summary: 'Live stream (text/event-stream) of every update job and rollout in the fleet',
        description:
          'Events: `update` {jobId, deviceId, homeId, state, phase, bytes, totalBytes, reason} for every ' +
          'firmware update job of any device, and `rollout` {rolloutId, state, stage, counts} for staged ' +
          'rollouts. Ids only, no personal data. A comment line every 15 s keeps proxies from closing the ' +
          'stream. No event ids are sent and `Last-Event-ID` is not honoured (nothing is replayed): the stream ' +
          'ends when the session ends and when the cloud may have missed events; reconnect, then read the ' +
          'jobs or rollouts you follow again (GET /v1/admin/updates/{id}).',
        security: [{ bearerAuth: [] }],
        response: {
          200: Type.String({
            description: 'text/event-stream',
            examples: [
              `: connected\n\nevent: update\ndata: {"jobId":"${JOB}","deviceId":"${DEVICE}","homeId":"${HOME}",` +
                '"state":"running","phase":"uploading","bytes":65536,"totalBytes":262144,"reason":null}\n\n' +
                `event: rollout\ndata: {"rolloutId":"${ROLLOUT}","state":"running","stage":0,` +
                '"counts":{"updating":2,"succeeded":5}}\n\n',
            ],
          }),
          404: e[404],
          500: e[500],
        },
      },
    },
    async (request, reply) => {
      const stream = openStream(request, reply, request.sessionId);
      stream.onEnd(
        app.cloud.events.subscribe((event) => {
          const view = operatorView(event);
          if (view) stream.send(view.type, view.data);
        }),
      );
    },
  );
};

export default adminEventRoutes;
