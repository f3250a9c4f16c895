/**
 * The ingest acknowledges a QoS 1 delivery (its PUBACK to the broker) only once it has handled the
 * message: a report once stored, a malformed one once counted. So a worker, or the whole process,
 * that dies with reports waiting for their batch loses none of them: the broker still holds them
 * and sends them again to the kept session. The PUBACKs leave in the order the messages came
 * (MQTT 3.1.1 §4.6), whatever order they were handled in.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud, type Cloud } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { household, randomAddress, connectGateway } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { startPlainBroker } from '@switchfleet/testkit/broker';
import { topicFor } from '@switchfleet/protocol';

let scratch: ScratchDatabase;
let broker: Awaited<ReturnType<typeof startPlainBroker>>;
let cloud: Cloud;
const instanceId = 'acks';
beforeAll(async () => {
  scratch = await scratchDatabase(parseConfig().databaseUrl);
  broker = await startPlainBroker();
  cloud = await createCloud({ databaseUrl: scratch.url, mqttUrl: broker.url, sharedGroup: null, instanceId });
});
afterAll(async () => {
  await cloud?.close();
  await broker?.close();
  await scratch?.drop();
});

/**
 * Keeps the ingest's statement from finishing: a transaction holds the history table (on PGlite,
 * which runs one statement at a time, it holds the whole database). Resolves once it does.
 */
async function holdHistory(): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const done = cloud.database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table device_state_history in access exclusive mode`);
    held();
    await released;
  });
  await Promise.race([holding, done]);
  return async () => {
    release();
    await done;
  };
}

/** What the cloud's ingest session acknowledged, in order: each report's battery, or "malformed". */
function acknowledged(): string[] {
  const seen: string[] = [];
  broker.aedes.on('ack', (packet, client) => {
    if (!client?.id.startsWith('sf-cloud-ingest-') || !packet || !('payload' in packet)) return;
    const text = packet.payload.toString();
    try {
      seen.push(String((JSON.parse(text) as { battery?: number }).battery));
    } catch {
      seen.push('malformed');
    }
  });
  return seen;
}

it('acknowledges deliveries once handled, in the order received, and loses none when the worker dies before writing them', async () => {
  const { ingest, devices } = cloud.services;
  const h = await household(cloud);
  const gateway = await connectGateway(cloud, h.credentials, broker.url);
  const history = async () => {
    const [device] = await devices.listForUser(h.user.id);
    const entries = device
      ? await devices.historyForUser(h.user.id, device.id, new Date(Date.now() - 60_000), new Date(Date.now() + 60_000))
      : [];
    return (entries ?? []).map((e) => e.battery).sort();
  };
  let release: (() => Promise<void>) | undefined;
  const acks = acknowledged();
  try {
    await gateway.announce();
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand' }, { battery: 10 });
    await eventually(async () => (await history()).length === 1);
    // Its PUBACK follows the write (and the announcement's comes before it: they go in order).
    await eventually(async () => acks.includes('10'));
    const seen = acks.length;

    release = await holdHistory();
    const before = ingest.stats();
    await gateway.report({ address, model: 'WoHand' }, { battery: 11 });
    await gateway.client.publishAsync(
      topicFor('deviceState', { gatewayId: h.credentials.gatewayId, address }),
      'not json',
      { qos: 1 },
    );
    await gateway.report({ address, model: 'WoHand' }, { battery: 12 });
    // All three reached the ingest, and the malformed one is dealt with (counted)...
    await eventually(
      async () => ingest.stats().received - before.received === 3 && ingest.stats().malformed - before.malformed === 1,
    );
    // ...yet nothing is acknowledged: the reports wait for their batch, and the malformed one behind
    // the report that came before it. (A PUBACK sent on receipt reaches the broker within a few ms.)
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(acks.slice(seen)).toEqual([]);

    // The worker dies with the batch unwritten; the broker sends the three again to its next one.
    await ingest.interrupt();
    await release();
    release = undefined;
    await eventually(async () => ingest.up);
    expect(await eventually(async () => ((await history()).length === 3 ? history() : null))).toEqual([10, 11, 12]);
    // Acknowledged in the order they came, though the malformed one was handled before the first report.
    await eventually(async () => acks.length >= seen + 3);
    expect(acks.slice(-3)).toEqual(['11', 'malformed', '12']);
  } finally {
    await release?.();
    await gateway.close();
  }
});
