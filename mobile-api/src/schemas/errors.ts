/** The one error shape of every non-2xx answer, and its per-status OpenAPI entries. */
import { Type, type Static } from 'typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED, NOT_FOUND' }),
      message: Type.String(),
      details: Type.Array(
        Type.Object({
          field: Type.String({ description: 'The offending field, e.g. "action" or "waitMs"' }),
          in: Type.Optional(Type.String({ description: 'body, querystring, params or headers' })),
          message: Type.String(),
        }),
      ),
    }),
  },
  {
    $id: 'ErrorBody',
    description: 'The one error shape of every non-2xx answer',
    examples: [
      {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'body action must be equal to one of the allowed values',
          details: [{ field: 'action', in: 'body', message: 'must be equal to one of the allowed values' }],
        },
      },
    ],
  },
);
export type ErrorBody = Static<typeof ErrorBody>;

type Detail = ErrorBody['error']['details'][number];

/** A documented error status: the shared ErrorBody by reference, with an example of that status. */
function errorAnswer(description: string, code: string, message: string, details: Detail[] = []) {
  return Type.Ref('ErrorBody', { description, examples: [{ error: { code, message, details } }] });
}

/** Shared by every route: error answers all have the same shape (plugins/errors.ts writes them). */
export const errorResponses = {
  400: errorAnswer('The request is invalid', 'VALIDATION_FAILED', 'params id must match format "uuid"', [
    { field: 'id', in: 'params', message: 'must match format "uuid"' },
  ]),
  401: errorAnswer('No valid access token (or wrong credentials)', 'UNAUTHORIZED', 'missing or invalid access token'),
  403: errorAnswer("Only the home's owner may do this", 'FORBIDDEN', 'only the owner may do this'),
  404: errorAnswer("Absent, or not the caller's", 'NOT_FOUND', 'device not found'),
  409: errorAnswer(
    'Conflicts with the current state',
    'NAME_TAKEN',
    'another room of this home already has that name',
    [{ field: 'name', message: 'another room of this home already has that name' }],
  ),
  412: errorAnswer(
    'If-Match does not match the current entity tag',
    'VERSION_CONFLICT',
    'version 6 is stale; the current version is 7',
    [{ field: 'If-Match', message: 'version 6 is stale; the current version is 7' }],
  ),
  413: errorAnswer('The body is over the size limit (1 MiB)', 'BODY_TOO_LARGE', 'Request body is too large', [
    { field: 'body', in: 'body', message: 'Request body is too large' },
  ]),
  414: errorAnswer(
    'The target URI, or one of its path segments, is too long',
    'URI_TOO_LONG',
    'the target URI is over 8000 octets',
  ),
  415: errorAnswer('The body is not application/json', 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: text/plain', [
    { field: 'body', in: 'body', message: 'Unsupported Media Type: text/plain' },
  ]),
  422: errorAnswer(
    'Idempotency key reused with another body',
    'IDEMPOTENCY_KEY_REUSED',
    'the idempotency key was used with another request',
  ),
  429: errorAnswer('Too many attempts; see Retry-After', 'RATE_LIMITED', 'too many login attempts; retry later'),
  500: errorAnswer('Unexpected failure; no internals are shown', 'INTERNAL', 'internal error'),
} as const;
