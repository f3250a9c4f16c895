/** PGlite adapter: PostgreSQL compiled to WASM, in-process. Files under a data dir, or in memory. */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Database, Db } from './database.ts';
import { migrationsFolder } from './migrations-folder.ts';
import { schema } from './schema.ts';

export interface PgliteOptions {
  /** Directory for the database files; omitted means in memory (tests). */
  dataDir?: string | undefined;
}

export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const client = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  // In memory nothing outlives the process, so waiting at each commit for the WAL flush buys nothing.
  if (!options.dataDir) await client.exec('set synchronous_commit = off');
  const db = drizzle({ client, schema });
  try {
    await migrate(db, { migrationsFolder });
  } catch (e) {
    await client.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    async ping() {
      try {
        await client.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async listen(channel, onPayload) {
      const stop = await client.listen(channel, onPayload);
      return async () => {
        if (!client.closed) await stop();
      };
    },
    close() {
      closing ??= client.closed ? Promise.resolve() : client.close();
      return closing;
    },
  };
}
