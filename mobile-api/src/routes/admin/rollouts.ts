/** Staged rollouts: plan one, start one, follow it, and pause, resume, cancel or approve it. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RolloutView } from '@switchfleet/cloud';
import { RolloutError, RolloutSpecSchema } from '@switchfleet/cloud';
import {
  created,
  errorResponses as e,
  RolloutBody,
  RolloutDevicePage,
  RolloutDeviceQuery,
  RolloutList,
  RolloutListQuery,
  RolloutParams,
  RolloutPlanBody,
} from '../../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['admin'];
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const times = <T extends { createdAt: Date; startedAt: Date | null; endedAt: Date | null }>(r: T) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  startedAt: iso(r.startedAt),
  endedAt: iso(r.endedAt),
});
const view = (r: RolloutView) => ({
  ...times(r),
  stages: r.stages.map((s) => ({
    ...s,
    successMetAt: iso(s.successMetAt),
    approvedAt: iso(s.approvedAt),
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
  })),
});
const found = (r: RolloutView | null) => {
  if (!r) throw new RolloutError('NOT_FOUND', 'no such rollout');
  return view(r);
};

const ACTIONS = {
  pause: 'Pauses a rollout: nothing more starts; jobs in flight finish and are counted. 409 INVALID_TRANSITION.',
  resume: 'Resumes a paused rollout. 409 INVALID_TRANSITION.',
  cancel:
    'Cancels a rollout: switches not started are cancelled, and queued and in-flight jobs are cancelled ' +
    '(each switch stays bootable on its old image). 409 INVALID_TRANSITION.',
  approve:
    'Approves the stage that waits for approval (the first, or the one after a soaked stage); it starts at once. ' +
    '409 INVALID_TRANSITION when none waits.',
} as const;

const rolloutRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { rollouts } = app.cloud;

  app.post(
    '/rollouts',
    {
      config: { audit: { action: 'rollout.create', target: 'rollout' } },
      schema: {
        tags,
        security: secured,
        operationId: 'createRollout',
        summary: 'Starts a staged rollout of a release that passed its tests',
        description:
          'Answers 201 with the rollout; it runs at once, or awaits approval when its first stage needs one. ' +
          'A device already in another active rollout is skipped (in_other_rollout). 409 RELEASE_NOT_PASSED / ' +
          'RELEASE_REVOKED (the gate) or DEVICE_IN_ROLLOUT; 422 INVALID_SPEC or UNKNOWN_RELEASE.',
        body: RolloutSpecSchema,
        response: { 201: created(RolloutBody), 400: e[400], 409: e[409], 422: e[422], 500: e[500] },
      },
    },
    async (r, reply) => {
      const rollout = await rollouts.create(r.body, { createdBy: r.operator.id });
      r.audit.target = { type: 'rollout', id: rollout.id };
      r.audit.detail = {
        releaseId: rollout.releaseId,
        devices: rollout.stages.reduce((n, s) => n + s.counts.total, 0),
      };
      return reply.code(201).header('location', `${app.prefix}/rollouts/${rollout.id}`).send(view(rollout));
    },
  );

  app.post(
    '/rollouts/plan',
    {
      config: { audit: { action: 'rollout.plan' } },
      schema: {
        tags,
        security: secured,
        operationId: 'planRollout',
        summary: 'The plan a rollout of this spec would follow now; changes nothing',
        description:
          'Per stage its devices, homes and gateways; the skipped devices and why; the radio time per gateway and ' +
          'the makespan with its lower bound. Same refusals as creating one.',
        body: RolloutSpecSchema,
        response: { 200: RolloutPlanBody, 400: e[400], 409: e[409], 422: e[422], 500: e[500] },
      },
    },
    async (r) => rollouts.plan(r.body),
  );

  app.get(
    '/rollouts',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listRollouts',
        summary: 'Rollouts, newest first',
        querystring: RolloutListQuery,
        response: { 200: RolloutList, 400: e[400], 500: e[500] },
      },
    },
    async (r) => (await rollouts.list(r.query.limit ?? 100)).map(times),
  );

  app.get(
    '/rollouts/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getRollout',
        summary: 'One rollout: state, stages with their counts, counts per gateway, the makespan report',
        params: RolloutParams,
        response: { 200: RolloutBody, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => found(await rollouts.get(r.params.id)),
  );

  app.get(
    '/rollouts/:id/devices',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listRolloutDevices',
        summary: "A rollout's devices with their state, why they wait or failed, a page at a time",
        params: RolloutParams,
        querystring: RolloutDeviceQuery,
        response: { 200: RolloutDevicePage, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const page = await rollouts.devices(r.params.id, r.query.after ?? null, r.query.limit ?? 100);
      return {
        ...page,
        items: page.items.map((d) => ({ ...d, retryAt: iso(d.retryAt), updatedAt: d.updatedAt.toISOString() })),
      };
    },
  );

  for (const action of ['pause', 'resume', 'cancel', 'approve'] as const) {
    app.post(
      `/rollouts/:id/${action}`,
      {
        config: { audit: { action: `rollout.${action}`, target: 'rollout' } },
        schema: {
          tags,
          security: secured,
          operationId: `${action}Rollout`,
          summary: `${action[0]!.toUpperCase()}${action.slice(1)}s a rollout`,
          description: ACTIONS[action],
          params: RolloutParams,
          response: { 200: RolloutBody, 400: e[400], 404: e[404], 409: e[409], 500: e[500] },
        },
      },
      async (r) =>
        view(
          action === 'approve'
            ? await rollouts.approve(r.params.id, r.operator.id)
            : await rollouts[action](r.params.id),
        ),
    );
  }
};

export default rolloutRoutes;
