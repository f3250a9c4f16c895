/**
 * A client id stays bound to whoever authenticated, on both brokers: a connection that reuses a
 * client id closes the older one (MQTT 3.1.1 §3.1.4), and a clean session wipes what was kept under
 * it. aedes (embedded) refuses a gateway whose client id is not its gateway id; mosquitto, run with
 * the shipped listeners (mosquittoListeners), replaces it with the gateway id. Either way another
 * gateway's connection and the cloud's kept ingest session stay up.
 */
import { encodePayload, topicFor } from '@switchfleet/protocol';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloud, type Cloud } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { capturedLogger, connectGateway, household, randomAddress, type Household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { startMosquitto, type TestMosquitto } from '@switchfleet/testkit/mosquitto';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';

const INSTANCE = 'binding';

interface Rig {
  cloud: Cloud;
  messages: string[];
  /** The URL gateways connect to. */
  gatewayUrl: string;
  connect(h: Household): Promise<MqttGateway>;
}

/** Connects as gateway `who` under `clientId` with a clean session; resolves with the refusal, if any. */
async function intrude(url: string, who: Household, clientId: string): Promise<Error | null> {
  const client = await mqtt
    .connectAsync(url, {
      protocolVersion: 4,
      clientId,
      clean: true,
      username: who.credentials.gatewayId,
      password: who.credentials.secret,
      reconnectPeriod: 0,
    })
    .catch((e: Error) => e);
  if (client instanceof Error) return client;
  // Long enough for the broker to act on the takeover, had it taken place.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await client.endAsync();
  return null;
}

function suite(kind: 'aedes' | 'mosquitto', setUp: () => Promise<Rig>, tearDown: () => Promise<void>) {
  describe(`${kind}: a gateway cannot take a client id that is not its own`, () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await setUp();
    }, 120_000);
    afterAll(tearDown);

    it("leaves another gateway's connection and commands alone when a gateway connects under its id", async () => {
      const a = await household(rig.cloud);
      const b = await household(rig.cloud);
      await rig.connect(a);
      const victim = await rig.connect(b);
      await victim.subscribeCommands();
      let closes = 0;
      victim.client.on('close', () => (closes += 1));
      const refused = await intrude(rig.gatewayUrl, a, b.credentials.gatewayId);
      if (kind === 'aedes') expect(refused?.message).toMatch(/identifier rejected/i);
      else expect(refused).toBeNull();
      expect(closes).toBe(0);
      expect(victim.client.connected).toBe(true);
      await victim.close();
    });

    it("leaves the cloud's ingest session alone when a gateway connects under its client id", async () => {
      const a = await household(rig.cloud);
      const b = await household(rig.cloud);
      await rig.connect(a);
      const reporter = await rig.connect(b);
      await reporter.announce();
      await eventually(async () => (await rig.cloud.services.gateways.get(b.credentials.gatewayId))?.online);
      const before = rig.messages.filter((m) => /cloud mqtt client (offline|reconnecting)/.test(m)).length;
      const refused = await intrude(rig.gatewayUrl, a, `sf-cloud-ingest-${INSTANCE}`);
      if (kind === 'aedes') expect(refused?.message).toMatch(/identifier rejected/i);
      else expect(refused).toBeNull();
      // The session still delivers: a report published after the attempt is stored.
      const address = randomAddress();
      const state = encodePayload('deviceState', {
        v: 1,
        seq: 1,
        ts: new Date().toISOString(),
        device: { address, model: 'WoHand' },
        online: true,
        state: { on: true },
      });
      await reporter.publish(topicFor('deviceState', { gatewayId: b.credentials.gatewayId, address }), state);
      await eventually(async () => (await rig.cloud.services.devices.listForUser(b.user.id)).length === 1);
      expect(rig.messages.filter((m) => /cloud mqtt client (offline|reconnecting)/.test(m)).length).toBe(before);
      await reporter.close();
    });
  });
}

let scratch: ScratchDatabase | undefined;
let aedesCloud: Cloud | undefined;
suite(
  'aedes',
  async () => {
    const { logger, messages } = capturedLogger();
    scratch = await scratchDatabase(parseConfig().databaseUrl);
    aedesCloud = await createCloud({ databaseUrl: scratch.url, mqttPort: 0, logger });
    const cloud = aedesCloud;
    return { cloud, messages, gatewayUrl: cloud.broker.url, connect: (h) => connectGateway(cloud, h.credentials) };
  },
  async () => {
    await aedesCloud?.close();
    await scratch?.drop();
  },
);

let mosquittoScratch: ScratchDatabase | undefined;
let mosquittoCloud: Cloud | undefined;
let broker: TestMosquitto | undefined;
suite(
  'mosquitto',
  async () => {
    const { logger, messages } = capturedLogger();
    broker = await startMosquitto();
    mosquittoScratch = await scratchDatabase(parseConfig().databaseUrl);
    mosquittoCloud = await createCloud({
      databaseUrl: mosquittoScratch.url,
      mqttUrl: broker.cloudUrl,
      instanceId: INSTANCE,
      sharedGroup: null,
      logger,
    });
    const mosquitto = broker;
    return {
      cloud: mosquittoCloud,
      messages,
      gatewayUrl: mosquitto.url,
      connect: (h) => mosquitto.connectGateway(h.credentials),
    };
  },
  async () => {
    await mosquittoCloud?.close();
    await mosquittoScratch?.drop();
    await broker?.close();
  },
);
