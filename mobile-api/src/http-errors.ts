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
