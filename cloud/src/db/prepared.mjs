// What the two statement caches (postgres/statements.ts, pglite/statements.mjs) agree on. Plain JavaScript:
// the PGlite thread starts without the TypeScript loader the parent may run under.

/** Statement texts kept prepared; later ones run unnamed (a bound on the memory the server keeps for them). */
export const MAX_PREPARED = 500;

/**
 * SQLSTATE feature_not_supported, raised as "cached plan must not change result type" when a table a
 * prepared statement reads changed shape since it was prepared.
 */
export const PLAN_CHANGED = '0A000';
