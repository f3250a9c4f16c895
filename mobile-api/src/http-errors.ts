/** Errors raised by the HTTP layer itself, shaped like the cloud's typed errors (a `code`). */

/** The base of one such error: its code, and the status the error handler answers it with. */
function httpError<const C extends string>(code: C, statusCode: number) {
  return class extends Error {
    readonly code = code;
    readonly statusCode = statusCode;
  };
}

export class UnauthorizedError extends httpError('UNAUTHORIZED', 401) {}

export class RateLimitedError extends httpError('RATE_LIMITED', 429) {
  constructor(
    message: string,
    /** Seconds until a retry may succeed; sent as Retry-After (RFC 9110 §10.2.3). */
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

export class PreconditionRequiredError extends httpError('PRECONDITION_INVALID', 400) {}

/** RFC 9110 §15.5.15: the target URI is longer than the server interprets. */
export class UriTooLongError extends httpError('URI_TOO_LONG', 414) {}

/**
 * The answer of a path no route serves, given also where a route exists but must not be revealed:
 * the admin scope to anyone but an operator, the household routes to an operator. Same code,
 * message and headers as the router's own 404 (plugins/errors.ts), so the two cannot be told apart.
 */
export class NoRouteError extends httpError('NOT_FOUND', 404) {
  constructor(method: string, url: string) {
    super(noRouteMessage(method, url));
  }
}

export function noRouteMessage(method: string, url: string): string {
  return `no route for ${method} ${url.split('?')[0] ?? '/'}`;
}

/** A firmware download whose signed URL is wrong, for another gateway, or expired. */
export class DownloadRefusedError extends Error {
  readonly code = 'DOWNLOAD_REFUSED';
  readonly statusCode = 403;
}

/** RFC 9110 §15.5.17: no byte of the range lies within the representation. */
export class RangeNotSatisfiableHttpError extends Error {
  readonly code = 'RANGE_NOT_SATISFIABLE';
  readonly statusCode = 416;
}
