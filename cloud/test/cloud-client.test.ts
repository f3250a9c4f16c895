import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectCloudClient } from '../src/broker/client.ts';
import { acknowledgeWhenDone, OrderedAcks } from '../src/broker/ordered-acks.ts';
import { eventually } from '@switchfleet/testkit/poll';
import { startPlainBroker } from '@switchfleet/testkit/broker';

let broker: Awaited<ReturnType<typeof startPlainBroker>>;
beforeAll(async () => {
  broker = await startPlainBroker();
});
afterAll(async () => {
  await broker?.close();
});

const quiet = { info() {}, warn() {} };

it('acknowledges a burst of QoS 1 messages it handled in a few socket writes, and every one of them', async () => {
  let received = 0;
  const acks = new OrderedAcks();
  // As the ingest worker takes messages, each handled as it arrives.
  const client = await connectCloudClient({
    url: broker.url,
    logger: quiet,
    prepare: (c) =>
      acknowledgeWhenDone(c, acks, {
        accepting: () => true,
        take: (_topic, _payload, ticket) => {
          received += 1;
          if (ticket !== undefined) acks.done(ticket);
        },
      }),
  });
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  try {
    await client.subscribeAsync('burst/#', { qos: 1 });
    let acked = 0;
    broker.aedes.on('ack', (_packet, from) => {
      if (from?.id === client.options.clientId) acked += 1;
    });
    // Count what the socket hands to the kernel: with each PUBACK a write of its own, there would be one per message.
    const socket = client.stream as Socket & { _write: Socket['_write']; _writev?: Socket['_writev'] };
    let writes = 0;
    const write = socket._write.bind(socket);
    const writev = socket._writev?.bind(socket);
    socket._write = (...args) => {
      writes += 1;
      write(...args);
    };
    if (writev) {
      socket._writev = (...args) => {
        writes += 1;
        writev(...args);
      };
    }

    const n = 500;
    await Promise.all(Array.from({ length: n }, (_, i) => publisher.publishAsync(`burst/${i}`, 'x', { qos: 1 })));
    await eventually(async () => acked === n);
    expect(received).toBe(n);
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(n / 5);
  } finally {
    await publisher.endAsync();
    await client.endAsync();
  }
});
