/**
 * The update tick on an idle fleet: with no active job it costs one query per tick (an indexed
 * EXISTS), not the deadline sweep and the redelivery each time. On PGlite, or the PostgreSQL of
 * DATABASE_URL when set.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import type { Database, Db } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open.ts';
import { EventBus } from '../src/events/bus.ts';
import type { ReleaseService } from '../src/releases/releases.ts';
import { createUpdates } from '../src/updates/index.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';

let scratch: ScratchDatabase;
let database: Database;

beforeAll(async () => {
  scratch = await scratchDatabase(parseConfig().databaseUrl);
  database = await openDatabase({ databaseUrl: scratch.url });
});
afterAll(async () => {
  await database?.close();
  await scratch?.drop();
});

const QUERY_METHODS = new Set(['execute', 'select', 'update', 'insert', 'delete']);

/** The database, counting every statement begun through it. */
function counting(db: Db): { db: Db; count: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!QUERY_METHODS.has(String(key))) return value.bind(target);
      return (...args: unknown[]) => {
        n += 1;
        return value.apply(target, args);
      };
    },
  });
  return { db: proxy, count: () => n };
}

it('costs an idle fleet at most one query per tick', async () => {
  const logger = pino({ level: 'silent' });
  const counted = counting(database.db);
  const domain = createUpdates(
    {
      db: counted.db,
      bus: new EventBus(database, logger),
      releases: {} as ReleaseService,
      publisher: { publish: async () => {} },
      logger,
    },
    { updateTickMs: 20 },
  );
  await domain.dispatcher.setPublicUrl('http://cloud.example.test');
  const before = counted.count();
  const started = Date.now();
  const stop = domain.start(logger);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await stop();
  const ticks = Math.floor((Date.now() - started) / 20);
  const queries = counted.count() - before;
  // Ticks ran (the count is not vacuous; a loaded machine may skip some), none with more than one statement.
  expect(queries).toBeGreaterThanOrEqual(3);
  expect(queries).toBeLessThanOrEqual(ticks + 1);
});
