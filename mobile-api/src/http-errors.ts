/** Errors raised by the HTTP layer itself, shaped like the cloud's typed errors (a `code`). */
export class UnauthorizedError extends Error {
  readonly code = 'UNAUTHORIZED';
  readonly statusCode = 401;
}
