/**
 * The built cloud (`npm run build`, scripts/build/cloud.ts) on plain `node`, with no TypeScript loader:
 * on PGlite with the embedded broker it serves the API, takes a gateway's reports through the ingest
 * worker running from its prebuilt file, and stops with exit 0 on SIGTERM. It tests an uploaded release
 * with the lab's release suite in its bundled child (release-suite-child.mjs), up to `passed`, and the
 * update job it then sends a gateway downloads from under PUBLIC_URL. Built once for the file, into a
 * scratch folder under node_modules/.cache, from where its npm imports resolve as from dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayService, openDatabase } from '@switchfleet/cloud';
import { buildSimImage } from '@switchfleet/firmware-sim';
import { firmware, type UpdateJob } from '@switchfleet/protocol';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { buildCloud, type BuiltCloud } from '../../scripts/build/cloud.ts';

const SCRATCH = 'node_modules/.cache/switchfleet';
const JWT_SECRET = 'built-cloud-test-secret-of-at-least-32-chars';
const OPERATOR = { email: 'built-ops@ops.test', password: 'built-operator-password' };
const HARDWARE = 'sf-sw1-r1';
let scratch: string;
let built: BuiltCloud;
let child: ChildProcess | undefined;

beforeAll(async () => {
  await mkdir(SCRATCH, { recursive: true });
  scratch = await mkdtemp(join(SCRATCH, 'cloud-built-'));
  built = await buildCloud(join(scratch, 'dist'));
}, 120_000);

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await rm(scratch, { recursive: true, force: true });
});

async function api(base: string, path: string, init: { token?: string; body?: unknown } = {}): Promise<Response> {
  const raw = Buffer.isBuffer(init.body);
  return fetch(`${base}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: raw ? new Uint8Array(init.body as Buffer) : JSON.stringify(init.body) }),
  });
}

/** Starts the built cloud on a fresh port pair and resolves once its banner is out. */
async function startBuilt(env: Record<string, string>) {
  const [port, mqttPort] = [await freeFixedPort(), await freeFixedPort()];
  child = spawn(process.execPath, [join(built.outdir, 'cloud.mjs')], {
    env: {
      PATH: process.env.PATH,
      // Nothing loads TypeScript for it: no loader slips in through NODE_OPTIONS.
      NODE_OPTIONS: '',
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = child;
  let output = '';
  running.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  running.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
  await Promise.race([
    expect.poll(() => output, { timeout: 90_000, interval: 100 }).toContain('switchfleet cloud is running'),
    exited.then((code) => Promise.reject(new Error(`the built cloud exited (${code}) before it was up:\n${output}`))),
  ]);
  return {
    base: `http://127.0.0.1:${port}`,
    mqttPort,
    output: () => output,
    exited,
    stop: () => running.kill('SIGTERM'),
  };
}

/** A household account with a home, into which it claims the gateway; returns its token. */
async function claimInto(base: string, email: string, claimCode: string): Promise<string> {
  const account = { email, password: 'built-password' };
  expect((await api(base, '/v1/auth/register', { body: account })).status).toBe(202);
  const login = await api(base, '/v1/auth/login', { body: account });
  const { accessToken: token } = (await login.json()) as { accessToken: string };
  const home = (await (await api(base, '/v1/homes', { token, body: { name: 'Built' } })).json()) as { id: string };
  expect((await api(base, `/v1/homes/${home.id}/gateways/claim`, { token, body: { claimCode } })).status).toBe(201);
  return token;
}

/** Provisions a gateway in a PGlite folder before the cloud opens it (its files belong to one process). */
async function provisioned(dataDir: string, gatewayId: string) {
  const database = await openDatabase({ dataDir });
  const gateway = await new GatewayService(database.db).provisionGateway({ gatewayId });
  await database.close();
  return gateway;
}

it('imports neither esbuild nor anything else of the TypeScript tooling at run time', () => {
  expect(Object.keys(built.imports).sort()).toEqual([
    'cloud.mjs',
    'ingest-worker.mjs',
    'release-suite-child.mjs',
    'thread.mjs',
  ]);
  for (const imports of Object.values(built.imports)) {
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((name) => /^(esbuild|tsx|typescript)(\/|$)/.test(name))).toEqual([]);
  }
});

it('runs on plain node: serves the API, ingests a gateway report in its prebuilt worker, stops on SIGTERM', async () => {
  const dataDir = join(scratch, 'data');
  const gateway = await provisioned(dataDir, 'built-gw');
  const cloud = await startBuilt({ DATA_DIR: dataDir });
  const { base } = cloud;
  // Started with no baseline key, it says what that means for a model's first release.
  expect(cloud.output()).toContain('no RELEASE_BASELINE_KEY_FILE');

  const before = await api(base, '/health');
  expect(await before.json()).toEqual({ status: 'degraded', db: 'up', broker: 'up', gatewaysOnline: 0 });
  const token = await claimInto(base, 'built@example.com', gateway.claimCode!);

  // The status and the report reach the cloud only through the ingest worker's subscription.
  const sim = await MqttGateway.connect({
    url: `mqtt://127.0.0.1:${cloud.mqttPort}`,
    gatewayId: gateway.gatewayId,
    secret: gateway.secret,
  });
  try {
    await sim.subscribeCommands();
    await sim.announce();
    await sim.report({ address: 'c0ffee0000b1', model: 'WoHand' }, { state: { on: true }, battery: 77 });
    const devices = async () => (await (await api(base, '/v1/devices', { token })).json()) as unknown[];
    await expect
      .poll(devices, { timeout: 15_000, interval: 100 })
      .toEqual([expect.objectContaining({ online: true, state: { on: true }, battery: 77 })]);
    const after = await api(base, '/health');
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ok', db: 'up', broker: 'up', gatewaysOnline: 1 });
  } finally {
    await sim.close();
  }

  cloud.stop();
  expect(await cloud.exited).toBe(0);
  expect(cloud.output()).not.toMatch(/"level":(50|60)/);
}, 180_000);

it('tests an upload with the lab suite in its bundled child up to passed; downloads sit under PUBLIC_URL', async () => {
  const dataDir = join(scratch, 'data-release');
  const gateway = await provisioned(dataDir, 'built-update-gw');
  const key = firmware.generateSigningKey();
  const keyFile = join(scratch, 'baseline.pem');
  await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
  const publicUrl = 'https://fleet.example.test/behind/proxy';
  const cloud = await startBuilt({
    DATA_DIR: dataDir,
    OPERATOR_EMAIL: OPERATOR.email,
    OPERATOR_PASSWORD: OPERATOR.password,
    RELEASE_BASELINE_KEY_FILE: keyFile,
    PUBLIC_URL: publicUrl,
  });
  const { base } = cloud;
  expect(cloud.output()).toContain(`public URL    ${publicUrl}`);
  const login = await api(base, '/v1/auth/login', { body: OPERATOR });
  const { accessToken: ops } = (await login.json()) as { accessToken: string };
  expect(
    (await api(base, '/v1/admin/signing-keys', { token: ops, body: { publicKeyPem: key.publicKeyPem } })).status,
  ).toBe(201);

  // A model's first release: the suite builds its baseline with the key file, so every case can pass.
  const image = buildSimImage({
    version: '1.0.0',
    hardwareId: HARDWARE,
    privateKeyPem: key.privateKeyPem,
    sizeBytes: 16 * 1024,
  });
  const upload = await api(base, '/v1/admin/releases', { token: ops, body: image });
  expect(upload.status).toBe(201);
  const { id: releaseId } = (await upload.json()) as { id: string };
  const release = async () =>
    (await (await api(base, `/v1/admin/releases/${releaseId}`, { token: ops })).json()) as { state: string };
  await expect.poll(async () => (await release()).state, { timeout: 120_000, interval: 500 }).not.toBe('testing');
  const report = (await (await api(base, `/v1/admin/releases/${releaseId}/report`, { token: ops })).json()) as {
    suiteVersion: string;
    cases: { name: string; outcome: string }[];
  };
  expect(report.suiteVersion).toMatch(/^switchfleet-lab \d+\.\d+\.\d+ \(\d+ cases [0-9a-f]{12}\)$/);
  expect(report.cases.map((c) => c.name)).toContain('update-from-previous');
  expect(report.cases.filter((c) => c.outcome !== 'passed')).toEqual([]);
  expect((await release()).state).toBe('passed');

  // An update of a switch on a gateway: the job's download URL starts with PUBLIC_URL, its path prefix kept.
  await claimInto(base, 'built-update@example.com', gateway.claimCode!);
  const sim = await MqttGateway.connect({
    url: `mqtt://127.0.0.1:${cloud.mqttPort}`,
    gatewayId: gateway.gatewayId,
    secret: gateway.secret,
  });
  try {
    const jobs: UpdateJob[] = [];
    sim.onUpdateJob((job) => jobs.push(job));
    await sim.subscribeDown();
    await sim.announce();
    await sim.report({ address: 'c0ffee0000b2', model: 'WoHand', hardwareId: HARDWARE, firmwareVersion: '0.9.0' });
    const listed = async () =>
      (
        (await (await api(base, `/v1/admin/devices?gatewayId=${gateway.gatewayId}`, { token: ops })).json()) as {
          items: { id: string }[];
        }
      ).items;
    await expect.poll(async () => (await listed()).length, { timeout: 15_000, interval: 100 }).toBe(1);
    const [device] = await listed();
    const update = await api(base, `/v1/admin/devices/${device!.id}/updates`, { token: ops, body: { releaseId } });
    expect(update.status).toBe(202);
    await expect.poll(() => jobs.length, { timeout: 15_000, interval: 100 }).toBe(1);
    expect(jobs[0]!.url.startsWith(`${publicUrl}/v1/firmware/${jobs[0]!.sha256}?`)).toBe(true);
  } finally {
    await sim.close();
  }

  cloud.stop();
  expect(await cloud.exited).toBe(0);
}, 240_000);
