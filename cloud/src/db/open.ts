/** Chooses the Database adapter at the edge: a DATABASE_URL means PostgreSQL, otherwise PGlite. */
import type { Database } from './database.ts';
import { openPglite } from './pglite/pglite.ts';
import { openPostgres } from './postgres/postgres.ts';

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** PGlite directory; ignored when databaseUrl is set; omitted with no URL means in memory. */
  dataDir?: string | undefined;
}

export function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres({ url: options.databaseUrl });
  return openPglite({ dataDir: options.dataDir });
}
