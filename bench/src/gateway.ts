/**
 * Gateway footprint: RSS of a gateway process with 50 simulated switches under a steady command
 * load, and its CPU per 100 state updates per second. The gateway runs in a child process (this
 * same file with --child) so that the figures are its own, not the benchmark driver's. The child is
 * bundled and run on plain node with the gateway's V8 flags, as the systemd unit runs the gateway
 * (scripts/build/bundle.ts), not through the tsx loader. It also holds the simulated radio (noble's
 * bindings live in-process), so two more children are measured beside it: one with the radio and
 * switches only, and one with neither. gateway.rss_mb is the whole child; gateway.rss_over_sim_mb
 * is what the gateway adds to the same process without it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundle, GATEWAY_NODE_FLAGS } from '../../scripts/build/bundle.ts';
import type { Benchmark } from './harness.ts';

/** Inside node_modules so that the bundle's external modules resolve from the repo's packages. */
const CHILD_BUNDLE = 'node_modules/.cache/switchfleet/gateway-bench.mjs';

const SWITCHES = 50;
const COMMANDS_PER_S = 40;
const WARMUP_MS = 3_000;
const MEASURE_MS = 10_000;

interface Sample {
  rssMb: number;
  heapMb: number;
  cpuUs: number;
  updates: number;
  at: number;
}

interface ChildArgs {
  brokerUrl: string;
  gatewayId: string;
  dataDir: string;
  sim: boolean;
  gateway: boolean;
}

/** The child: a simulated radio with SWITCHES switches and (unless measuring the floor) a gateway. */
async function child(args: ChildArgs): Promise<void> {
  if (args.sim) await runSim(args);
  const sample = (): Sample => {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    return {
      rssMb: mem.rss / 1048576,
      heapMb: mem.heapUsed / 1048576,
      cpuUs: cpu.user + cpu.system,
      updates,
      at: performance.now(),
    };
  };
  process.stdout.write('ready\n');
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'sample') process.stdout.write(`${JSON.stringify(sample())}\n`);
    if (line === 'exit') process.exit(0);
  });
}

let updates = 0;

const RADIO = { seed: 7, connectLatencyMs: 5, gattLatencyMs: 2, actuationMs: 20, advertisingIntervalMs: 500 };
const SWITCH_SPECS = Array.from({ length: SWITCHES }, (_, i) => ({ distanceM: 2 + (i % 5) }));

async function runSim(args: ChildArgs): Promise<void> {
  if (!args.gateway) {
    const { createSimRadio } = await import('@switchfleet/firmware-sim');
    const radio = createSimRadio(RADIO);
    for (const spec of SWITCH_SPECS) radio.addSwitch(spec);
    return;
  }
  const { startSimGateway } = await import('@switchfleet/lab/sim-gateway');
  const pino = (await import('pino')).default;
  const sim = await startSimGateway({
    gatewayId: args.gatewayId,
    radio: RADIO,
    switches: SWITCH_SPECS,
    mqtt: { url: args.brokerUrl, username: args.gatewayId, password: 'bench' },
    dataDir: args.dataDir,
    config: { logLevel: 'silent' },
    log: pino({ level: 'silent' }),
  });
  sim.gateway.deps.registry.onChange(() => {
    updates += 1;
  });
}

interface Driver {
  sample(): Promise<Sample>;
  stop(): Promise<void>;
}

async function spawnChild(args: ChildArgs): Promise<Driver> {
  const proc = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, CHILD_BUNDLE, '--child', JSON.stringify(args)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const w = waiters.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const next = () =>
    new Promise<string>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : waiters.push(resolve)));
  const first = await next();
  if (first !== 'ready') throw new Error(`gateway child said ${first}`);
  return {
    async sample() {
      proc.stdin!.write('sample\n');
      return JSON.parse(await next()) as Sample;
    },
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin!.write('exit\n');
      await exited;
    },
  };
}

