/**
 * `command_p99_ratio`: on the real system (startSystem: cloud, API, the production gateway over the
 * simulated radio, six switches in one home), the p99 of user commands (POST
 * /v1/devices/{id}/commands?wait=true) to three switches while a rollout through the admin API
 * updates the other three of the same gateway one at a time (per-gateway cap 1), against the same
 * commands idle before it. The commanded switches are not in the rollout. Wall-clock time: both
 * sides are measured in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimImage, SWITCH_DEFAULTS, ZERO_LATENCY } from '@switchfleet/firmware-sim';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { FakeSuite } from '@switchfleet/testkit/releases';
import { startSystem } from '../../../scripts/system.ts';
import { percentile, type Report } from '../harness.ts';
import { apiClient } from '../api-client.ts';

const IMAGE_BYTES = 128 * 1024;
const LINK_BYTES_PER_SECOND = 20_000;
const SWITCHES = 6;
const IDLE_COMMANDS = 60;

export async function measureCommands(report: Report, databaseUrl: string | undefined): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-bench-rollout-'));
  const scratch = await scratchDatabase(databaseUrl);
  const system = await startSystem({
    gatewayDataDir: join(dir, 'gateway'),
    databaseUrl: scratch.url,
    jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
    demoEmail: 'bench@switchfleet.local',
    demoPassword: 'bench-password',
    gatewayId: 'bench-rollout-gw',
    switches: SWITCHES,
    radio: { ...ZERO_LATENCY, seed: 19, linkBytesPerSecond: LINK_BYTES_PER_SECOND },
    operator: { email: 'ops@switchfleet.local', password: 'bench-ops-password' },
    releaseKeysIn: dir,
    releaseSuite: new FakeSuite(),
  });
  try {
    const base = await system.listen(0, '127.0.0.1');
    const { call, login } = apiClient(base);
    const ops = await login('ops@switchfleet.local', 'bench-ops-password');
    const user = await login('bench@switchfleet.local', 'bench-password');
    let devices: { id: string }[] = [];
    for (let i = 0; i < 300 && devices.length < SWITCHES; i++) {
      devices = (await call('GET', '/v1/devices', user)).json as unknown as { id: string }[];
      if (devices.length < SWITCHES) await new Promise((r) => setTimeout(r, 100));
    }
    const ids = devices.map((d) => d.id).sort();
    const updated = ids.slice(0, SWITCHES / 2);
    const commanded = ids.slice(SWITCHES / 2);
    const command = async (i: number) => {
      const t0 = performance.now();
      const r = await call('POST', `/v1/devices/${commanded[i % commanded.length]}/commands?wait=true`, user, {
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
    const created = await call('POST', '/v1/admin/rollouts', ops, {
      releaseId: release.id,
      target: { deviceIds: updated },
      stages: [{ percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 }],
      caps: { perGateway: 1, perHomePercent: 50, fleet: 10 },
    });
    if (created.status !== 201) throw new Error(`rollout refused: ${JSON.stringify(created.json)}`);
    const during: number[] = [];
    let view = created.json;
    for (let i = 0; ['running', 'awaiting_approval'].includes(String(view.state)); i++) {
      during.push(await command(i));
      view = (await call('GET', `/v1/admin/rollouts/${created.json.id}`, ops)).json;
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const counts = view.counts as Record<string, number>;
    if (view.state !== 'completed' || counts.succeeded !== updated.length) {
      throw new Error(`the rollout ended ${String(view.state)}: ${JSON.stringify(counts)}`);
    }
    report.figure('commands.rollout_s', elapsedS, 's');
    report.figure('commands.updated_switches', updated.length);
    report.figure('command_p99_idle_ms', percentile(idle, 99), 'ms');
    report.figure('command_p99_during_ms', percentile(during, 99), 'ms');
    report.figure('commands_during', during.length);
    report.figure('command_p99_ratio', percentile(during, 99) / percentile(idle, 99));
  } finally {
    await system.close();
    await scratch.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
