/**
 * The server-sent event stream (WHATWG HTML §9.2 "Server-sent events") both live streams share: the
 * household's GET /v1/events and the operators' GET /v1/admin/events. It owns what ends a stream —
 * the client going away, the server closing (its preClose hook), the session of the caller's token
 * ending on any instance (logout, a disabled operator), and the cloud's event bus having possibly
 * missed events (the client reconnects, EventSource does by itself, and reads the current state
 * again) — and a comment line every 15 s so proxies do not close an idle stream.
 *
 * No event ids are sent: the bus keeps no history to replay from, so a `Last-Event-ID` could not be
 * honoured; a client that reconnects reads the state it follows again instead.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const HEARTBEAT_MS = 15_000;

export interface EventStream {
  /** Sends one event: its type as the `event:` field, `data` as one line of JSON. */
  send(type: string, data: object): void;
  /** Ends the stream (idempotent); its `onEnd` cleanups run once. */
  end(): void;
  readonly ended: boolean;
  /** Runs `cleanup` when the stream ends (unsubscribing from the bus and the like). */
  onEnd(cleanup: () => void): void;
}

/**
 * Registers the preClose hook that ends every stream the scope opened, and returns the function that
 * opens one on a request: it takes the reply over (hijack) and writes the stream's head.
 */
export function eventStreams(app: FastifyInstance) {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  return function openStream(request: FastifyRequest, reply: FastifyReply, sessionId: string): EventStream {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': connected\n\n');
    const cleanups: (() => void)[] = [];
    const end = () => {
      if (!open.delete(end)) return;
      for (const cleanup of cleanups.splice(0)) cleanup();
      raw.end();
    };
    open.add(end);
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    cleanups.push(() => clearInterval(heartbeat));
    const events = app.cloud.events;
    cleanups.push(
      events.onSessionEnded((ended) => {
        if (ended === sessionId) end();
      }),
    );
    // Events, a logout among them, may have gone by unheard: the client must not go on trusting this stream.
    cleanups.push(events.onGap(() => end()));
    request.raw.once('close', end);
    return {
      send(type, data) {
        if (open.has(end)) raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end,
      get ended() {
        return !open.has(end);
      },
      onEnd(cleanup) {
        if (open.has(end)) cleanups.push(cleanup);
        else cleanup();
      },
    };
  };
}
