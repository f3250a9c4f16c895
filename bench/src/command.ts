/**
 * Command round trip: REST command with wait → cloud → broker → gateway → simulated switch (zero radio
 * latency) → result → 200, against the floor: a bare fastify route doing one MQTT QoS 1
 * publish→subscribe round trip on the same broker. Both over real HTTP, interleaved so that machine
 * noise falls on both alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import mqtt from 'mqtt';
import { ZERO_LATENCY } from '@switchfleet/firmware-sim';
import { startSystem } from '../../scripts/system.ts';
import { benchConfig } from './config.ts';
import { percentile, type Benchmark } from './harness.ts';
import { startPlainBroker } from '@switchfleet/testkit/broker';

const COMMANDS = 2000;
const WARMUP = 100;

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const bench: Benchmark = {
  name: 'command',
  description: 'REST command with wait=true through the whole system vs. a bare route plus one MQTT round trip',
  async run(report) {
    const { databaseUrl } = benchConfig();
    const broker = await startPlainBroker();
    const gatewayDataDir = await mkdtemp(join(tmpdir(), 'switchfleet-bench-'));
    const system = await startSystem({
      gatewayDataDir,
      databaseUrl,
      mqttUrl: broker.url,
      sharedGroup: null, // aedes has no shared subscriptions; one cloud instance needs none
      jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
      demoEmail: 'bench@switchfleet.local',
      demoPassword: 'bench-password',
      gatewayId: 'bench-gw',
      switches: 1,
      radio: { ...ZERO_LATENCY, seed: 7 },
    });
    await system.api.listen({ port: 0, host: '127.0.0.1' });
    const api = `http://127.0.0.1:${(system.api.server.address() as AddressInfo).port}`;

    const floorApp = Fastify();
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'floor-pub' });
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'floor-sub' });
    const waiting = new Map<string, () => void>();
    sub.on('message', (_topic, payload) => waiting.get(payload.toString())?.());
    await sub.subscribeAsync('bench/floor', { qos: 1 });
    let n = 0;
    floorApp.post('/floor', async () => {
      const id = String(n++);
      const arrived = new Promise<void>((resolve) => waiting.set(id, resolve));
      await pub.publishAsync('bench/floor', id, { qos: 1 });
      await arrived;
      waiting.delete(id);
      return { ok: true };
    });
    await floorApp.listen({ port: 0, host: '127.0.0.1' });
    const floor = `http://127.0.0.1:${(floorApp.server.address() as AddressInfo).port}/floor`;

    try {
      const login = await post(`${api}/v1/auth/login`, {
        email: 'bench@switchfleet.local',
        password: 'bench-password',
      });
      const headers = { authorization: `Bearer ${(login.json as { accessToken: string }).accessToken}` };
      let deviceId: string | undefined;
      for (let i = 0; i < 200 && !deviceId; i++) {
        const list = (await (await fetch(`${api}/v1/devices`, { headers })).json()) as {
          id: string;
          online: boolean;
        }[];
        deviceId = list.find((d) => d.online)?.id;
        if (!deviceId) await new Promise((r) => setTimeout(r, 50));
      }
      if (!deviceId) throw new Error('the simulated switch never came online');
      const commandUrl = `${api}/v1/devices/${deviceId}/commands?wait=true`;

      const command: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < WARMUP + COMMANDS; i++) {
        let t = performance.now();
        const res = await post(commandUrl, { action: 'toggle' }, headers);
        const commandMs = performance.now() - t;
        if (res.status !== 200 || (res.json as { status: string }).status !== 'succeeded') {
          throw new Error(`command ${i} answered ${res.status} ${JSON.stringify(res.json)}`);
        }
        t = performance.now();
        await post(floor, {});
        const floorMs = performance.now() - t;
        if (i >= WARMUP) {
          command.push(commandMs);
          bare.push(floorMs);
        }
      }
      const p50 = percentile(command, 50);
      const p99 = percentile(command, 99);
      const f50 = percentile(bare, 50);
      const f99 = percentile(bare, 99);
      report.figure('commands', COMMANDS);
      report.figure('database', databaseUrl ? 'postgresql' : 'pglite');
      report.figure('p50_ms', p50);
      report.figure('p99_ms', p99);
      report.figure('floor_p50_ms', f50);
      report.figure('floor_p99_ms', f99);
      report.figure('p50_vs_floor', p50 / f50);
      report.figure('p99_vs_floor', p99 / f99);
    } finally {
      await floorApp.close();
      await pub.endAsync();
      await sub.endAsync();
      await system.close();
      await broker.close();
      await rm(gatewayDataDir, { recursive: true, force: true });
    }
  },
};

export default bench;
