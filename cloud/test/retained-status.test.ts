/**
 * mosquitto (since 2.0.13, as MQTT 5 has it) sends no retained message to a shared subscription, so a
 * cloud instance that starts after a gateway announced itself (retained) would not know the gateway
 * is online until it announces again. Every instance therefore takes gateway status through a plain
 * subscription (cloud.ts); these tests hold it to that against a real mosquitto. The database is real
 * PostgreSQL when DATABASE_URL is set, otherwise one in-process PGlite shared by the instances; the
 * assertions are the same either way.
 */
import { topicFor, topicMap } from '@switchfleet/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCloudClient } from '../src/broker/client.ts';
import { createCloud, type Cloud, type CloudConfig } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { household, type Household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { startMosquitto, type TestMosquitto } from '@switchfleet/testkit/mosquitto';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';

const logger = pino({ level: 'silent' });
let broker: TestMosquitto;
let scratch: ScratchDatabase;
let shared: Database | undefined;
let config: CloudConfig;
const clouds: Cloud[] = [];
const gateways: MqttGateway[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  scratch = await scratchDatabase(parseConfig().databaseUrl);
  shared = scratch.url ? undefined : await openDatabase({});
  // The default shared group "sf-cloud", as two production instances would run.
  config = { databaseUrl: scratch.url, database: shared, mqttUrl: broker.cloudUrl };
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  for (const cloud of clouds) await cloud.close();
  await shared?.close();
  await scratch?.drop();
  await broker?.close();
});

async function startCloud(): Promise<Cloud> {
  const cloud = await createCloud(config);
  clouds.push(cloud);
  return cloud;
}

/** A household whose gateway is connected to mosquitto and has announced itself online (retained). */
async function announcedGateway(cloud: Cloud): Promise<{ h: Household; gateway: MqttGateway }> {
  const h = await household(cloud);
  const gateway = await broker.connectGateway(h.credentials);
  gateways.push(gateway);
  await gateway.announce();
  await eventually(async () => (await cloud.services.gateways.get(h.credentials.gatewayId))?.online);
  return { h, gateway };
}

describe('a cloud instance started after a gateway announced itself', () => {
  it('learns from the retained status that the gateway is online, without the gateway publishing again', async () => {
    const first = await startCloud();
    const { h } = await announcedGateway(first);
    const gatewayId = h.credentials.gatewayId;
    // Forget the presence the first instance recorded, then stop it: only the retained message, still
    // held by mosquitto while the gateway stays connected, can tell the next instance.
    await first.services.ingest.idle();
    await first.services.gateways.recordStatus(gatewayId, false, new Date());
    expect((await first.services.gateways.get(gatewayId))?.online).toBe(false);
    await first.close();

    const second = await startCloud();
    await eventually(async () => (await second.services.gateways.get(gatewayId))?.online, 5_000);
    // The gateway published nothing since: the instance saw the retained status, once.
    await second.services.ingest.idle();
    expect(second.services.ingest.stats().gatewayStatuses).toBe(1);
  });
});

describe('gateway status with several instances', () => {
  it('reaches every instance once per message, live ones included', async () => {
    const one = await startCloud();
    const two = await startCloud();
    const { gateway } = await announcedGateway(one);
    await eventually(
      async () => one.services.ingest.stats().gatewayStatuses >= 1 && two.services.ingest.stats().gatewayStatuses >= 1,
    );
    await one.services.ingest.idle();
    await two.services.ingest.idle();
    const before = [one.services.ingest.stats().gatewayStatuses, two.services.ingest.stats().gatewayStatuses];
    await gateway.announce();
    await eventually(
      async () =>
        one.services.ingest.stats().gatewayStatuses > before[0]! &&
        two.services.ingest.stats().gatewayStatuses > before[1]!,
    );
    // Give a second copy (an overlapping shared subscription would deliver one) time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await one.services.ingest.idle();
    await two.services.ingest.idle();
    expect([one.services.ingest.stats().gatewayStatuses, two.services.ingest.stats().gatewayStatuses]).toEqual([
      before[0]! + 1,
      before[1]! + 1,
    ]);
  });

  it("is taken again from the retained message each time the cloud's client reconnects", async () => {
    const cloud = await startCloud();
    const { h } = await announcedGateway(cloud);
    const topic = topicFor('gatewayStatus', { gatewayId: h.credentials.gatewayId });
    // The client and the plain status subscription the cloud makes (cloud.ts).
    const main = await connectCloudClient({ url: broker.cloudUrl, logger });
    const handed: string[] = [];
    main.on('message', (t, _payload, packet) => {
      if (packet.retain) handed.push(t);
    });
    try {
      await main.subscribeAsync(topicMap.gatewayStatus.filter, { qos: 1 });
      await eventually(async () => handed.filter((t) => t === topic).length === 1);
      // Lose the broker without DISCONNECT; mqtt.js reconnects and subscribes again on its own.
      main.stream.destroy();
      await eventually(async () => handed.filter((t) => t === topic).length === 2);
    } finally {
      await main.endAsync(true);
    }
  });
});