const bench: Benchmark = {
  name: 'gateway',
  description: `gateway RSS with ${SWITCHES} simulated switches under ${COMMANDS_PER_S} commands/s, and CPU per 100 state updates/s`,
  async run(report) {
    await bundle(fileURLToPath(import.meta.url), CHILD_BUNDLE);
    const { startPlainBroker } = await import('@switchfleet/testkit/broker');
    const mqtt = (await import('mqtt')).default;
    const { commandRequest, encodePayload, topicFor, decodePayload } = await import('@switchfleet/protocol');
    const broker = await startPlainBroker();
    const brokerUrl = broker.url;
    const dataDir = mkdtempSync(join(tmpdir(), 'sf-bench-gw-'));
    const gatewayId = 'bench-gw';
    const cloud = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, clientId: 'bench-cloud' });
    const addresses = new Set<string>();
    let results = 0;
    let failed = 0;
    cloud.on('message', (topic, payload) => {
      if (topic.endsWith('/state')) {
        const d = decodePayload('deviceState', payload);
        if (d.ok) addresses.add(d.value.device.address);
      } else if (topic.endsWith('/result')) {
        const d = decodePayload('commandResult', payload);
        if (d.ok) results += 1;
        if (d.ok && d.value.status !== 'succeeded') failed += 1;
      }
    });
    await cloud.subscribeAsync(`sf/v1/gw/${gatewayId}/#`, { qos: 1 });

    try {
      const floors: Sample[] = [];
      for (const sim of [false, true]) {
        const floor = await spawnChild({ brokerUrl, gatewayId: 'bench-floor', dataDir, sim, gateway: false });
        await new Promise((r) => setTimeout(r, 2000));
        floors.push(await floor.sample());
        await floor.stop();
      }
      const [nodeOnly, simOnly] = floors as [Sample, Sample];

      const gw = await spawnChild({ brokerUrl, gatewayId, dataDir, sim: true, gateway: true });
      const until = Date.now() + 30_000;
      while (addresses.size < SWITCHES && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (addresses.size < SWITCHES) throw new Error(`only ${addresses.size} of ${SWITCHES} switches reported`);
      const list = [...addresses];
      let sent = 0;
      const load = setInterval(() => {
        const address = list[sent % list.length]!;
        const body = encodePayload('command', commandRequest(`bench-${sent++}`, 'toggle', 10_000));
        void cloud.publishAsync(topicFor('command', { gatewayId, address }), body, { qos: 1 });
      }, 1000 / COMMANDS_PER_S);
      await new Promise((r) => setTimeout(r, WARMUP_MS));
      const a = await gw.sample();
      await new Promise((r) => setTimeout(r, MEASURE_MS));
      const b = await gw.sample();
      clearInterval(load);
      const settle = Date.now() + 15_000;
      while (results < sent && Date.now() < settle) await new Promise((r) => setTimeout(r, 100));
      await gw.stop();

      const seconds = (b.at - a.at) / 1000;
      const cpuPct = ((b.cpuUs - a.cpuUs) / 1000 / (b.at - a.at)) * 100;
      const updatesPerS = (b.updates - a.updates) / seconds;
      report.figure('rss_mb', b.rssMb, 'MB');
      report.figure('cpu_pct_per_100_updates', updatesPerS > 0 ? cpuPct / (updatesPerS / 100) : Number.NaN, '%');
      report.figure('rss_over_sim_mb', b.rssMb - simOnly.rssMb, 'MB');
      report.figure('rss_vs_goal_80mb', b.rssMb / 80);
      report.figure('sim_only_rss_mb', simOnly.rssMb, 'MB');
      report.figure('node_only_rss_mb', nodeOnly.rssMb, 'MB');
      report.figure('heap_mb', b.heapMb, 'MB');
      report.figure('cpu_pct', cpuPct, '%');
      report.figure('updates_per_s', updatesPerS);
      report.figure('commands_answered', `${results}/${sent} (${failed} not succeeded)`);
    } finally {
      await cloud.endAsync(true);
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default bench;

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3] ?? '{}') as ChildArgs);
