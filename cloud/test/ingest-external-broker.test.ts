import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { capturedLogger, household, randomAddress, connectGateway } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { startPlainBroker } from '@switchfleet/testkit/broker';

// The ingest worker against a broker the test owns: it outlives the cloud, counts what the cloud
// acknowledged, and can go away and come back on its port.
let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await scratchDatabase(parseConfig().databaseUrl);
});
afterAll(async () => {
  await scratch?.drop();
});

it('writes every report its ingest acknowledged when the cloud stops in the middle of a burst', async () => {
  const broker = await startPlainBroker();
  let acknowledged = 0;
  // aedes' "ack": a subscriber's PUBACK for a QoS 1 delivery. It passes the delivered packet only
  // when its persistence kept it; the client is always there.
  broker.aedes.on('ack', (_packet, client) => {
    if (client?.id.startsWith('sf-cloud-')) acknowledged += 1;
  });
  const cloud = await createCloud({ databaseUrl: scratch.url, mqttUrl: broker.url, sharedGroup: null });
  const h = await household(cloud);
  const gateway = await connectGateway(cloud, h.credentials, broker.url);
  try {
    await gateway.announce();
    await eventually(async () => (await cloud.services.gateways.get(h.credentials.gatewayId))?.online);
    // The announcement is acknowledged once applied, a moment after it shows.
    await eventually(async () => acknowledged === 1);
    acknowledged = 0; // from here on the gateway sends device reports only
    const address = randomAddress();
    const burst = Array.from({ length: 4000 }, (_, i) =>
      gateway.report({ address, model: 'WoHand' }, { battery: i % 100 }),
    );
    await eventually(async () => cloud.services.ingest.stats().deviceStates > 0);
    await cloud.close();
    await Promise.all(burst);

    const stored = cloud.services.ingest.stats().deviceStates;
    expect(acknowledged).toBeGreaterThan(0);
    // A report acknowledged but not stored would be lost for good: the broker does not send it again.
    expect(stored).toBeGreaterThanOrEqual(acknowledged);
  } finally {
    await gateway.close();
    await cloud.close();
    await broker.close();
  }
}, 60_000);

it('starts its worker again every second while the broker is away, and stores reports once it is back', async () => {
  const { logger, messages } = capturedLogger();
  let broker = await startPlainBroker();
  const cloud = await createCloud({ databaseUrl: scratch.url, mqttUrl: broker.url, sharedGroup: null, logger });
  const h = await household(cloud);
  const login = { gatewayId: h.credentials.gatewayId, secret: h.credentials.secret };
  try {
    await broker.close();
    await cloud.services.ingest.interrupt();
    await eventually(async () => messages.filter((m) => m === 'ingest worker did not start again').length >= 2, 20_000);
    expect(cloud.services.ingest.up).toBe(false);

    broker = await startPlainBroker(broker.port);
    await eventually(async () => cloud.services.ingest.up, 20_000);
    const gateway = await MqttGateway.connect({ url: broker.url, ...login });
    await gateway.announce();
    await gateway.report({ address: randomAddress(), model: 'WoHand', name: 'Back' }, { state: { on: true } });
    const devices = await eventually(async () => {
      const list = await cloud.services.devices.listForUser(h.user.id);
      return list.length > 0 && list;
    });
    expect(devices.map((d) => [d.name, d.state?.on])).toEqual([['Back', true]]);
    await gateway.close();
  } finally {
    await cloud.close();
    await broker.close();
  }
}, 60_000);
