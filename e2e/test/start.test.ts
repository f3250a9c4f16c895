/**
 * `npm start` as a person runs it: the launcher process comes up, prints how to reach it, serves the
 * demo flow over real HTTP, and stops cleanly on Ctrl-C (SIGINT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { demoLogin } from './demo-login.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let output = '';
let dataDir: string;
let base: string;
let localPort: number;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'switchfleet-start-'));
  const port = await freeFixedPort();
  base = `http://127.0.0.1:${port}`;
  localPort = await freeFixedPort();
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      MQTT_PORT: String(await freeFixedPort()),
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'warn',
      SIM_SWITCHES: '8',
      LOCAL_MQTT_PORT: String(localPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}`))),
  );
  const ready = new Promise<void>((resolve) => {
    const check = () => (output.includes('switchfleet is running') ? resolve() : setTimeout(check, 50));
    check();
  });
  await Promise.race([ready, exited]);
}, 90_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints the demo account, the seed and curl lines', () => {
    expect(output).toContain('demo@switchfleet.local / switchfleet-demo');
    expect(output).toMatch(/seed \d+ \(SIM_SEED=\d+ replays it\)/);
    expect(output).toContain(`curl -s ${base}/v1/devices`);
  });

  it('prints the operator login and both release key paths, never the private key itself', async () => {
    expect(output).toContain('ops@switchfleet.local / switchfleet-ops');
    const keys = join(dataDir, 'keys');
    expect(output).toContain(
      `${join(keys, 'release.pem')} (private) and ${join(keys, 'release.pub')} (public, made now)`,
    );
    expect(output).not.toContain('PRIVATE KEY');
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@switchfleet.local', password: 'switchfleet-ops' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const me = await fetch(`${base}/v1/admin/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await me.json()).toMatchObject({ email: 'ops@switchfleet.local', role: 'admin' });
  });

  it('serves the demo flow: log in, eight switches, toggle with wait, new state', async () => {
    const headers = await demoLogin(base);
    type Device = { id: string; online: boolean; state: { on: boolean } | null };
    const list = async () => (await (await fetch(`${base}/v1/devices`, { headers })).json()) as Device[];
    await expect.poll(async () => (await list()).filter((d) => d.online).length, { timeout: 15_000 }).toBe(8);
    const [device] = await list();
    const before = device!.state?.on ?? false;
    const res = await fetch(`${base}/v1/devices/${device!.id}/commands?wait=true`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'toggle' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'succeeded', state: { on: !before } });
    const after = (await (await fetch(`${base}/v1/devices/${device!.id}`, { headers })).json()) as Device;
    expect(after.state).toEqual({ on: !before });
  });

  it('offers the local bridge, with retained state for every switch', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${localPort}`, { protocolVersion: 4 });
    const retained = new Map<string, { state?: string }>();
    client.on('message', (topic, payload, packet) => {
      if (packet.retain && /^switchfleet\/[^/]+$/.test(topic) && topic !== 'switchfleet/bridge')
        retained.set(topic, JSON.parse(payload.toString()));
    });
    await client.subscribeAsync('switchfleet/+', { qos: 1 });
    try {
      await expect.poll(() => retained.size, { timeout: 15_000 }).toBe(8);
      for (const state of retained.values()) expect(['ON', 'OFF']).toContain(state.state);
    } finally {
      await client.endAsync();
    }
  });

  it('stops everything on Ctrl-C and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
