/** Errors raised by the HTTP layer itself, shaped like the cloud's typed errors (a `code`). */
export class UnauthorizedError extends Error {
  readonly code = 'UNAUTHORIZED';
  readonly statusCode = 401;
}

export class RateLimitedError extends Error {
  readonly code = 'RATE_LIMITED';
  readonly statusCode = 429;
  constructor(
    message: string,
    /** Seconds until a retry may succeed; sent as Retry-After (RFC 9110 §10.2.3). */
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

export class PreconditionRequiredError extends Error {
  readonly code = 'PRECONDITION_INVALID';
  readonly statusCode = 400;
}

/** RFC 9110 §15.5.15: the target URI is longer than the server interprets. */
export class UriTooLongError extends Error {
  readonly code = 'URI_TOO_LONG';
  readonly statusCode = 414;
}

/**
 * The answer of a path no route serves, given also where a route exists but must not be revealed:
 * the admin scope to anyone but an operator, the household routes to an operator. Same code,
 * message and headers as the router's own 404 (plugins/errors.ts), so the two cannot be told apart.
 */
export class NoRouteError extends Error {
  readonly code = 'NOT_FOUND';
  readonly statusCode = 404;
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
