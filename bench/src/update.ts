/**
 * A cloud-driven update of one switch through the whole system (startSystem: cloud, API, the real
 * gateway over the simulator): a 256 KiB image from the operator's request to the job confirmed,
 * against the simulated link's bound (image bytes ÷ link throughput), and the p99 of user commands
 * to two other switches on the same gateway while the update runs, against the same commands idle.
 * The radio has no per-exchange latency (as in the command benchmark), only the link's throughput,
 * so the bound is the link's. Wall-clock time: the figures carry the machine's noise, so both sides
 * of each ratio are measured in the same run.
 *
 * The links run at the ATT_MTU the production gateway's noble asks for (256, its HCI bindings'
 * desired MTU, lib/hci-socket/gatt.js), settled down to the switch's own limit. phase_*_s split the
 * time by the job's states and phases as the cloud's event bus announced them. A second update on
 * the simulator's default radio (a fixed latency per ATT exchange) gives vs_link_default_latency:
 * what per-exchange latency costs the pipelined upload, shown, not a target.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimImage, type SimRadioOptions, SWITCH_DEFAULTS, ZERO_LATENCY } from '@switchfleet/firmware-sim';
import { FakeSuite } from '@switchfleet/testkit/releases';
import { startSystem } from '../../scripts/system.ts';
import { benchConfig } from './config.ts';
import { percentile, type Benchmark, type Report } from './harness.ts';
import { apiClient } from './api-client.ts';

const IMAGE_BYTES = 256 * 1024;
const LINK_BYTES_PER_SECOND = 20_000;
const IDLE_COMMANDS = 60;
/** What noble's HCI bindings ask for on every link. */
const NOBLE_MTU = 256;

interface UpdateRun {
  imageBytes: number;
  elapsedS: number;
  /** Seconds from each state or phase's first announcement to the next one's. */
  phases: [string, number][];
  firstEventS: number;
  idle: number[];
  during: number[];
}

const bench: Benchmark = {
  name: 'update',
  description: 'One 256 KiB cloud-driven update vs. the link bound; command p99 on other switches during it vs. idle',
  async run(report) {
    const radio = { seed: 11, linkBytesPerSecond: LINK_BYTES_PER_SECOND, mtu: NOBLE_MTU };
    const main = await measure({ ...ZERO_LATENCY, ...radio }, true);
    const boundS = main.imageBytes / LINK_BYTES_PER_SECOND;
    report.figure('image_bytes', main.imageBytes);
    report.figure('request_to_confirmed_s', main.elapsedS, 's');
    report.figure('link_bound_s', boundS, 's');
    report.figure('vs_link', boundS / main.elapsedS);
    phaseFigures(report, main, '');
    report.figure('command_p99_idle_ms', percentile(main.idle, 99), 'ms');
    report.figure('command_p99_during_ms', percentile(main.during, 99), 'ms');
    report.figure('commands_during', main.during.length);
    report.figure('command_p99_ratio', percentile(main.during, 99) / percentile(main.idle, 99));

    const slow = await measure(radio, false);
    report.figure('request_to_confirmed_default_latency_s', slow.elapsedS, 's');
    report.figure('vs_link_default_latency', boundS / slow.elapsedS);
    phaseFigures(report, slow, '_default_latency');
  },
};

function phaseFigures(report: Report, run: UpdateRun, suffix: string): void {
  report.figure(`request_to_first_event${suffix}_s`, run.firstEventS, 's');
  for (const [phase, s] of run.phases) report.figure(`phase_${phase}${suffix}_s`, s, 's');
}

/** One update on a fresh system with this radio; with `commands`, user commands idle and during it. */
async function measure(radio: SimRadioOptions, commands: boolean): Promise<UpdateRun> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-bench-update-'));
  const system = await startSystem({
    gatewayDataDir: join(dir, 'gateway'),
    databaseUrl: benchConfig().databaseUrl,
    jwtSecret: 'bench-secret-that-is-long-enough-for-hs256',
    demoEmail: 'bench@switchfleet.local',
    demoPassword: 'bench-password',
    gatewayId: 'bench-update-gw',
    switches: 3,
    radio,
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
    for (let i = 0; commands && i < IDLE_COMMANDS; i++) idle.push(await command(i));

    const image = buildSimImage({
      version: '1.1.0',
      hardwareId: SWITCH_DEFAULTS.hardwareId,
      privateKeyPem: system.releaseKeys!.privateKeyPem,
      sizeBytes: IMAGE_BYTES,
    });
    const { releases } = system.cloud.services;
    const release = await releases.upload(image);
    while ((await releases.get(release.id)).state === 'testing') await new Promise((r) => setTimeout(r, 50));

    // When each state (or running phase) of the job was first announced; events may come before the
    // request's answer names the job.
    const heard: { jobId: string; key: string; at: number }[] = [];
    const off = system.cloud.events.subscribe((e) => {
      if (e.type === 'update')
        heard.push({
          jobId: e.jobId,
          key: e.state === 'running' && e.phase ? e.phase : e.state,
          at: performance.now(),
        });
    });
    const t0 = performance.now();
    const job = await call('POST', `/v1/admin/devices/${target}/updates`, ops, { releaseId: release.id });
    if (job.status !== 202) throw new Error(`update refused: ${JSON.stringify(job.json)}`);
    const during: number[] = [];
    let state = 'queued';
    for (let i = 0; ['queued', 'waiting', 'running'].includes(state); i++) {
      if (commands) during.push(await command(i));
      else await new Promise((r) => setTimeout(r, 50));
      state = String((await call('GET', `/v1/admin/updates/${job.json.id}`, ops)).json.state);
    }
    const polledEnd = performance.now();
    off();
    if (state !== 'succeeded') throw new Error(`the update ended ${state}`);
    const marks: [string, number][] = [];
    for (const h of heard) if (h.jobId === job.json.id && !marks.some(([k]) => k === h.key)) marks.push([h.key, h.at]);
    // Confirmed is when the cloud recorded it, not when the next poll between commands saw it.
    const end = marks.find(([k]) => k === 'succeeded')?.[1] ?? polledEnd;
    const phases = marks
      .filter(([k]) => k !== 'succeeded')
      .map(([k, at], i, all): [string, number] => [k, ((all[i + 1]?.[1] ?? end) - at) / 1000]);
    return {
      imageBytes: image.length,
      elapsedS: (end - t0) / 1000,
      phases,
      firstEventS: ((marks[0]?.[1] ?? end) - t0) / 1000,
      idle,
      during,
    };
  } finally {
    await system.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export default bench;
