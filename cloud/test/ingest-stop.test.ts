import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import { scratchDatabase, type ScratchDatabase } from '../src/testing/database.ts';
import { eventually, household, randomAddress } from '../src/testing/harness.ts';
import { MqttGateway } from '../src/testing/mqtt-gateway.ts';

// An external broker the test owns, so that it outlives the cloud and can count what the cloud's
// ingest acknowledged (aedes' "ack" event: a subscriber's PUBACK for a QoS 1 delivery).
let broker: Aedes;
let url: string;
let scratch: ScratchDatabase;
const closeServer: Array<() => Promise<void>> = [];
beforeAll(async () => {
  broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeServer.push(() => new Promise((resolve) => server.close(() => resolve())));
  scratch = await scratchDatabase(parseConfig().databaseUrl);
});
afterAll(async () => {
  await new Promise<void>((resolve) => broker?.close(() => resolve()));
  for (const close of closeServer) await close();
  await scratch?.drop();
});

it('writes every report its ingest acknowledged when the cloud stops in the middle of a burst', async () => {
  let acknowledged = 0;
  // aedes passes the delivered packet only when its persistence kept it; the client is always there.
  broker.on('ack', (_packet, client) => {
    if (client?.id.startsWith('sf-cloud-')) acknowledged += 1;
  });
  const cloud = await createCloud({ databaseUrl: scratch.url, mqttUrl: url, sharedGroup: null });
  const h = await household(cloud);
  const gateway = await MqttGateway.connect({ url, gatewayId: h.credentials.gatewayId, secret: h.credentials.secret });
  try {
    await gateway.announce();
    await eventually(async () => (await cloud.services.gateways.get(h.credentials.gatewayId))?.online);
    acknowledged = 0; // from here on the gateway sends device reports only
    const address = randomAddress();
    const burst = Array.from({ length: 4000 }, (_, i) => gateway.report({ address, model: 'WoHand' }, { battery: i % 100 }));
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
  }
}, 60_000);
