/** A device's shadow (GET, PATCH desired with If-Match), its history, and renaming/moving it. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchfleet/cloud';
import { ifMatchVersions, versionTag } from '../conditional.ts';
import {
  DesiredBody,
  DesiredHeaders,
  Device,
  DeviceParams,
  DevicePatch,
  errorResponses,
  HistoryList,
  HistoryQuery,
  ShadowBody,
  withETag,
} from '../schemas.ts';

const secured = [{ bearerAuth: [] }];
const DAY_MS = 24 * 3600_000;

const shadowRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/devices/:id/shadow',
    {
      schema: {
        tags: ['devices'],
        operationId: 'getShadow',
        summary: 'The device shadow: desired, reported, delta, per-field timestamps and version (also as ETag)',
        security: secured,
        params: DeviceParams,
        response: {
          200: withETag(ShadowBody),
          400: errorResponses[400],
          401: errorResponses[401],
          404: errorResponses[404],
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      const shadow = await app.cloud.shadows.getForUser(request.userId, request.params.id);
      if (!shadow) throw new NotFoundError('device');
      return reply.header('etag', versionTag(shadow.version)).send(shadow);
    },
  );

  app.patch(
    '/devices/:id/desired',
    {
      schema: {
        tags: ['devices'],
        operationId: 'setDesired',
        summary: 'Set the desired state; the delta is sent to the switch (at once, or when its gateway is back)',
        description:
          "With If-Match (RFC 9110 §13.1.1) the change applies only if the shadow's entity tag is one of those " +
          'listed (strong comparison: a weak tag never matches; `*` matches any), otherwise 412 and nothing changes.',
        security: secured,
        params: DeviceParams,
        headers: DesiredHeaders,
        body: DesiredBody,
        response: {
          200: withETag(ShadowBody),
          400: errorResponses[400],
          401: errorResponses[401],
          404: errorResponses[404],
          412: errorResponses[412],
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      const expected = ifMatchVersions(request.headers['if-match']);
      const shadow = await app.cloud.commands.applyDesired(
        request.userId,
        request.params.id,
        request.body.on,
        expected,
      );
      return reply.header('etag', versionTag(shadow.version)).send(shadow);
    },
  );

  app.get(
    '/devices/:id/history',
    {
      schema: {
        tags: ['devices'],
        operationId: 'getHistory',
        summary: 'Reported states in a time range (an empty list when there are none)',
        security: secured,
        params: DeviceParams,
        querystring: HistoryQuery,
        response: {
          200: HistoryList,
          400: errorResponses[400],
          401: errorResponses[401],
          404: errorResponses[404],
          500: errorResponses[500],
        },
      },
    },
    async (request) => {
      const to = request.query.to ? new Date(request.query.to) : new Date();
      const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - DAY_MS);
      const history = await app.cloud.devices.historyForUser(request.userId, request.params.id, from, to);
      if (!history) throw new NotFoundError('device');
      return history;
    },
  );

  app.patch(
    '/devices/:id',
    {
      schema: {
        tags: ['devices'],
        operationId: 'updateDevice',
        summary: 'Rename a device or move it to a room',
        security: secured,
        params: DeviceParams,
        body: DevicePatch,
        response: {
          200: Device,
          400: errorResponses[400],
          401: errorResponses[401],
          404: errorResponses[404],
          500: errorResponses[500],
        },
      },
    },
    async (request) => {
      const changes: { name?: string; roomId?: string | null } = {};
      if (request.body.name !== undefined) changes.name = request.body.name;
      if (request.body.roomId !== undefined) changes.roomId = request.body.roomId;
      return app.cloud.devices.updateForUser(request.userId, request.params.id, changes);
    },
  );
};

export default shadowRoutes;
