/** Firmware update jobs of single switches: start one, read it, list a device's, cancel one. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UpdateJobRecord } from '@switchfleet/cloud';
import { NotFoundError } from '@switchfleet/cloud';
import {
  created,
  DeviceUpdateParams,
  errorResponses as e,
  NewUpdateBody,
  UpdateJobBody,
  UpdateJobList,
  UpdateListQuery,
  UpdateParams,
} from '../../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['admin'];
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const view = ({ cancelRequestedAt: _c, ...j }: UpdateJobRecord) => ({
  ...j,
  deadline: j.deadline.toISOString(),
  createdAt: j.createdAt.toISOString(),
  startedAt: iso(j.startedAt),
  endedAt: iso(j.endedAt),
});

const updateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { updates } = app.cloud;

  app.post(
    '/devices/:id/updates',
    {
      config: { audit: { action: 'update.create', target: 'device' } },
      schema: {
        tags,
        security: secured,
        operationId: 'createUpdate',
        summary: 'Updates one switch to a release that passed its tests',
        description:
          'Answers 202 at once; the job then moves queued → running (phases) → succeeded | failed | cancelled. ' +
          '409 RELEASE_NOT_PASSED / RELEASE_REVOKED (the gate), DEVICE_BUSY (another active job) or DOWNGRADE ' +
          '(older than the switch runs: only a rollback rollout goes back); ' +
          '422 HARDWARE_MISMATCH or UNKNOWN_RELEASE.',
        params: DeviceUpdateParams,
        body: NewUpdateBody,
        response: { 202: created(UpdateJobBody), 400: e[400], 404: e[404], 409: e[409], 422: e[422], 500: e[500] },
      },
    },
    async (r, reply) => {
      const job = await updates.create(r.params.id, r.body.releaseId, { createdBy: r.operator.id });
      r.audit.detail = { jobId: job.id, releaseId: job.releaseId };
      return reply.code(202).header('location', `${app.prefix}/updates/${job.id}`).send(view(job));
    },
  );

  app.get(
    '/updates/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getUpdate',
        summary: 'One update job: state, phase, bytes, reason',
        params: UpdateParams,
        response: { 200: UpdateJobBody, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const job = await updates.get(r.params.id);
      if (!job) throw new NotFoundError('update job');
      return view(job);
    },
  );

  app.get(
    '/updates',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listUpdates',
        summary: "A device's update jobs, newest first",
        querystring: UpdateListQuery,
        response: { 200: UpdateJobList, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => (await updates.list(r.query.deviceId)).map(view),
  );

  app.post(
    '/updates/:id/cancel',
    {
      config: { audit: { action: 'update.cancel', target: 'update' } },
      schema: {
        tags,
        security: secured,
        operationId: 'cancelUpdate',
        summary: 'Cancels an update job',
        description:
          'A job whose gateway holds it and is online is asked to stop and ends with its answer, or cancelled ' +
          'when it does not answer in time; otherwise it ends cancelled at once and the cancel goes down when ' +
          'the gateway is back (a late result is kept as detail). The switch stays bootable on either image. ' +
          '409 UPDATE_ENDED.',
        params: UpdateParams,
        response: { 202: created(UpdateJobBody), 400: e[400], 404: e[404], 409: e[409], 500: e[500] },
      },
    },
    async (r, reply) => {
      const job = await updates.cancel(r.params.id);
      return reply.code(202).header('location', `${app.prefix}/updates/${job.id}`).send(view(job));
    },
  );
};

export default updateRoutes;
