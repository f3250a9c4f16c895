import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freeFixedPort, waitForPort } from '../src/ports.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
    servers.push(server);
  });

describe('freeFixedPort', () => {
  it('gives a port below the ephemeral range that can be bound', async () => {
    const port = await freeFixedPort();
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(32_768);
    await listen(port);
  });
});

describe('waitForPort', () => {
  it('resolves once a server listens there, started after the wait began', async () => {
    const port = await freeFixedPort();
    const waiting = waitForPort(port, 5_000);
    setTimeout(() => void listen(port), 100);
    await expect(waiting).resolves.toBeUndefined();
  });

  it('rejects when nothing listens within the timeout', async () => {
    const port = await freeFixedPort();
    await expect(waitForPort(port, 100)).rejects.toThrow(`nothing listened on 127.0.0.1:${port} within 100 ms`);
  });
});
