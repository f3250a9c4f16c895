/**
 * HTTP semantics fastify leaves to the application (RFC 9110):
 * - `app.allowedMethods(path)`: the methods some route answers on a concrete path. A method the target
 *   resource does not support is 405, not 404, with Allow listing those it does (§15.5.6, §10.2.1).
 *   Fastify's router only says "no route", so every route is also recorded in a router of the same
 *   kind (find-my-way) that is asked per method.
 * - A target URI longer than MAX_URI_OCTETS is 414 (§15.5.15) on every route; §4.1 asks for at least
 *   8000 octets, so that is the bound.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import FindMyWay from 'find-my-way';
import fp from 'fastify-plugin';
import { UriTooLongError } from '../http-errors.ts';

export const MAX_URI_OCTETS = 8000;

declare module 'fastify' {
  interface FastifyInstance {
    allowedMethods(path: string): string[];
  }
}

export default fp(
  async function methods(app: FastifyInstance) {
    const router = FindMyWay({ maxParamLength: app.initialConfig.maxParamLength ?? 100 });
    const known = new Set<HTTPMethods>();
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        known.add(method);
        router.on(method as 'GET', route.url, () => {});
      }
    });
    app.addHook('onRequest', async (request) => {
      if (Buffer.byteLength(request.url) > MAX_URI_OCTETS)
        throw new UriTooLongError(`the target URI is over ${MAX_URI_OCTETS} octets`);
    });
    app.decorate('allowedMethods', (path: string) =>
      [...known].filter((m) => router.find(m as 'GET', path) !== null).sort(),
    );
  },
  { name: 'http-semantics', fastify: '5.x' },
);
