import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

/**
 * An in-process aedes broker without authentication on loopback: a household's LAN broker for the
 * gateway's Zigbee2MQTT-style bridge (the one `npm start` offers), a stand-in for the cloud's broker
 * in gateway and lab tests, an external broker for the cloud's tests, and a shared broker for
 * benchmarks. Port 0 picks a free one; `aedes` is there for tests that watch the broker's events.
 */
export async function startPlainBroker(
  port = 0,
  host = '127.0.0.1',
): Promise<{ url: string; port: number; aedes: Aedes; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    aedes: broker,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
