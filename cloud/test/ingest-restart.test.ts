/**
 * A cloud instance that restarts behind an external broker: under CLOUD_INSTANCE_ID its ingest keeps
 * a persistent MQTT session, so what gateways publish meanwhile (the broker has acknowledged it to
 * them, and they will not send it again) waits at the broker and is written once the instance is back;
 * with a shared subscription, the other instances take it meanwhile.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud, type Cloud, type CloudConfig } from '../src/cloud.ts';
import { InstanceIdInUseError } from '../src/errors.ts';
import { parseConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { capturedLogger, household, randomAddress, connectGateway } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { startMosquitto } from '@switchfleet/testkit/mosquitto';
import { startPlainBroker } from '@switchfleet/testkit/broker';

let scratch: ScratchDatabase;
/** PGlite, when there is no DATABASE_URL: one the restarted instances share, as they would share PostgreSQL. */
let shared: Database | undefined;
beforeAll(async () => {
  scratch = await scratchDatabase(parseConfig().databaseUrl);
  shared = scratch.url ? undefined : await openDatabase({});
});
afterAll(async () => {
  await shared?.close();
  await scratch?.drop();
});

const start = (config: CloudConfig) => createCloud({ databaseUrl: scratch.url, database: shared, ...config });

/** Entries in the history of the household's one switch. */
async function historyLength(cloud: Cloud, userId: string): Promise<number> {
  const [device] = await cloud.services.devices.listForUser(userId);
  if (!device) return 0;
  return (
    (
      await cloud.services.devices.historyForUser(
        userId,
        device.id,
        new Date(Date.now() - 60_000),
        new Date(Date.now() + 60_000),
      )
    )?.length ?? 0
  );
}

it('stores the reports a gateway published while the instance restarted (aedes)', async () => {
  const broker = await startPlainBroker();
  const config = { mqttUrl: broker.url, sharedGroup: null, instanceId: 'restart-aedes' };
  let cloud = await start(config);
  const h = await household(cloud);
  const gateway = await connectGateway(cloud, h.credentials, broker.url);
  try {
    await gateway.announce();
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand' }, { battery: 1 });
    await eventually(async () => (await historyLength(cloud, h.user.id)) === 1);

    await cloud.close();
    for (let battery = 2; battery <= 6; battery++) await gateway.report({ address, model: 'WoHand' }, { battery });
    cloud = await start(config);

    await eventually(async () => (await historyLength(cloud, h.user.id)) === 6);
    const [device] = await cloud.services.devices.listForUser(h.user.id);
    expect(device!.battery).toBe(6);
  } finally {
    await gateway.close();
    await cloud.close();
    await broker.close();
  }
}, 60_000);

it('applies a command result and stores the reports a gateway published while the instance restarted (mosquitto)', async () => {
  const broker = await startMosquitto();
  // One instance: plain subscriptions (MQTT_SHARED_GROUP=off), which its session keeps while it is away.
  const config = { mqttUrl: broker.cloudUrl, instanceId: 'restart-mosquitto', sharedGroup: null };
  let cloud = await start(config);
  const h = await household(cloud);
  const gateway = await broker.connectGateway(h.credentials);
  try {
    await gateway.subscribeCommands();
    await gateway.announce();
    await eventually(async () => (await cloud.services.gateways.get(h.credentials.gatewayId))?.online);
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
    const device = await eventually(async () => (await cloud.services.devices.listForUser(h.user.id))[0]);
    const command = await cloud.services.commands.create(h.user.id, device.id, 'on');
    await gateway.nextCommand((c) => c.request.commandId === command.id);

    await cloud.close();
    await gateway.result(address, command.id, { status: 'succeeded', state: { on: true } });
    for (let i = 0; i < 3; i++)
      await gateway.report({ address, model: 'WoHand' }, { state: { on: true }, battery: 90 + i });
    cloud = await start(config);

    await eventually(async () => (await cloud.services.commands.get(command.id))?.status === 'succeeded');
    await eventually(async () => (await historyLength(cloud, h.user.id)) === 4);
  } finally {
    await gateway.close();
    await cloud.close();
    await broker.close();
  }
}, 60_000);

