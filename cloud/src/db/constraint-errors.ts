/** Constraint violations read from a database error, so a service can answer them as domain errors. */

/**
 * The name of the unique key a statement ran into (SQLSTATE 23505, unique_violation), looking
 * through drizzle's wrapper, which keeps the driver's error as `cause`; undefined for any other error.
 */
export function violatedUniqueKey(e: unknown): string | undefined {
  let err = e as { code?: unknown; constraint?: unknown; cause?: unknown } | undefined;
  while (err) {
    if (err.code === '23505') return typeof err.constraint === 'string' ? err.constraint : '';
    err = err.cause as typeof err;
  }
  return undefined;
}
