import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseClosedError, PgliteThreadClient } from '../src/db/pglite/client.ts';

describe('PGlite on its own thread', () => {
  let client: PgliteThreadClient;
  beforeAll(async () => {
    client = await PgliteThreadClient.start({ setup: ['create table t (id int primary key, v text)'] });
  }, 60_000);
  afterAll(() => client.close());

  it('answers a query with rows and fields, parameters bound', async () => {
    const result = await client.query<{ n: number; s: string }>('select $1::int + 1 as n, $2::text as s', [41, 'hi']);
    expect(result.rows).toEqual([{ n: 42, s: 'hi' }]);
    expect(result.fields.map((f) => f.name)).toEqual(['n', 's']);
  });

  it('returns arrays in array row mode and applies caller parsers to text of their type here', async () => {
    const timestamptz = 1184;
    const result = await client.query<unknown[]>("select timestamptz '2026-01-02 03:04:05+00' as at, 7 as n", [], {
      rowMode: 'array',
      parsers: { [timestamptz]: (text) => `parsed:${text}` },
    });
    expect(result.rows).toEqual([['parsed:2026-01-02 03:04:05+00', 7]]);
  });

  it('rejects with the PostgreSQL error, its SQLSTATE and constraint kept', async () => {
    await client.query("insert into t values (1, 'a')");
    const error = await client.query("insert into t values (1, 'b')").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect((await client.query('select v from t where id = 1')).rows).toEqual([{ v: 'a' }]);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await client.transaction(async (tx) => {
      await tx.query("insert into t values (2, 'kept')");
    });
    const failure = client.transaction(async (tx) => {
      await tx.query("insert into t values (3, 'gone')");
      throw new Error('changed my mind');
    });
    await expect(failure).rejects.toThrow('changed my mind');
    const rows = (await client.query<{ id: number }>('select id from t where id in (2, 3) order by id')).rows;
    expect(rows).toEqual([{ id: 2 }]);
  });

  it('keeps a statement from outside waiting until an open transaction ends', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const tx = client.transaction(async (t) => {
      await t.query("insert into t values (4, 'inside')");
      await held;
      order.push('commit');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const outside = client.query<{ n: number }>('select count(*)::int as n from t where id = 4').then((r) => {
      order.push('outside');
      return r.rows[0]!.n;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await tx;
    expect(await outside).toBe(1);
    expect(order).toEqual(['commit', 'outside']);
  });

  it('runs one statement text again with new parameters and gets the new answer', async () => {
    const text = 'select $1::int * 2 as n';
    expect((await client.query<{ n: number }>(text, [2])).rows).toEqual([{ n: 4 }]);
    expect((await client.query<{ n: number }>(text, [21])).rows).toEqual([{ n: 42 }]);
    expect((await client.query<{ n: number | null }>(text, [null])).rows).toEqual([{ n: null }]);
  });

  it('answers the next statement after one that does not parse', async () => {
    await expect(client.query('selec 1')).rejects.toMatchObject({ code: '42601' });
    await expect(client.query('select $1::int as n', ['x'])).rejects.toMatchObject({ code: '22P02' });
    expect((await client.query<{ n: number }>('select $1::int as n', [5])).rows).toEqual([{ n: 5 }]);
  });

  it('prepares a statement anew when the table it reads changed shape', async () => {
    await client.query('create table shape (id int)');
    await client.query('insert into shape values (1)');
    const text = 'select * from shape';
    expect((await client.query(text)).rows).toEqual([{ id: 1 }]);
    await client.query("alter table shape add column label text default 'x'");
    expect((await client.query(text)).rows).toEqual([{ id: 1, label: 'x' }]);
  });

  it('rolls back a transaction whose statement fails, and the statement works afterwards', async () => {
    const text = "insert into t values ($1, 'tx')";
    const failure = client.transaction(async (tx) => {
      await tx.query(text, [10]);
      await tx.query(text, [10]);
    });
    await expect(failure).rejects.toMatchObject({ code: '23505' });
    expect((await client.query('select id from t where id = 10')).rows).toEqual([]);
    await client.query(text, [10]);
    expect((await client.query('select id from t where id = 10')).rows).toEqual([{ id: 10 }]);
  });

  it('serves a client on an attached port from the same database, transactions included', async () => {
    const other = PgliteThreadClient.overPort(await client.attach());
    try {
      await other.query("insert into t values (20, 'from the port')");
      expect((await client.query('select v from t where id = 20')).rows).toEqual([{ v: 'from the port' }]);
      await other.transaction(async (tx) => {
        await tx.query("update t set v = 'changed in a transaction' where id = 20");
      });
      expect((await client.query('select v from t where id = 20')).rows).toEqual([{ v: 'changed in a transaction' }]);
    } finally {
      await other.close();
    }
    // Letting go of a port leaves the database open for its owner.
    expect((await client.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }]);
    await expect(other.query('select 1')).rejects.toBeInstanceOf(DatabaseClosedError);
  });

  it('keeps LISTEN for the owner: an attached port is refused', async () => {
    const other = PgliteThreadClient.overPort(await client.attach());
    try {
      await expect(other.listen('sf_port', () => {})).rejects.toThrow(
        'listen is for the thread that opened the database',
      );
      // Refused again, not taken as listening by a failed first attempt.
      await expect(other.listen('sf_port', () => {})).rejects.toThrow(
        'listen is for the thread that opened the database',
      );
    } finally {
      await other.close();
    }
  });

  it('rolls back the open transaction of a port that goes away, so that it does not hold the database', async () => {
    const other = PgliteThreadClient.overPort(await client.attach());
    let inside!: () => void;
    const opened = new Promise<void>((resolve) => (inside = resolve));
    // The transaction's function never ends: its thread went away in the middle of it.
    void other
      .transaction(async (tx) => {
        await tx.query("insert into t values (21, 'orphan')");
        inside();
        await new Promise(() => {});
      })
      .catch(() => {});
    await opened;
    await other.close();
    expect((await client.query<{ n: number }>('select count(*)::int as n from t where id = 21')).rows).toEqual([
      { n: 0 },
    ]);
  });

  it('delivers NOTIFY payloads to listeners until they stop', async () => {
    const heard: string[] = [];
    const stop = await client.listen('sf_test', (payload) => heard.push(payload));
    await client.query("select pg_notify('sf_test', 'one')");
    await expect.poll(() => heard).toEqual(['one']);
    await stop();
    await client.query("select pg_notify('sf_test', 'two')");
    await client.query('select 1');
    expect(heard).toEqual(['one']);
  });
});

it('fails every call after close with a typed error, and closes twice without complaint', async () => {
  const client = await PgliteThreadClient.start({});
  await client.close();
  await client.close();
  expect(client.closed).toBe(true);
  await expect(client.query('select 1')).rejects.toBeInstanceOf(DatabaseClosedError);
}, 60_000);
