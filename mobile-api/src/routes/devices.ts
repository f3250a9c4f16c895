/** The caller's devices and commands to them. Every route here needs a Bearer token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DeviceUpdatingError, isTerminal } from '@switchfleet/cloud';
import { Traceparent } from '@switchfleet/protocol';
import { Compile } from 'typebox/compile';
import { NotFoundError } from '@switchfleet/cloud';
import {
  CommandAccepted,
  CommandBody,
  CommandHeaders,
  CommandOutcome,
  CommandQuery,
  created,
  DEFAULT_WAIT_MS,
  Device,
  DeviceList,
  DeviceParams,
  errorResponses,
} from '../schemas.ts';

const validTraceparent = Compile(Traceparent);
const secured = [{ bearerAuth: [] }];

const deviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        operationId: 'listDevices',
        summary: 'Devices in every home the caller belongs to',
        security: secured,
        response: { 200: DeviceList, 401: errorResponses[401], 500: errorResponses[500] },
      },
    },
    async (request) => app.cloud.devices.listForUser(request.userId),
  );

  app.get(
    '/devices/:id',
    {
      schema: {
        tags: ['devices'],
        operationId: 'getDevice',
        summary: "One device (404 when absent or not the caller's)",
        security: secured,
        params: DeviceParams,
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
      const device = await app.cloud.devices.getForUser(request.userId, request.params.id);
      if (!device) throw new NotFoundError('device');
      return device;
    },
  );

  app.post(
    '/devices/:id/commands',
    {
      schema: {
        tags: ['devices'],
        operationId: 'sendCommand',
        summary: 'Send a command; with wait=true answer once it is terminal',
        description:
          '202 with the current status when accepted (or when the wait ends first), Location naming the command; ' +
          '200 with the outcome when wait=true and the command became terminal in time; ' +
          '409 DEVICE_UPDATING while the switch is being updated.',
        security: secured,
        params: DeviceParams,
        querystring: CommandQuery,
        headers: CommandHeaders,
        body: CommandBody,
        response: {
          200: CommandOutcome,
          202: created(CommandAccepted),
          400: errorResponses[400],
          401: errorResponses[401],
          404: errorResponses[404],
          409: errorResponses[409],
          422: errorResponses[422],
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      const { commands, devices } = app.cloud;
      const incoming = request.headers.traceparent;
      const traceparent = typeof incoming === 'string' && validTraceparent.Check(incoming) ? incoming : undefined;
      const key = request.headers['idempotency-key'];
      const command = await commands.create(request.userId, request.params.id, request.body.action, {
        ...(traceparent ? { traceparent } : {}),
        ...(request.body.ttlMs !== undefined ? { ttlMs: request.body.ttlMs } : {}),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      const current = request.query.wait
        ? ((await app.commandWaits.wait(command.id, request.query.waitMs ?? DEFAULT_WAIT_MS)) ?? command)
        : command;
      // The gateway's word that the switch is being updated is the same answer as the cloud's own check.
      if (current.status === 'failed' && current.reason === 'device_updating') throw new DeviceUpdatingError();
      if (!isTerminal(current.status)) {
        // RFC 9110 §15.3.3: a 202 points at where the request's status can be monitored.
        reply.header('location', `${app.prefix}/commands/${current.id}`);
        return reply.code(202).send({ commandId: current.id, status: current.status });
      }
      const device = await devices.getForUser(request.userId, request.params.id);
      return reply.code(200).send({
        commandId: current.id,
        status: current.status as 'succeeded' | 'failed' | 'expired',
        ...(current.reason ? { reason: current.reason } : {}),
        ...(current.detail ? { detail: current.detail } : {}),
        state: device?.state ?? null,
      });
    },
  );
};

export default deviceRoutes;
