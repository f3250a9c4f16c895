/**
 * `npm run cloud`: the cloud alone, as an operator deploys it. On PGlite with the embedded broker it
 * serves the API and runs no simulated gateway; with DATABASE_URL (as in .ci/run) two instances run
 * against one PostgreSQL behind a real mosquitto with the shipped listeners, and an account made on
 * one logs in on the other, its token good on both. Each stops with exit 0 on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { startMosquitto } from '@switchfleet/testkit/mosquitto';
import { freeFixedPort } from '@switchfleet/testkit/ports';

const running: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Instance {
  base: string;
  output: () => string;
  stop(): Promise<number | null>;
}

async function startCloud(env: Record<string, string>): Promise<Instance> {
  const port = await freeFixedPort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cloud.ts'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await expect.poll(() => output, { timeout: 90_000, interval: 100 }).toContain('switchfleet cloud is running');
  return {
    base: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      return exited;
    },
  };
}

async function post(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function login(base: string, email: string, password: string): Promise<string> {
  const answer = await post(base, '/v1/auth/login', { email, password });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { accessToken: string }).accessToken;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchfleet-cloud-entry-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

it('runs the cloud alone on PGlite with the embedded broker: the API serves, no switch is simulated', async () => {
  const cloud = await startCloud({
    DATA_DIR: await tempDir(),
    DATABASE_URL: '',
    MQTT_PORT: String(await freeFixedPort()),
    JWT_SECRET: 'cloud-entry-test-secret-of-at-least-32-chars',
    OPERATOR_EMAIL: 'root@ops.example',
    OPERATOR_PASSWORD: 'root-operator-password',
  });
  // Database and broker up; no gateway online, since nothing simulated runs beside it (so 503, degraded).
  const health = await fetch(`${cloud.base}/health`);
  expect(health.status).toBe(503);
  expect(await health.json()).toEqual({ status: 'degraded', db: 'up', broker: 'up', gatewaysOnline: 0 });
  expect(
    (await post(cloud.base, '/v1/auth/register', { email: 'alone@example.com', password: 'alone-password' })).status,
  ).toBe(202);
  const token = await login(cloud.base, 'alone@example.com', 'alone-password');
  const devices = await fetch(`${cloud.base}/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
  expect(devices.status).toBe(200);
  expect(await devices.json()).toEqual([]);
  expect(cloud.output()).not.toContain('simulator');
  // The operator given in the environment exists, an admin; its password is not printed.
  const operator = await login(cloud.base, 'root@ops.example', 'root-operator-password');
  const me = await fetch(`${cloud.base}/v1/admin/me`, { headers: { authorization: `Bearer ${operator}` } });
  expect(await me.json()).toMatchObject({ email: 'root@ops.example', role: 'admin' });
  expect(cloud.output()).toContain('operator      root@ops.example (admin, made now)');
  expect(cloud.output()).not.toContain('root-operator-password');
  expect(await cloud.stop()).toBe(0);
}, 150_000);

it('refuses to start on a bad PUBLIC_URL or RELEASE_BASELINE_KEY_FILE, naming the setting', async () => {
  const dir = await tempDir();
  const notAKey = join(dir, 'not-a-key.pem');
  await writeFile(notAKey, 'hello\n');
  const cases = [
    [{ PUBLIC_URL: 'https://fleet.example.test/?a=1' }, 'PUBLIC_URL: must have no query or fragment'],
    [{ RELEASE_BASELINE_KEY_FILE: notAKey }, 'RELEASE_BASELINE_KEY_FILE: is not an Ed25519 private key in PEM'],
    [{ RELEASE_BASELINE_KEY_FILE: join(dir, 'missing.pem') }, 'RELEASE_BASELINE_KEY_FILE: cannot be read (ENOENT)'],
  ] as const;
  for (const [env, message] of cases) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cloud.ts'], {
      env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '', PORT: '0', MQTT_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect({ code, message: output.includes(message) }, output).toEqual({ code: 1, message: true });
    expect(output).not.toContain('switchfleet cloud is running');
  }
}, 150_000);

it.runIf(process.env.DATABASE_URL)(
  'runs two instances against one PostgreSQL behind mosquitto: an account made on one works on both',
  async () => {
    const database = await scratchDatabase(process.env.DATABASE_URL);
    cleanups.push(() => database.drop());
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const shared = {
      DATABASE_URL: database.url!,
      MQTT_URL: broker.cloudUrl,
      JWT_SECRET: 'cloud-entry-test-secret-of-at-least-32-chars',
    };
    const a = await startCloud({ ...shared, CLOUD_INSTANCE_ID: 'entry-a', DATA_DIR: await tempDir() });
    const b = await startCloud({ ...shared, CLOUD_INSTANCE_ID: 'entry-b', DATA_DIR: await tempDir() });
    expect(
      (await post(a.base, '/v1/auth/register', { email: 'two@example.com', password: 'two-password' })).status,
    ).toBe(202);
    const token = await login(b.base, 'two@example.com', 'two-password');
    for (const instance of [a, b]) {
      const homes = await fetch(`${instance.base}/v1/homes`, { headers: { authorization: `Bearer ${token}` } });
      expect(homes.status).toBe(200);
    }
    // The banner names the broker without the cloud's password.
    expect(a.output()).not.toContain(broker.cloud.password);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  },
  240_000,
);
