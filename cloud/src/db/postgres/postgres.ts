/** node-postgres adapter: a pool against a PostgreSQL server given by DATABASE_URL. */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Database, Db } from '../database.ts';
import { migrationsFolder } from '../migrations-folder.ts';
import { claimKept } from './claim.ts';
import { listenKept } from './listen.ts';
import { namingClient, StatementNames } from './statements.ts';
import { schema } from '../schema.ts';

/** Arbitrary but fixed key: every cloud process migrating the same database takes the same lock. */
const MIGRATION_LOCK_KEY = 0x5f1ee7;

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
  /** Run the migrations first (default); a pool opened beside another one on the same database skips them. */
  migrate?: boolean;
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    Client: namingClient(new StatementNames()),
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that is an
  // uncaught exception. The next query reports the failure to its caller instead.
  pool.on('error', () => {});
  try {
    if (options.migrate !== false) await migrateUnderLock(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const db = drizzle({ client: pool, schema });
  /** How to stop what runs on connections outside the pool: LISTENs and claims, each in a session of its own. */
  const sessions = new Set<() => Promise<void>>();
  /** `stop`, run once, whether by its owner or by close(). */
  const kept = (stop: () => Promise<void>) => {
    sessions.add(stop);
    return async () => {
      if (sessions.delete(stop)) await stop();
    };
  };
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    db: db as unknown as Db,
    ping: () =>
      pool.query('select 1').then(
        () => true,
        () => false,
      ),
    share: async () => ({ kind: 'postgres', url: options.url }),
    async listen(channel, onPayload, onGap) {
      // LISTEN belongs to a session, so it needs its own connection outside the pool, one that is
      // opened again when it is lost (listen.ts).
      return kept(await listenKept({ url: options.url, channel, onPayload, onGap: onGap ?? (() => {}) }));
    },
    async claim(name, onLost) {
      // A session advisory lock on a connection of its own, taken again when that connection is lost (claim.ts).
      const release = await claimKept({ url: options.url, name, onLost: onLost ?? (() => {}) });
      return release && kept(release);
    },
    close() {
      closing ??= (async () => {
        const stops = [...sessions];
        sessions.clear();
        await Promise.all(stops.map((stop) => stop()));
        await pool.end();
      })();
      return closing;
    },
  };
}

/**
 * Several cloud processes (or test files) may start against one database at once; drizzle's migrator
 * is not safe to run concurrently (two "create table" races), so it runs under a session advisory
 * lock held on the very connection that migrates.
 */
async function migrateUnderLock(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle({ client, schema }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
