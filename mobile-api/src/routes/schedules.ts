/** Schedules per switch: cron + IANA time zone + action, run by the cloud once per occurrence. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchfleet/cloud';
import { Type } from 'typebox';
import {
  created,
  DeviceParams,
  errorResponses as e,
  Schedule,
  ScheduleBody,
  ScheduleList,
  ScheduleParams,
} from '../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['schedules'];

const scheduleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const { schedules } = app.cloud;

  app.post(
    '/devices/:id/schedules',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'createSchedule',
        summary: 'Add a schedule to a switch',
        description:
          'At most once a minute: an expression that would fire more often answers 400 with code ' +
          'SCHEDULE_TOO_FREQUENT.',
        params: DeviceParams,
        body: ScheduleBody,
        response: { 201: created(Schedule), 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    async (r, reply) => {
      const schedule = await schedules.create(r.userId, r.params.id, r.body);
      return reply.code(201).header('location', `${app.prefix}/schedules/${schedule.id}`).send(schedule);
    },
  );
  app.get(
    '/devices/:id/schedules',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listSchedules',
        summary: 'Schedules of a switch',
        params: DeviceParams,
        response: { 200: ScheduleList, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const list = await schedules.list(r.userId, r.params.id);
      if (!list) throw new NotFoundError('device');
      return list;
    },
  );
  app.get(
    '/schedules/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getSchedule',
        summary: 'One schedule',
        params: ScheduleParams,
        response: { 200: Schedule, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    (r) => schedules.get(r.userId, r.params.id),
  );
  app.delete(
    '/schedules/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'deleteSchedule',
        summary: 'Delete a schedule',
        params: ScheduleParams,
        response: { 204: Type.Null({ description: 'Deleted' }), 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    async (r, reply) => {
      await schedules.remove(r.userId, r.params.id);
      return reply.code(204).send(null);
    },
  );
};

export default scheduleRoutes;
