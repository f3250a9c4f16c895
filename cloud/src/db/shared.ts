/**
 * The other side of `Database.share()`: a thread of the cloud's process other than the one that
 * opened the database (the ingest worker) opens its own `Db` on the same database. Against a server
 * that is a small pool of its own; with PGlite, a client on the port to the PGlite thread, so both
 * threads' statements run in the one PGlite. Migrations have run already; nothing here runs them.
 */
import type { Db, SharedDatabase } from './database.ts';
import { PgliteThreadClient } from './pglite/client.ts';
import { drizzleOver } from './pglite/pglite.ts';
import { openPostgres } from './postgres/postgres.ts';

export interface SharedDb {
  db: Db;
  /** Lets go of the pool or the port; the database itself stays open for its owner. */
  close(): Promise<void>;
}

export async function openShared(shared: SharedDatabase, maxConnections = 2): Promise<SharedDb> {
  if (shared.kind === 'postgres') {
    const database = await openPostgres({ url: shared.url, maxConnections, migrate: false });
    return { db: database.db, close: () => database.close() };
  }
  const client = PgliteThreadClient.overPort(shared.port);
  return { db: drizzleOver(client) as unknown as Db, close: () => client.close() };
}
