/**
 * Firmware releases for operators: upload (the image as the body), read, the report of the release
 * suite, retest a failed one, revoke a passed one (admins only). No route here can make a release
 * `passed`: only the suite's own result does.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Release, ReleaseReport } from '@switchfleet/cloud';
import { requireRole } from '../../plugins/admin.ts';
import {
  created,
  errorResponses as e,
  ImageUpload,
  ReleaseBody,
  ReleaseList,
  ReleaseListQuery,
  ReleaseParams,
  ReleaseReportBody,
  UploadQuery,
} from '../../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['admin'];
const IMAGE_TYPE = 'application/octet-stream';

const view = ({ createdBy: _by, ...r }: Release) => ({ ...r, createdAt: r.createdAt.toISOString() });
const reportView = (r: ReleaseReport) => ({
  sha256: r.sha256,
  suiteVersion: r.suiteVersion,
  outcome: r.outcome,
  cases: r.cases.map((c) => ({ ...c, detail: c.detail ?? null })),
  createdAt: r.createdAt.toISOString(),
});

/**
 * POST /releases in a context of its own: it takes the image's bytes and nothing else (any other
 * media type is 415, RFC 9110 §15.5.16), and no more of them than the cloud's limit. With that limit
 * as the route's bodyLimit, fastify answers 413 from Content-Length before reading the body, or as
 * soon as a chunked one grows past it (RFC 9110 §15.5.14).
 */
const uploadRoute: FastifyPluginAsyncTypebox = async (app) => {
  const { releases } = app.cloud;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(IMAGE_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/releases',
    {
      bodyLimit: releases.maxImageBytes,
      config: { audit: { action: 'release.upload', target: 'release' } },
      schema: {
        tags,
        security: secured,
        operationId: 'uploadRelease',
        summary: 'Upload a signed firmware image as a release; it is tested before it may ship',
        description:
          'Checked on upload: MCUboot structure, hash, a signature by a trusted key, a known hardware id and a ' +
          'version newer than every release of that model. A defect is 422 with its code (MALFORMED, BAD_HASH, ' +
          'BAD_SIGNATURE, UNKNOWN_KEY, UNKNOWN_HARDWARE, DOWNGRADE); the same image again is 409 DUPLICATE ' +
          'naming its release; over the size limit, 413. On any error nothing is stored.',
        consumes: [IMAGE_TYPE],
        querystring: UploadQuery,
        body: ImageUpload,
        response: {
          201: created(ReleaseBody),
          400: e[400],
          404: e[404],
          409: e[409],
          422: e[422],
          500: e[500],
        },
      },
    },
    async (r, reply) => {
      r.audit.detail = { size: r.body.length };
      const release = await releases.upload(r.body, {
        ...(r.query.notes === undefined ? {} : { notes: r.query.notes }),
        actor: r.operator.id,
      });
      r.audit.target = { type: 'release', id: release.id };
      r.audit.detail = { ...r.audit.detail, version: release.version, sha256: release.sha256 };
      return reply.code(201).header('location', `${app.prefix}/releases/${release.id}`).send(view(release));
    },
  );
};

const releaseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { releases } = app.cloud;

  await app.register(uploadRoute);

  app.get(
    '/releases',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listReleases',
        summary: 'Releases, newest first, at most `limit` of them; filters by hardware model and state',
        querystring: ReleaseListQuery,
        response: { 200: ReleaseList, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) =>
      (
        await releases.list({
          ...(r.query.hardwareId === undefined ? {} : { hardwareId: r.query.hardwareId }),
          ...(r.query.state === undefined ? {} : { state: r.query.state }),
          // The schema's default fills it in; the fallback only satisfies the type.
          limit: r.query.limit ?? 50,
        })
      ).map(view),
  );

  app.get(
    '/releases/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getRelease',
        summary: 'One release and its state',
        params: ReleaseParams,
        response: { 200: ReleaseBody, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => view(await releases.get(r.params.id)),
  );

  app.get(
    '/releases/:id/report',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getReleaseReport',
        summary: "The release suite's latest report on the release's image: every case with its outcome",
        description: '404 while no run has finished (the release is still testing).',
        params: ReleaseParams,
        response: { 200: ReleaseReportBody, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => reportView(await releases.report(r.params.id)),
  );

  app.post(
    '/releases/:id/test',
    {
      config: { audit: { action: 'release.retest', target: 'release' } },
      schema: {
        tags,
        security: secured,
        operationId: 'retestRelease',
        summary: 'Test a failed release again (it goes back to testing)',
        description: 'Only a failed release can be tested again: 409 RELEASE_STATE otherwise.',
        params: ReleaseParams,
        response: { 200: ReleaseBody, 400: e[400], 404: e[404], 409: e[409], 500: e[500] },
      },
    },
    async (r) => view(await releases.retest(r.params.id)),
  );

  app.post(
    '/releases/:id/revoke',
    {
      onRequest: requireRole('admin'),
      config: { audit: { action: 'release.revoke', target: 'release' } },
      schema: {
        tags,
        security: secured,
        operationId: 'revokeRelease',
        summary: 'Revoke a passed release: it may no longer ship (admins only)',
        description: 'Only a passed release can be revoked: 409 RELEASE_STATE otherwise.',
        params: ReleaseParams,
        response: { 200: ReleaseBody, 400: e[400], 403: e[403], 404: e[404], 409: e[409], 500: e[500] },
      },
    },
    async (r) => view(await releases.revoke(r.params.id)),
  );
};

export default releaseRoutes;
