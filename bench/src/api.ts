/**
 * GET /v1/devices/:id requests per second (real HTTP, keep-alive, a fixed number of concurrent
 * clients) through the whole API (auth, validation, database, serialization) against a bare fastify
 * route answering a constant of the same shape, measured side by side in the same run.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { buildApi } from '@switchfleet/mobile-api';
import { createCloud } from '@switchfleet/cloud';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { connectGateway, household, randomAddress } from '@switchfleet/testkit/cloud';
import { benchConfig } from './config.ts';
import type { Benchmark } from './harness.ts';

const CONCURRENCY = 16;
const DURATION_MS = 3000;

async function rate(url: string, headers: Record<string, string>): Promise<number> {
  let done = 0;
  const deadline = performance.now() + DURATION_MS;
  const worker = async () => {
    while (performance.now() < deadline) {
      const res = await fetch(url, { headers });
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      await res.arrayBuffer();
      done += 1;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return done / ((performance.now() - start) / 1000);
}

const bench: Benchmark = {
  name: 'api',
  description: 'GET /v1/devices/:id through the API vs. a bare fastify route',
  async run(report) {
    const { databaseUrl } = benchConfig();
    const scratch = await scratchDatabase(databaseUrl);
    const cloud = await createCloud({ databaseUrl: scratch.url, mqttPort: 0 });
    const api = await buildApi({ cloud, jwtSecret: 'bench-secret-that-is-long-enough-for-hs256' });
    const bare = Fastify();
    try {
      report.figure('database', cloud.database.kind);
      const h = await household(cloud);
      const gateway = await connectGateway(cloud, h.credentials);
      await gateway.announce();
      await gateway.report(
        { address: randomAddress(), model: 'WoHand', name: 'Lamp' },
        { state: { on: true }, battery: 90, rssi: -60 },
      );
      let device: { id: string } | undefined;
      while (!device)
        device =
          (await cloud.services.devices.listForUser(h.user.id))[0] ?? (await new Promise((r) => setTimeout(r, 20)));
      const view = await cloud.services.devices.getForUser(h.user.id, device.id);
      bare.get('/bare/:id', async () => view);
      await api.listen({ port: 0, host: '127.0.0.1' });
      await bare.listen({ port: 0, host: '127.0.0.1' });
      const apiBase = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
      const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}/bare/${device.id}`;
      const login = await fetch(`${apiBase}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: h.user.email, password: h.password }),
      });
      const headers = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
      const apiUrl = `${apiBase}/v1/devices/${device.id}`;

      // Warm both, then alternate twice so machine noise falls on both alike.
      await rate(bareUrl, {});
      await rate(apiUrl, headers);
      let apiRate = 0;
      let bareRate = 0;
      for (let i = 0; i < 2; i++) {
        bareRate += await rate(bareUrl, {});
        apiRate += await rate(apiUrl, headers);
      }
      apiRate /= 2;
      bareRate /= 2;
      await gateway.close();
      report.figure('requests_per_s', apiRate);
      report.figure('bare_requests_per_s', bareRate);
      report.figure('vs_bare', apiRate / bareRate);
    } finally {
      await api.close();
      await bare.close();
      await cloud.close();
      await scratch.drop();
    }
  },
};

export default bench;
