import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ConfigError, gatewayConfigFromEnv, resolveGatewayConfig, SystemdNotifier } from '@switchfleet/gateway';
import { startBench, type Bench } from './harness.ts';

const { DgramSocket } = createRequire(import.meta.url)('node-unix-socket') as {
  DgramSocket: new () => { bind(path: string): void; on(e: 'data', l: (b: Buffer) => void): void; close(): void };
};

const cleanups: (() => unknown)[] = [];
let bench: Bench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  for (const c of cleanups.splice(0)) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sf-ops-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('configuration', () => {
  it('layers defaults, a JSON file and the environment, the environment winning', () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({ gatewayId: 'gw-file', ble: { maxConnections: 4 }, local: { baseTopic: 'home' } }),
    );
    const config = gatewayConfigFromEnv({
      GATEWAY_CONFIG: file,
      MQTT_PASSWORD: 's3cret',
      BLE_MAX_CONNECTIONS: '6',
      LOCAL_MQTT_URL: 'mqtt://127.0.0.1:1884',
      NOTIFY_SOCKET: '/run/systemd/notify',
      WATCHDOG_USEC: '30000000',
    });
    expect(config).toMatchObject({
      gatewayId: 'gw-file',
      ble: { maxConnections: 6 },
      mqtt: { username: 'gw-file', password: 's3cret' },
      local: { url: 'mqtt://127.0.0.1:1884', baseTopic: 'home' },
      systemd: { notifySocket: '/run/systemd/notify', watchdogMs: 30_000 },
    });
  });

  it('refuses bad settings with an error that names them', () => {
    expect(() =>
      resolveGatewayConfig({ gatewayId: 'gw', mqtt: { username: 'u', password: 'p' }, ble: { maxConnections: 0 } }),
    ).toThrow(/ble\.maxConnections/);
    expect(() =>
      resolveGatewayConfig({ gatewayId: 'gw', mqtt: { username: 'u', password: 'p' }, blee: 1 } as never),
    ).toThrow(/blee is not a known setting/);
    expect(() => gatewayConfigFromEnv({ GATEWAY_ID: 'gw', MQTT_PASSWORD: 'p', BLE_MAX_CONNECTIONS: 'five' })).toThrow(
      ConfigError,
    );
    expect(() =>
      gatewayConfigFromEnv({ GATEWAY_ID: 'gw', MQTT_PASSWORD: 'p', HOMEASSISTANT_DISCOVERY: 'maybe' }),
    ).toThrow(/HOMEASSISTANT_DISCOVERY/);
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(() => gatewayConfigFromEnv({ GATEWAY_CONFIG: join(dir, 'bad.json') })).toThrow(/GATEWAY_CONFIG/);
  });
});

describe('running under systemd', () => {
  it('sends READY=1, WATCHDOG=1 and STOPPING=1 as datagrams to $NOTIFY_SOCKET', async () => {
    const path = join(tempDir(), 'notify.sock');
    const received: string[] = [];
    const socket = new DgramSocket();
    socket.bind(path);
    socket.on('data', (b) => received.push(b.toString()));
    cleanups.push(() => socket.close());
    const notifier = new SystemdNotifier({ notifySocket: path, watchdogMs: 100, log: pino({ level: 'silent' }) });
    cleanups.push(() => notifier.close());
    await notifier.ready();
    notifier.startWatchdog();
    await expect.poll(() => received.filter((m) => m === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(2);
    await notifier.stopping();
    await expect.poll(() => received.some((m) => m.startsWith('STOPPING=1'))).toBe(true);
    expect(received[0]).toMatch(/^READY=1\n/);
  });

  it('hands a command it could not finish back to the next start, which runs it once', async () => {
    bench = await startBench({ switches: [{ on: false }] });
    const [sw] = bench.switches;
    await bench.reportFor(sw!);
    sw!.moveTo(500);
    await bench.reportFor(sw!, (r) => !r.online);
    const id = await bench.command(sw!, 'on', { ttlMs: 20_000 });
    await expect.poll(() => bench!.gateway.deps.outbox.stats().commandsTaken).toBe(1);
    await bench.restartGateway();
    expect(bench.results.filter((r) => r.commandId === id)).toEqual([]);
    sw!.moveTo(2);
    const result = await bench.resultFor(id);
    expect(result.status).toBe('succeeded');
    expect(sw!.state.on).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(bench.results.filter((r) => r.commandId === id)).toHaveLength(1);
  });
});
