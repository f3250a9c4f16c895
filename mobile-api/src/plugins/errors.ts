/**
 * The one error handler: every failure leaves as `{ error: { code, message, details } }`. Validation
 * failures name their field; domain errors map by code; anything unexpected is logged and answered
 * as a bare 500 without internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import fp from 'fastify-plugin';
import { CloudError, type CloudErrorCode } from '@switchfleet/cloud';
import type { ErrorBody } from '../schemas.ts';
import { noRouteMessage } from '../http-errors.ts';

type Detail = ErrorBody['error']['details'][number];

const STATUS_BY_CLOUD_CODE: Record<CloudErrorCode, number> = {
  EMAIL_TAKEN: 409,
  GATEWAY_EXISTS: 409,
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  IDEMPOTENCY_KEY_REUSED: 422,
  // RFC 9110 §13.1.1: an If-Match that does not hold is 412 Precondition Failed.
  VERSION_CONFLICT: 412,
  NAME_TAKEN: 409,
  FORBIDDEN: 403,
  ALREADY_MEMBER: 409,
  INVALID_REFRESH_TOKEN: 401,
  SCHEDULE_TOO_FREQUENT: 400,
  LAST_ADMIN: 409,
  CONFIG_INVALID: 500,
};

/** Fastify's own client-error codes, renamed to stable API codes that do not leak the framework. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_ERR_BAD_URL: 'MALFORMED_URL',
};

export function errorBody(code: string, message: string, details: Detail[] = []): ErrorBody {
  return { error: { code, message, details } };
}

/** The field an Ajv error is about: its path, or the property it found missing or extra. */
function fieldOf(e: FastifySchemaValidationError): string {
  const params = e.params as Record<string, unknown>;
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const named = params.missingProperty ?? params.additionalProperty;
  if (typeof named === 'string') return path ? `${path}.${named}` : named;
  return path || '(root)';
}

function validationDetails(
  error: FastifyError & { validation?: FastifySchemaValidationError[]; validationContext?: string },
): Detail[] {
  return (error.validation ?? []).map((e) => {
    const detail: Detail = { field: fieldOf(e), message: e.message ?? 'is invalid' };
    if (error.validationContext) detail.in = error.validationContext;
    if (e.keyword === 'additionalProperties') detail.message = 'is not an allowed property';
    return detail;
  });
}

/**
 * Every failure's answer. Also fastify's `frameworkErrors`, for what its router refuses before any
 * route or hook runs (a malformed percent-encoding, a path segment over maxParamLength: 414).
 */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const validation = (error as { validation?: FastifySchemaValidationError[] }).validation;
  if (validation) {
    const details = validationDetails(error);
    const first = details[0];
    const message = first ? `${first.in ? `${first.in} ` : ''}${first.field} ${first.message}` : 'request is invalid';
    return reply.code(400).send(errorBody('VALIDATION_FAILED', message, details));
  }
  if (error instanceof CloudError) {
    const status = STATUS_BY_CLOUD_CODE[error.code];
    if (status < 500) {
      const details = error.field ? [{ field: error.field, message: error.message }] : [];
      return reply.code(status).send(errorBody(error.code, error.message, details));
    }
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // RFC 6750 §3: a 401 for a Bearer-protected resource names the scheme.
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    const retryAfter = (error as { retryAfterS?: unknown }).retryAfterS;
    if (status === 429 && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    // A domain error names the input at fault; fastify's own client errors (bad JSON, wrong content
    // type, body too large, ...) are about the body.
    const field = (error as { field?: unknown }).field;
    const details =
      typeof field === 'string'
        ? [{ field, message: error.message }]
        : error.code?.startsWith('FST_ERR_CTP')
          ? [{ field: 'body', in: 'body', message: error.message }]
          : [];
    const code =
      error.code && !error.code.startsWith('FST_') ? error.code : (FRAMEWORK_CODES[error.code] ?? 'BAD_REQUEST');
    return reply.code(status).send(errorBody(code, error.message, details));
  }
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
}

/** A request no route takes: 405 with Allow where the path exists for other methods, 404 otherwise. */
export function sendNoRoute(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '/';
  const allowed = app.allowedMethods(path);
  if (allowed.length > 0) {
    // RFC 9110 §15.5.6: the path exists, the method does not; Allow lists what does (§10.2.1).
    reply.header('allow', allowed.join(', '));
    const detail = { field: 'method', message: `allowed: ${allowed.join(', ')}` };
    return reply
      .code(405)
      .send(errorBody('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`, [detail]));
  }
  return reply.code(404).send(errorBody('NOT_FOUND', noRouteMessage(request.method, request.url)));
}

export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler(sendError);

    app.setNotFoundHandler((request, reply) => sendNoRoute(app, request, reply));
  },
  { name: 'errors', fastify: '5.x', dependencies: ['http-semantics'] },
);
