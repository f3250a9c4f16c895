/**
 * GET /v1/events: a server-sent event stream (WHATWG HTML §9.2) of the caller's devices' state
 * changes, command outcomes and firmware updates. Fed by the cloud's event bus (PostgreSQL
 * LISTEN/NOTIFY), so a change applied by any cloud instance reaches streams held by every instance.
 * Scoped to the homes the caller belongs to: when their membership changes on any instance (removed
 * from a home, invitation accepted), the stream reads them again, holding back the events that come
 * after the change until it knows, so a removed member hears nothing more of that home. The
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
/** Events held while the caller's homes are read again; past this the stream ends (the app reconnects). */
const MAX_HELD_EVENTS = 1000;

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
        summary: "Live stream (text/event-stream) of the caller's state changes and command outcomes",
        description:
          'Events: `state` {deviceId, online, state, battery, rssi, version}, `command` {commandId, deviceId, ' +
          'status, reason} and `update` {jobId, deviceId, state, phase, bytes, totalBytes, reason} (a firmware ' +
          'update of the switch moved). A comment line every 15 s keeps proxies from closing the stream. Scoped to the ' +
          "caller's homes as they are now: once the caller is removed from a home (on any instance), none of its " +
          'later events are sent; a home joined meanwhile is added. The stream ends when the session ends, and ' +
          'when the cloud may have missed events (reconnect, then read the current state).',
        security: [{ bearerAuth: [] }],
        response: {
          200: Type.String({
            description: 'text/event-stream',
            examples: [
              `: connected\n\nevent: state\ndata: {"deviceId":"${EX.deviceId}","online":true,"state":{"on":true},"battery":91,"rssi":-62,"version":8}\n\n`,
            ],
          }),
          401: errorResponses[401],
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      const userId = request.userId;
      const homesOf = async () => new Set((await app.cloud.homes.homesForUser(userId)).map((h) => h.id));
      let homeIds = await homesOf();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(': connected\n\n');
      const write = (event: CloudEvent) => {
        // Fleet-level events (rollouts) have no home: never on a household's stream.
        if (!('homeId' in event) || !homeIds.has(event.homeId)) return;
        const { homeId: _home, type, ...data } = event;
        raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      /** Events heard while the caller's homes are read again; sent, or not, once they are known. */
      let held: CloudEvent[] | null = null;
      let reads = 0;
      const send = (event: CloudEvent) => {
        if (!held) return write(event);
        if (held.length >= MAX_HELD_EVENTS) return end();
        held.push(event);
      };
      // The notice comes in commit order with the events: whatever follows it waits for the new scope.
      const recheck = async () => {
        const read = ++reads;
        held ??= [];
        try {
          const fresh = await homesOf();
          if (read !== reads || !open.has(end)) return;
          homeIds = fresh;
        } catch (e) {
          request.log.warn({ err: e }, 'live stream: homes could not be read again; the stream ends');
          return end();
        }
        const pending = held ?? [];
        held = null;
        for (const event of pending) write(event);
      };
      const stopMembership = app.cloud.events.onMembershipChanged((change) => {
        if (change.userId === userId) void recheck();
      });
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
        stopMembership();
        stopSession();
        stopGap();
        held = null;
        raw.end();
      };
      open.add(end);
      request.raw.once('close', end);
    },
  );
};

export default eventRoutes;
