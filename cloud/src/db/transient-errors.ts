/** Database errors a moment cures, told apart from those no retry can (a bad statement, bad data). */

/**
 * SQLSTATEs a moment cures: class 08 (connection exception), 40001 serialization failure, 40P01
 * deadlock, 53300 too many connections, 57P01-57P03 (server shutting down or starting).
 */
const TRANSIENT_STATES = new Set(['40001', '40P01', '53300', '57P01', '57P02', '57P03']);
/** Socket errors of a server that is away (Node's errno codes). */
const TRANSIENT_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Whether the error, or one it wraps (drizzle keeps the driver's as `cause`), is transient. */
export function isTransientDbError(e: unknown): boolean {
  for (
    let err = e as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
    err;
    err = err.cause as typeof err
  ) {
    const code = typeof err.code === 'string' ? err.code : '';
    if (code.startsWith('08') || TRANSIENT_STATES.has(code) || TRANSIENT_ERRNOS.has(code)) return true;
    // node-postgres: a connection the server closed under a query fails with this message and no code.
    if (typeof err.message === 'string' && /Connection terminated/.test(err.message)) return true;
  }
  return false;
}

/**
 * Whether the error, or one it wraps, is about the data written rather than the database: SQLSTATE
 * class 22 (data exception) or 23 (integrity constraint violation). Writing the same rows again fails
 * alike, but rows written without the one at fault succeed.
 */
export function isDataDbError(e: unknown): boolean {
  for (let err = e as { code?: unknown; cause?: unknown } | undefined; err; err = err.cause as typeof err) {
    const code = typeof err.code === 'string' ? err.code : '';
    if (/^2[23][0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}
