// A plain QoS 1 subscriber on a thread of its own, for the ingest bench's broker ceiling: the cloud's
// ingest subscribes from a worker thread, so the ceiling is also measured with a subscriber that
// does not share the broker's event loop. It counts messages and reports the count every millisecond
// while it grows. Plain JavaScript: a worker thread starts without its parent's TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const client = await mqtt.connectAsync(workerData.url, { protocolVersion: 4, clientId: 'ceiling-sub-thread', log: () => {} });
client.stream.setNoDelay?.(true);
let received = 0;
let reported = 0;
client.on('message', () => (received += 1));
await client.subscribeAsync(workerData.filter, { qos: 1 });
setInterval(() => {
  if (received !== reported) parentPort.postMessage((reported = received));
}, 1);
parentPort.on('message', async () => {
  await client.endAsync();
  process.exit(0);
});
parentPort.postMessage('ready');
