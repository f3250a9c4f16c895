/**
 * A cloud instance that restarts behind an external broker: under CLOUD_INSTANCE_ID its ingest keeps
 * a persistent MQTT session, so what gateways publish meanwhile (the broker has acknowledged it to
 * them, and they will not send it again) waits at the broker and is written once the instance is back;
 * with a shared subscription, the other instances take it meanwhile.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud, type Cloud, type CloudConfig } from '../src/cloud.ts';
import { InstanceIdInUseError } from '../src/errors.ts';
import { parseConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open.ts';
import { scratchDatabase, type ScratchDatabase } from '../src/testing/database.ts';
import { eventually, household, randomAddress } from '../src/testing/harness.ts';
import { startMosquitto } from '../src/testing/mosquitto.ts';
import { MqttGateway } from '../src/testing/mqtt-gateway.ts';
import { startPlainBroker } from '../../scripts/plain-broker.ts';

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
  return (await cloud.services.devices.historyForUser(userId, device.id, new Date(Date.now() - 60_000), new Date(Date.now() + 60_000)))?.length ?? 0;
}

it('stores the reports a gateway published while the instance restarted (aedes)', async () => {
  const broker = await startPlainBroker();
  const config = { mqttUrl: broker.url, sharedGroup: null, instanceId: 'restart-aedes' };
  let cloud = await start(config);
  const h = await household(cloud);
  const gateway = await MqttGateway.connect({ url: broker.url, gatewayId: h.credentials.gatewayId, secret: h.credentials.secret });
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
    for (let i = 0; i < 3; i++) await gateway.report({ address, model: 'WoHand' }, { state: { on: true }, battery: 90 + i });
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
