/**
 * `npm start` behind an external broker, configured as an operator configures it: MQTT_URL,
 * CLOUD_INSTANCE_ID and MQTT_SHARED_GROUP=off in the environment. The process is stopped with Ctrl-C,
 * a gateway publishes a report while it is down, and the process started again under the same
 * CLOUD_INSTANCE_ID stores that report: the broker kept it for the instance's MQTT session. Without
 * the instance id reaching the cloud the session would be a clean one and the report lost; without
 * MQTT_SHARED_GROUP=off the cloud would subscribe to `$share/…` filters, which aedes takes literally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { demoLogin } from './demo-login.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@switchfleet/protocol';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { randomAddress } from '@switchfleet/testkit/cloud';
import { startPlainBroker } from '@switchfleet/testkit/broker';

const GATEWAY = 'sim-gw-1';
let broker: Awaited<ReturnType<typeof startPlainBroker>>;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let base: string;
let child: ChildProcess | undefined;

/** Starts `npm start` and resolves once it says it is running. */
async function launch(): Promise<ChildProcess> {
  const started = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  started.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  started.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    started.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}`)));
    const check = () => (output.includes('switchfleet is running') ? resolve() : setTimeout(check, 50));
    check();
  });
  return started;
}

async function stop(process: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => process.once('exit', (code) => resolve(code)));
  process.kill('SIGINT');
  return exited;
}

beforeAll(async () => {
  broker = await startPlainBroker();
  dataDir = await mkdtemp(join(tmpdir(), 'switchfleet-start-broker-'));
  const port = await freeFixedPort();
  base = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    PORT: String(port),
    MQTT_URL: broker.url,
    CLOUD_INSTANCE_ID: 'start-e2e',
    MQTT_SHARED_GROUP: 'off',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    LOG_LEVEL: 'warn',
    SIM_SWITCHES: '2',
    SIM_GATEWAY_ID: GATEWAY,
    LOCAL_MQTT_PORT: '0',
  };
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await broker?.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('stores what a gateway published while the instance was stopped, once it is started again under the same CLOUD_INSTANCE_ID', async () => {
  child = await launch();
  expect(await stop(child)).toBe(0);

  // The instance is down: a report of a switch it has never seen, acknowledged by the broker.
  const address = randomAddress();
  const gateway = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'e2e-publisher' });
  const report = {
    v: 1 as const,
    seq: 1_000_000,
    ts: new Date().toISOString(),
    device: { address, model: 'WoHand' },
    online: true,
    state: { on: true },
    battery: 37,
    rssi: -61,
  };
  await gateway.publishAsync(
    topicFor('deviceState', { gatewayId: GATEWAY, address }),
    encodePayload('deviceState', report),
    { qos: 1 },
  );
  await gateway.endAsync();

  child = await launch();
  const headers = await demoLogin(base);
  // A switch is named after its model and the end of its address until someone renames it.
  type Device = { name: string; battery: number | null; rssi: number | null; state: { on: boolean } | null };
  const stored = async () =>
    ((await (await fetch(`${base}/v1/devices`, { headers })).json()) as Device[]).find(
      (d) => d.name === `WoHand ${address.slice(-4)}`,
    );
  await expect.poll(stored, { timeout: 15_000 }).toMatchObject({ battery: 37, rssi: -61, state: { on: true } });
  expect(await stop(child)).toBe(0);
}, 180_000);
