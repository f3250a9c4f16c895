/**
 * drizzle-kit configuration. Run from the repository root (`npm run db:generate`); paths are relative
 * to it. The generated SQL is committed under `migrations/` and applied at start by each driver's
 * migrator (cloud/src/db/pglite/pglite.ts, cloud/src/db/postgres/postgres.ts).
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './cloud/src/db/schema.ts',
  out: './migrations',
});
