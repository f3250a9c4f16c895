/**
 * A cloud-driven update of one switch through the whole system (startSystem: cloud, API, the real
 * gateway over the simulator): a 256 KiB image from the operator's request to the job confirmed,
 * against the simulated link's bound (image bytes ÷ link throughput), and the p99 of user commands
 * to two other switches on the same gateway while the update runs, against the same commands idle.
 * The radio has no per-exchange latency (as in the command benchmark), only the link's throughput,
 * so the bound is the link's. Wall-clock time: the figures carry the machine's noise, so both sides
 * of each ratio are measured in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimImage, SWITCH_DEFAULTS, ZERO_LATENCY } from '@switchfleet/firmware-sim';
import { FakeSuite } from '@switchfleet/testkit/releases';
import { startSystem } from '../../scripts/system.ts';
import { benchConfig } from './config.ts';
import { percentile, type Benchmark } from './harness.ts';

const IMAGE_BYTES = 256 * 1024;
const LINK_BYTES_PER_SECOND = 20_000;
const IDLE_COMMANDS = 60;

const bench: Benchmark = {
  name: 'update',
  description: 'One 256 KiB cloud-driven update vs. the link bound; command p99 on other switches during it vs. idle',
  async run(report) {
    const dir = await mkdtemp(join(tmpdir(), 'sf-bench-update-'));
    const system = await startSystem({
      gatewayDataDir: join(dir, 'gateway'),
      databaseUrl: benchConfig().databaseUrl,
      jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
      demoEmail: 'bench@switchfleet.local',
      demoPassword: 'bench-password',
      gatewayId: 'bench-update-gw',
      switches: 3,
      radio: { ...ZERO_LATENCY, seed: 11, linkBytesPerSecond: LINK_BYTES_PER_SECOND },
      operator: { email: 'ops@switchfleet.local', password: 'bench-ops-password' },
      releaseKeysIn: dir,
      releaseSuite: new FakeSuite(),
    });
    try {
      const base = await system.listen(0, '127.0.0.1');
      const call = async (method: string, path: string, token: string, body?: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const login = async (email: string, password: string) =>
        (
          (await (
            await fetch(`${base}/v1/auth/login`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ email, password }),
            })
          ).json()) as { accessToken: string }
        ).accessToken;
      const ops = await login('ops@switchfleet.local', 'bench-ops-password');
      const user = await login('bench@switchfleet.local', 'bench-password');
      let devices: { id: string }[] = [];
      for (let i = 0; i < 300 && devices.length < 3; i++) {
        devices = (await call('GET', '/v1/devices', user)).json as unknown as { id: string }[];
        if (devices.length < 3) await new Promise((r) => setTimeout(r, 100));
      }
      const [target, ...others] = devices.map((d) => d.id) as [string, ...string[]];
      const command = async (i: number) => {
        const t0 = performance.now();
        const r = await call('POST', `/v1/devices/${others[i % others.length]}/commands?wait=true`, user, {
          action: 'toggle',
        });
        if (r.json.status !== 'succeeded') throw new Error(`command answered ${JSON.stringify(r.json)}`);
        return performance.now() - t0;
      };
      const idle: number[] = [];
      for (let i = 0; i < IDLE_COMMANDS; i++) idle.push(await command(i));

      const image = buildSimImage({
        version: '1.1.0',
        hardwareId: SWITCH_DEFAULTS.hardwareId,
        privateKeyPem: system.releaseKeys!.privateKeyPem,
        sizeBytes: IMAGE_BYTES,
      });
      const { releases } = system.cloud.services;
      const release = await releases.upload(image);
      while ((await releases.get(release.id)).state === 'testing') await new Promise((r) => setTimeout(r, 50));

      const t0 = performance.now();
      const job = await call('POST', `/v1/admin/devices/${target}/updates`, ops, { releaseId: release.id });
      if (job.status !== 202) throw new Error(`update refused: ${JSON.stringify(job.json)}`);
      const during: number[] = [];
      let state = 'queued';
      for (let i = 0; ['queued', 'waiting', 'running'].includes(state); i++) {
        during.push(await command(i));
        state = String((await call('GET', `/v1/admin/updates/${job.json.id}`, ops)).json.state);
      }
      const elapsedS = (performance.now() - t0) / 1000;
      if (state !== 'succeeded') throw new Error(`the update ended ${state}`);
      const boundS = image.length / LINK_BYTES_PER_SECOND;
      report.figure('image_bytes', image.length);
      report.figure('request_to_confirmed_s', elapsedS, 's');
      report.figure('link_bound_s', boundS, 's');
      report.figure('vs_link', boundS / elapsedS);
      report.figure('command_p99_idle_ms', percentile(idle, 99), 'ms');
      report.figure('command_p99_during_ms', percentile(during, 99), 'ms');
      report.figure('commands_during', during.length);
      report.figure('command_p99_ratio', percentile(during, 99) / percentile(idle, 99));
    } finally {
      await system.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
