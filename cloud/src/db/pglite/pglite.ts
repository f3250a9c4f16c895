/**
 * PGlite adapter: PostgreSQL compiled to WASM, run in a worker thread of this process (see
 * thread.mjs for why), with files under a data dir or in memory.
 */
import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Database, Db } from '../database.ts';
import { migrationsFolder } from '../migrations-folder.ts';
import { PgliteThreadClient } from './client.ts';
import { schema } from '../schema.ts';

export interface PgliteOptions {
  /** Directory for the database files; omitted means in memory (tests). */
  dataDir?: string | undefined;
}

/** drizzle on a thread client: its pglite driver calls only query and transaction, which the client provides. */
export function drizzleOver(client: PgliteThreadClient) {
  return drizzle({ client: client as unknown as PGlite, schema });
}

export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const client = await PgliteThreadClient.start({
    dataDir: options.dataDir,
    // In memory nothing outlives the process, so waiting at each commit for the WAL flush buys nothing.
    setup: options.dataDir ? [] : ['set synchronous_commit = off'],
  });
  const db = drizzleOver(client);
  try {
    await migrate(db, { migrationsFolder });
  } catch (e) {
    await client.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  // One PGlite belongs to one process, so the names its users hold are known right here.
  const claimed = new Set<string>();
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    ping: () =>
      client.query('select 1').then(
        () => true,
        () => false,
      ),
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    share: async () => ({ kind: 'pglite', port: await client.attach() }),
    async claim(name) {
      if (claimed.has(name)) return null;
      claimed.add(name);
      return async () => void claimed.delete(name);
    },
    close() {
      closing ??= client.close();
      return closing;
    },
  };
}
