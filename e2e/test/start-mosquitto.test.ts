/**
 * `npm start` behind a real mosquitto run with the shipped listeners, as an operator runs it:
 * MQTT_URL carries the cloud's account (the cloud's listener), SIM_GATEWAY_MQTT_URL the gateways'
 * listener, MOSQUITTO_DIR where mosquitto's password files and ACL live. The simulated gateway is
 * provisioned with an account of its own, written into those files at start; once mosquitto is
 * reloaded it logs in with it (the cloud's account is refused on the gateways' listener) and its
 * switches appear. Nothing printed, banner or logs, carries the cloud's password or a gateway secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { startMosquitto, type TestMosquitto } from '@switchfleet/testkit/mosquitto';
import { demoLogin } from './demo-login.ts';

let broker: TestMosquitto;
let dataDir: string;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  broker = await startMosquitto();
  dataDir = await mkdtemp(join(tmpdir(), 'switchfleet-start-mosquitto-'));
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await broker?.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('runs the simulated gateway on its own account behind mosquitto and prints no secret', async () => {
  const port = await freeFixedPort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    PORT: String(port),
    MQTT_URL: broker.cloudUrl,
    SIM_GATEWAY_MQTT_URL: broker.url,
    MOSQUITTO_DIR: broker.dir,
    CLOUD_INSTANCE_ID: 'start-mosquitto',
    MQTT_SHARED_GROUP: 'off',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    LOG_LEVEL: 'info',
    SIM_SWITCHES: '2',
    SIM_GATEWAY_ID: 'sim-gw-mosq',
    LOCAL_MQTT_PORT: '0',
  };
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await expect.poll(() => output, { timeout: 60_000, interval: 100 }).toContain('switchfleet is running');
  // The operator's step after a new gateway: mosquitto re-reads the files on SIGHUP.
  await broker.reload();
  const headers = await demoLogin(base);
  const devices = async () => ((await (await fetch(`${base}/v1/devices`, { headers })).json()) as unknown[]).length;
  await expect.poll(devices, { timeout: 30_000, interval: 250 }).toBe(2);

  const passwd = await readFile(join(broker.dir, 'gateways.passwd'), 'utf8');
  expect(passwd).toMatch(/^sim-gw-mosq:\$7\$/m);
  expect(output).not.toContain(broker.cloud.password);
  expect(output).not.toContain(encodeURIComponent(broker.cloud.password));
  expect(output).toContain(`gateways: ${broker.url}`);
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
}, 180_000);
