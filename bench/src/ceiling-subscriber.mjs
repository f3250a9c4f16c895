// A plain QoS 1 subscriber on a thread of its own, for the ingest bench's broker ceiling: the cloud's
// ingest subscribes from a worker thread, so the ceiling is also measured with a subscriber that
// does not share the broker's event loop. The parent posts how many messages a run waits for; the
// thread answers the moment its count reaches that (no polling: an idle timer here would take CPU
// from whatever the bench measures meanwhile). Plain JavaScript: a worker thread starts without its
// parent's TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const client = await mqtt.connectAsync(workerData.url, {
  protocolVersion: 4,
  clientId: 'ceiling-sub-thread',
  log: () => {},
});
client.stream.setNoDelay?.(true);
let received = 0;
let target = Infinity;
client.on('message', () => {
  received += 1;
  if (received >= target) {
    target = Infinity;
    parentPort.postMessage(received);
  }
});
await client.subscribeAsync(workerData.filter, { qos: 1 });
parentPort.on('message', async (message) => {
  if (typeof message === 'number') {
    target = message;
    if (received >= target) {
      target = Infinity;
      parentPort.postMessage(received);
    }
    return;
  }
  await client.endAsync();
  process.exit(0);
});
parentPort.postMessage('ready');
