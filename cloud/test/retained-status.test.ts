/**
 * mosquitto sends no retained message to a shared subscription, so a cloud instance that starts after
 * a gateway announced itself (retained) would not know the gateway is online until it announces
 * again. The cloud catches up on retained gateway status with a short-lived plain subscription
 * (src/broker/retained-catch-up.ts); these tests hold it to that against a real mosquitto. The
 * database is real PostgreSQL when DATABASE_URL is set, otherwise one in-process PGlite shared by
 * the instances; the assertions are the same either way.
 */
import { topicFor, topicMap } from '@switchfleet/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCloudClient } from '../src/broker/client.ts';
import { catchUpRetained, keepRetainedCaughtUp } from '../src/broker/retained-catch-up.ts';
import { createCloud, type Cloud, type CloudConfig } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open.ts';
import { scratchDatabase, type ScratchDatabase } from '../src/testing/database.ts';
import { eventually, household, type Household } from '../src/testing/harness.ts';
import { startMosquitto, type TestMosquitto } from '../src/testing/mosquitto.ts';
import { MqttGateway } from '../src/testing/mqtt-gateway.ts';

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
  await broker.addUser(h.credentials.gatewayId, h.credentials.secret);
  // mosquitto re-reads its password file asynchronously after addUser: retry the first connect.
  const gateway = await eventually(() =>
    MqttGateway.connect({ url: broker.url, gatewayId: h.credentials.gatewayId, secret: h.credentials.secret }).catch(() => null),
  );
  gateways.push(gateway);
  await gateway.announce();
  await eventually(async () => (await cloud.services.gateways.get(h.credentials.gatewayId))?.online);
  return { h, gateway };
}

/**
 * Whether this mosquitto hands a retained message to a new shared subscription: versions before
 * 2.0.13 did (its ChangeLog: "Don't send retained messages when a shared subscription is made"),
 * later ones, like the MQTT 5 rule (§4.8.2), do not. The assertions above hold for both.
 */
async function sharedSubscriptionGetsRetained(topic: string): Promise<boolean> {
  const probe = await connectCloudClient({ url: broker.cloudUrl, logger });
  try {
    let retained = false;
    probe.on('message', (_t, _p, packet) => (retained ||= packet.retain));
    await probe.subscribeAsync(`$share/sf-probe/${topic}`, { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    return retained;
  } finally {
    await probe.endAsync(true);
  }
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

    const sharedGetsRetained = await sharedSubscriptionGetsRetained(topicFor('gatewayStatus', { gatewayId }));
    const second = await startCloud();
    await eventually(async () => (await second.services.gateways.get(gatewayId))?.online, 5_000);
    // The gateway published nothing since: the instance saw the retained status once through the
    // catch-up, plus once through its shared subscription where the broker still sends it there.
    await second.services.ingest.idle();
    expect(second.services.ingest.stats().gatewayStatuses).toBe(sharedGetsRetained ? 2 : 1);
  });
});

describe('the retained catch-up itself', () => {
  it('hands on retained messages only, not live ones arriving while it listens', async () => {
    const cloud = await startCloud();
    const { h, gateway } = await announcedGateway(cloud);
    const filter = topicFor('gatewayStatus', { gatewayId: h.credentials.gatewayId });
    const handed: string[] = [];
    // A long quiet period keeps the catch-up subscribed while the gateway publishes live.
    const run = catchUpRetained({ url: broker.cloudUrl, filter, onMessage: (_t, payload) => handed.push(payload.toString()), logger, quietMs: 1_500, capMs: 10_000 });
    await eventually(async () => handed.length === 1);
    await gateway.announce();
    expect(await run.done).toBe(1);
    expect(handed).toHaveLength(1);
  });

  it('catches up again each time the cloud client reconnects', async () => {
    const cloud = await startCloud();
    const { h } = await announcedGateway(cloud);
    const topic = topicFor('gatewayStatus', { gatewayId: h.credentials.gatewayId });
    const main = await connectCloudClient({ url: broker.cloudUrl, logger });
    const handed: string[] = [];
    const catchUp = keepRetainedCaughtUp(main, { url: broker.cloudUrl, filter: topicMap.gatewayStatus.filter, onMessage: (t) => handed.push(t), logger });
    try {
      await catchUp.ready;
      expect(handed.filter((t) => t === topic)).toHaveLength(1);
      // Lose the broker without DISCONNECT; mqtt.js reconnects on its own and emits 'connect' again.
      main.stream.destroy();
      await eventually(async () => handed.filter((t) => t === topic).length === 2);
    } finally {
      await catchUp.close();
      await main.endAsync(true);
    }
  });
});
