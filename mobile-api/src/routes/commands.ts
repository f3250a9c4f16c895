/** GET /v1/commands/:id: one command's lifecycle, for a command on a device of the caller's homes. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError, type CommandRecord } from '@switchfleet/cloud';
import { CommandParams, CommandView, errorResponses } from '../schemas.ts';

export function commandView(c: CommandRecord) {
  return {
    commandId: c.id,
    deviceId: c.deviceId,
    action: c.action,
    status: c.status,
    reason: c.reason,
    detail: c.detail,
    source: c.source,
    createdAt: c.createdAt.toISOString(),
    expiresAt: c.expiresAt.toISOString(),
    completedAt: c.completedAt ? c.completedAt.toISOString() : null,
  };
}

const commandRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  app.get(
    '/commands/:id',
    {
      schema: {
        tags: ['commands'],
        operationId: 'getCommand',
        summary: "A command and its lifecycle (404 when absent or not the caller's)",
        security: [{ bearerAuth: [] }],
        params: CommandParams,
        response: {
          200: CommandView,
          400: errorResponses[400],
          401: errorResponses[401],
          404: errorResponses[404],
          500: errorResponses[500],
        },
      },
    },
    async (request) => {
      const command = await app.cloud.commands.getForUser(request.userId, request.params.id);
      if (!command) throw new NotFoundError('command');
      return commandView(command);
    },
  );
};

export default commandRoutes;
