/**
 * Both database adapters keep parameterized statements prepared by their text (db/pglite/statements.mjs,
 * db/postgres/statements.ts). Runs on the PostgreSQL of DATABASE_URL when it is set (one connection, so that
 * the session's prepared statements are the ones asked about), otherwise on PGlite.
 */
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, type Database } from '../src/db/database.ts';
import { openPglite } from '../src/db/pglite/pglite.ts';
import { openPostgres } from '../src/db/postgres/postgres.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';

let scratch: ScratchDatabase;
let database: Database;
beforeAll(async () => {
  scratch = await scratchDatabase(process.env.DATABASE_URL);
  database = scratch.url ? await openPostgres({ url: scratch.url, maxConnections: 1 }) : await openPglite({});
  await database.db.execute(sql.raw('create table shape (id int)'));
  await database.db.execute(sql.raw('insert into shape values (1), (2)'));
}, 60_000);
afterAll(async () => {
  await database?.close();
  await scratch?.drop();
});

async function runsOf(text: string): Promise<number> {
  const rows = rowsOf<{ runs: number }>(
    await database.db.execute(
      sql`select (generic_plans + custom_plans)::int as runs from pg_prepared_statements where statement = ${text}`,
    ),
  );
  return rows[0]?.runs ?? 0;
}

describe(`prepared statements on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('prepares a parameterized statement once and runs it again with new parameters', async () => {
    const query = (n: number) => sql`select id * ${n} as n from shape where id = 2`;
    const text = new PgDialect().sqlToQuery(query(0)).sql;
    expect(rowsOf(await database.db.execute(query(3)))).toEqual([{ n: 6 }]);
    expect(rowsOf(await database.db.execute(query(5)))).toEqual([{ n: 10 }]);
    expect(await runsOf(text)).toBe(2);
  });

  it('prepares a statement anew when the table it reads changed shape', async () => {
    const query = (id: number) => sql`select * from shape where id = ${id}`;
    expect(rowsOf(await database.db.execute(query(1)))).toEqual([{ id: 1 }]);
    await database.db.execute(sql.raw("alter table shape add column label text default 'x'"));
    expect(rowsOf(await database.db.execute(query(1)))).toEqual([{ id: 1, label: 'x' }]);
    expect(rowsOf(await database.db.execute(query(2)))).toEqual([{ id: 2, label: 'x' }]);
  });

  it('rolls back a transaction whose prepared statement fails, and runs that statement afterwards', async () => {
    await database.db.execute(sql.raw('create table once (id int primary key)'));
    const insert = (id: number) => sql`insert into once values (${id})`;
    const failure = database.db.transaction(async (tx) => {
      await tx.execute(insert(1));
      await tx.execute(insert(1));
    });
    await expect(failure).rejects.toMatchObject({ cause: { code: '23505' } });
    expect(rowsOf(await database.db.execute(sql`select count(*)::int as n from once where id > ${0}`))).toEqual([
      { n: 0 },
    ]);
    await database.db.execute(insert(1));
    expect(rowsOf(await database.db.execute(sql`select count(*)::int as n from once where id > ${0}`))).toEqual([
      { n: 1 },
    ]);
  });
});
