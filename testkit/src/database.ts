/**
 * Test databases. Without a server URL the cloud uses in-memory PGlite. With one (DATABASE_URL), each
 * caller gets a fresh database created on that server and dropped afterwards, so test files running
 * in parallel never see each other's rows. The role in the URL needs CREATEDB.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { rowsOf, type Database } from '@switchfleet/cloud';

export interface ScratchDatabase {
  /** URL of the fresh database, or undefined for in-memory PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function scratchDatabase(serverUrl: string | undefined): Promise<ScratchDatabase> {
  if (!serverUrl) return { url: undefined, drop: async () => {} };
  const name = `sf_test_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => dropDatabase(serverUrl, name),
  };
}

/**
 * DROP … WITH (FORCE) ends the sessions still in the database, but refuses (42501) when one of them
 * is an autovacuum worker and the role lacks pg_signal_backend; such a worker is done within moments.
 */
async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin(serverUrl, `drop database if exists ${name} with (force)`);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '42501' || attempt >= 20) throw e;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Ends every LISTEN session on the cloud's PostgreSQL database, as a server restart or a cut
 * connection would (pg_stat_activity shows a listening session's last statement, its LISTEN).
 * Returns how many it ended.
 */
export async function cutListeningSessions(database: Database): Promise<number> {
  const result = await database.db.execute(sql`
    select count(*) filter (where pg_terminate_backend(pid))::integer as n from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`);
  return rowsOf<{ n: number }>(result)[0]?.n ?? 0;
}