it('leaves its shared subscription when it stops, so the other instance takes every report meanwhile (mosquitto)', async () => {
  const broker = await startMosquitto();
  // mosquitto would otherwise keep handing the stopped instance's session its turn: half the reports.
  const one = await start({ mqttUrl: broker.cloudUrl, instanceId: 'shared-one' });
  const two = await start({ mqttUrl: broker.cloudUrl, instanceId: 'shared-two' });
  const h = await household(one);
  const gateway = await broker.connectGateway(h.credentials);
  try {
    await gateway.announce();
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand' }, { battery: 0 });
    await eventually(async () => (await historyLength(two, h.user.id)) === 1);

    await one.close();
    for (let battery = 1; battery <= 20; battery++) await gateway.report({ address, model: 'WoHand' }, { battery });
    await eventually(async () => (await historyLength(two, h.user.id)) === 21);
  } finally {
    await gateway.close();
    await one.close();
    await two.close();
    await broker.close();
  }
}, 60_000);

it('refuses to start a second instance under the id a running one holds, and starts once that one is gone', async () => {
  const broker = await startPlainBroker();
  const config = { mqttUrl: broker.url, sharedGroup: null, instanceId: 'held' };
  const first = await start(config);
  try {
    // Both would hold one MQTT session and take it from each other at every reconnect.
    await expect(start(config)).rejects.toBeInstanceOf(InstanceIdInUseError);
    const other = await start({ ...config, instanceId: 'other' });
    await other.close();
  } finally {
    await first.close();
  }
  const next = await start(config);
  await next.close();
  await broker.close();
}, 60_000);

const claimKey = (instanceId: string) => `switchfleet:sf-cloud-ingest-${instanceId}`;
/** The sessions holding this instance id's claim (an advisory lock: its two halves are classid and objid). */
const HOLDERS = `select l.pid from pg_locks l
  where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
    and ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`;

/**
 * Ends the database session holding this instance id's claim, and returns an admin session; with
 * `thenHold` that session takes the id at once, before the instance can take it again.
 */
async function cutClaim(instanceId: string, thenHold: boolean): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: scratch.url });
  await admin.connect();
  const { rows } = await admin.query<{ cut: boolean }>(`select pg_terminate_backend(pid) as cut from (${HOLDERS}) h`, [
    claimKey(instanceId),
  ]);
  expect(rows.map((r) => r.cut)).toEqual([true]);
  // Waits for the ended session to let go.
  if (thenHold) await admin.query('select pg_advisory_lock(hashtextextended($1, 0))', [claimKey(instanceId)]);
  return admin;
}

// A claim is a PostgreSQL session; PGlite runs in this process and has none to cut.
it.runIf(parseConfig().databaseUrl)(
  'takes its instance id again when the session holding it is cut, and stops its ingest when another holder took it meanwhile',
  async () => {
    const broker = await startPlainBroker();
    const { logger, messages: logged } = capturedLogger();
    const config = { mqttUrl: broker.url, sharedGroup: null, instanceId: 'kept-claim', logger };
    const first = await start(config);
    try {
      // Cut: the instance takes the id again on a new session, so a second instance under it is refused.
      const admin = await cutClaim('kept-claim', false);
      try {
        await eventually(async () => (await admin.query(HOLDERS, [claimKey('kept-claim')])).rows.length === 1);
      } finally {
        await admin.end();
      }
      await expect(start({ ...config, logger: undefined })).rejects.toBeInstanceOf(InstanceIdInUseError);
      expect(first.services.ingest.up).toBe(true);

      // Cut, and another holder takes the id first: this instance lets its ingest go.
      const other = await cutClaim('kept-claim', true);
      try {
        await eventually(async () => !first.services.ingest.up);
        // An operator sees it: the instance reports its broker side down.
        expect((await first.services.health.check()).broker).toBe('down');
        expect(logged.some((m) => m.includes('another instance took CLOUD_INSTANCE_ID'))).toBe(true);
      } finally {
        await other.end();
      }
    } finally {
      await first.close();
      await broker.close();
    }
  },
  60_000,
);
