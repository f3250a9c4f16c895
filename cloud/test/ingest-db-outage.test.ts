/**
 * The ingest keeps what arrives while its database connection is cut (a PostgreSQL restart or
 * failover looks the same to it): a batch that fails for such a reason is written again, not dropped.
 * Cutting a server's connections needs a server, so this runs on PostgreSQL (DATABASE_URL, which
 * .ci/run sets); PGlite lives in this process and has no connections to cut.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud, type Cloud } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import { rowsOf } from '../src/db/database.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { capturedLogger, household, randomAddress, connectGateway } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { startPlainBroker } from '@switchfleet/testkit/broker';

const databaseUrl = parseConfig().databaseUrl;
let scratch: ScratchDatabase;
let broker: Awaited<ReturnType<typeof startPlainBroker>>;
let cloud: Cloud;
beforeAll(async () => {
  scratch = await scratchDatabase(databaseUrl);
  broker = await startPlainBroker();
  cloud = await createCloud({ databaseUrl: scratch.url, mqttUrl: broker.url, sharedGroup: null });
});
afterAll(async () => {
  await cloud?.close();
  await broker?.close();
  await scratch?.drop();
});

/**
 * Cuts the ingest's connection in the middle of its statement, as a server restart would: the history
 * table is locked first, so the ingest statement is certain to be running (waiting on the lock) when
 * its session is ended; then the lock goes. Cuts `sessions` statements, or every statement for
 * `forMs` (an outage that long). Returns how many statements were cut.
 */
async function cutIngestMidStatement(sessions: number, forMs = 0): Promise<number> {
  const admin = new pg.Client({ connectionString: scratch.url });
  await admin.connect();
  let cut = 0;
  const started = Date.now();
  try {
    await admin.query('begin');
    await admin.query('lock table device_state_history in access exclusive mode');
    while (cut < sessions || Date.now() - started < forMs) {
      // Inside a transaction the activity view is read once and kept: ask for a fresh one each time.
      await admin.query('select pg_stat_clear_snapshot()');
      // pg_stat_activity keeps a statement's first 1 kB: the ingest statement starts with this.
      const { rows: waiting } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
         and state = 'active' and wait_event_type = 'Lock' and query like '%with input as%from unnest(%'`,
      );
      if (waiting[0]) {
        const { rows } = await admin.query<{ cut: boolean }>('select pg_terminate_backend($1) as cut', [
          waiting[0].pid,
        ]);
        if (rows[0]?.cut) cut += 1;
        continue;
      }
      // Nothing to cut (yet): an ingest that dropped its reports has nothing more to write.
      if (Date.now() - started > Math.max(forMs, 10_000)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await admin.query('commit').catch(() => {});
    await admin.end();
  }
  return cut;
}

it.runIf(databaseUrl)(
  'writes every report that arrives while its database connection is cut mid-statement, none counted failed',
  async () => {
    const h = await household(cloud);
    const gateway = await connectGateway(cloud, h.credentials, broker.url);
    try {
      await gateway.announce();
      const address = randomAddress();
      await gateway.report({ address, model: 'WoHand' }, { battery: 0 });
      await eventually(async () => cloud.services.ingest.stats().deviceStates >= 1);

      // The statement is cut twice (its first attempt and its first retry) while reports keep arriving.
      const cutting = cutIngestMidStatement(2);
      const reports = 200;
      for (let i = 1; i <= reports; i++) await gateway.report({ address, model: 'WoHand' }, { battery: i % 100 });
      expect(await cutting).toBe(2);

      await eventually(
        async () =>
          cloud.services.ingest.stats().deviceStates >= reports + 1 || cloud.services.ingest.stats().failed > 0,
        30_000,
      );
      await cloud.services.ingest.idle();
      expect(cloud.services.ingest.stats().failed).toBe(0);
      const [stored] = rowsOf<{ n: number }>(
        await cloud.db.execute(
          sql`select count(*)::integer as n from device_state_history h join devices d on d.id = h.device_id where d.address = ${address}`,
        ),
      );
      expect(stored!.n).toBe(reports + 1);
    } finally {
      await gateway.close();
    }
  },
  60_000,
);

it.runIf(databaseUrl)(
  'leaves what it could not write to the broker when the database stays away past its budget, and stores it all once back (kept session)',
  async () => {
    // A broker of its own: the other cloud of this file would store the same reports.
    const ownBroker = await startPlainBroker();
    const { logger, messages: logged } = capturedLogger();
    const kept = await createCloud({
      databaseUrl: scratch.url,
      mqttUrl: ownBroker.url,
      sharedGroup: null,
      instanceId: 'db-outage',
      ingestRetryForMs: 300,
      logger,
    });
    const h = await household(kept);
    const gateway = await connectGateway(kept, h.credentials, ownBroker.url);
    try {
      await gateway.announce();
      const address = randomAddress();
      await gateway.report({ address, model: 'WoHand' }, { battery: 0 });
      await eventually(async () => kept.services.ingest.stats().deviceStates >= 1);

      // Every statement is cut for 3 s, ten times the budget: the batch is given up at least once.
      const cutting = cutIngestMidStatement(1, 3000);
      const reports = 100;
      for (let i = 1; i <= reports; i++) await gateway.report({ address, model: 'WoHand' }, { battery: i % 100 });
      expect(await cutting).toBeGreaterThan(1);

      const stored = async () =>
        rowsOf<{ n: number }>(
          await kept.db.execute(
            sql`select count(*)::integer as n from device_state_history h join devices d on d.id = h.device_id where d.address = ${address}`,
          ),
        )[0]!.n;
      await eventually(async () => (await stored()) === reports + 1 || kept.services.ingest.stats().failed > 0, 30_000);
      expect(kept.services.ingest.stats().failed).toBe(0);
      expect(await stored()).toBe(reports + 1);
      expect(logged.some((m) => m.includes('left unacknowledged to the broker'))).toBe(true);
    } finally {
      await gateway.close();
      await kept.close();
      await ownBroker.close();
    }
  },
  60_000,
);
