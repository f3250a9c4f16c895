/**
 * GET /v1/firmware/{sha256}: a release image for a gateway running an update job. Not behind a
 * token: the job's URL carries a short-lived signature (cloud/src/updates/signed-url.ts) made for
 * that gateway. Byte ranges per RFC 9110 §14, so a cut download resumes where it stopped.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { firmwarePath, NotFoundError, ReleaseError } from '@switchfleet/cloud';
import { Type } from 'typebox';
import { DownloadRefusedError, RangeNotSatisfiableHttpError } from '../http-errors.ts';
import { errorResponses as e, FirmwareParams, FirmwareQuery } from '../schemas.ts';

const SHA256 = /^[0-9a-f]{64}$/;

const binary = (description: string) => ({
  description,
  content: {
    'application/octet-stream': { schema: Type.String({ format: 'binary' }), example: '(image bytes)' },
  },
});

/**
 * The one range of a `Range: bytes=…` header (§14.1.2): first-last, first- or -suffix. Null when
 * absent, not a single byte range, or malformed: §14.2 lets a server ignore such a header and send
 * the whole representation.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

const firmwareRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { releases, downloadSigner } = app.cloud;

  app.get(
    '/firmware/:sha256',
    {
      schema: {
        tags: ['gateway'],
        // No token: the signed query is the credential.
        security: [],
        operationId: 'downloadFirmware',
        summary: 'A release image, by the signed URL of an update job (Range supported)',
        description:
          'The query (gw, exp, sig) is the signature the update job carried; wrong or expired → 403. ' +
          'Range: bytes=first-last | first- | -suffix → 206 with Content-Range; past the end → 416.',
        params: FirmwareParams,
        querystring: FirmwareQuery,
        response: {
          200: binary('The image'),
          206: binary('The asked range of the image'),
          400: e[400],
          403: e[403],
          404: e[404],
          416: Type.Ref('ErrorBody', {
            description: 'The range starts past the end (Content-Range: bytes */size)',
            examples: [{ error: { code: 'RANGE_NOT_SATISFIABLE', message: 'the image has 4096 bytes', details: [] } }],
          }),
          500: e[500],
        },
      },
    },
    async (r, reply) => {
      const { sha256 } = r.params;
      if (!SHA256.test(sha256)) throw new NotFoundError('image');
      if (!downloadSigner.verify(firmwarePath(sha256), r.query)) {
        throw new DownloadRefusedError('the download URL is not valid here or has expired');
      }
      const head = await releases.readImage(sha256, { offset: 0, length: 1 });
      const size = head.size;
      reply.header('accept-ranges', 'bytes').header('etag', `"${sha256}"`);
      const range = parseRange(r.headers.range, size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${size}`);
        throw new RangeNotSatisfiableHttpError(`the image has ${size} bytes`);
      }
      try {
        reply.type('application/octet-stream');
        if (range === null) return reply.code(200).send((await releases.readImage(sha256)).bytes);
        const part = await releases.readImage(sha256, { offset: range.start, length: range.end - range.start + 1 });
        return reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).send(part.bytes);
      } catch (err) {
        if (err instanceof ReleaseError && err.code === 'RANGE_NOT_SATISFIABLE')
          throw new RangeNotSatisfiableHttpError(err.message);
        throw err;
      }
    },
  );
};

export default firmwareRoutes;
