/**
 * The built cloud (`npm run build`, scripts/build/cloud.ts) on plain `node`, with no TypeScript loader:
 * on PGlite with the embedded broker it serves the API, takes a gateway's reports through the ingest
 * worker running from its prebuilt file, and stops with exit 0 on SIGTERM. Built once for the file,
 * into a scratch folder under node_modules/.cache, from where its npm imports resolve as from dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayService, openDatabase } from '@switchfleet/cloud';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { buildCloud, type BuiltCloud } from '../../scripts/build/cloud.ts';

const SCRATCH = 'node_modules/.cache/switchfleet';
const JWT_SECRET = 'built-cloud-test-secret-of-at-least-32-chars';
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
  return fetch(`${base}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

it('imports neither esbuild nor anything else of the TypeScript tooling at run time', () => {
  expect(Object.keys(built.imports).sort()).toEqual(['cloud.mjs', 'ingest-worker.mjs', 'thread.mjs']);
  for (const imports of Object.values(built.imports)) {
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((name) => /^(esbuild|tsx|typescript)(\/|$)/.test(name))).toEqual([]);
  }
});

it('runs on plain node: serves the API, ingests a gateway report in its prebuilt worker, stops on SIGTERM', async () => {
  const dataDir = join(scratch, 'data');
  // PGlite's files belong to one process: the gateway is provisioned before the cloud starts, as the CLI does.
  const database = await openDatabase({ dataDir });
  const gateway = await new GatewayService(database.db).provisionGateway({ gatewayId: 'built-gw' });
  await database.close();

  const [port, mqttPort] = [await freeFixedPort(), await freeFixedPort()];
  child = spawn(process.execPath, [join(built.outdir, 'cloud.mjs')], {
    env: {
      PATH: process.env.PATH,
      // Nothing loads TypeScript for it: no loader slips in through NODE_OPTIONS.
      NODE_OPTIONS: '',
      DATA_DIR: dataDir,
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
      JWT_SECRET,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  await Promise.race([
    expect.poll(() => output, { timeout: 90_000, interval: 100 }).toContain('switchfleet cloud is running'),
    exited.then((code) => Promise.reject(new Error(`the built cloud exited (${code}) before it was up:\n${output}`))),
  ]);
  const base = `http://127.0.0.1:${port}`;

  const before = await api(base, '/health');
  expect(await before.json()).toEqual({ status: 'degraded', db: 'up', broker: 'up', gatewaysOnline: 0 });

  const account = { email: 'built@example.com', password: 'built-password' };
  expect((await api(base, '/v1/auth/register', { body: account })).status).toBe(202);
  const login = await api(base, '/v1/auth/login', { body: account });
  const { accessToken: token } = (await login.json()) as { accessToken: string };
  const home = (await (await api(base, '/v1/homes', { token, body: { name: 'Built' } })).json()) as { id: string };
  const claim = await api(base, `/v1/homes/${home.id}/gateways/claim`, {
    token,
    body: { claimCode: gateway.claimCode },
  });
  expect(claim.status).toBe(201);

  // The status and the report reach the cloud only through the ingest worker's subscription.
  const sim = await MqttGateway.connect({
    url: `mqtt://127.0.0.1:${mqttPort}`,
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

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output).not.toMatch(/"level":(50|60)/);
}, 180_000);
