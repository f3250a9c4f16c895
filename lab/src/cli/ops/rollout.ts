/**
 * `switchfleet rollout plan|create|status|pause|resume|cancel|approve`: staged rollouts in the cloud,
 * through the admin API. `status --watch` follows the rollout on the operators' event stream
 * (rollout-watch.ts) and exits 1 with the reason when it ends other than completed.
 */
import { text } from 'node:stream/consumers';
import { CliFailure, ExitCode, readIn, UsageError, type CliIo } from '../io.ts';
import { ROLLOUT_USAGE } from '../usage.ts';
import { opsSubcommand } from './command.ts';
import { getRollout, hasEnded, type Rollout, rolloutOutcome, watchRollout } from './rollout-watch.ts';

type Counts = Record<string, number>;
interface Plan {
  stages: { devices: string[]; homes: string[]; gateways: string[] }[];
  skipped: { deviceId: string; reason: string }[];
  estimate: { makespanSeconds: number; lowerBoundSeconds: number; radioSecondsPerGateway: Record<string, number> };
}

const BAR = 30;

export async function rollout(args: string[], io: CliIo): Promise<number> {
  const command = opsSubcommand(args, io, { watch: { type: 'boolean' } }, ROLLOUT_USAGE);
  if (command.exit !== null) return command.exit;
  const { sub, values, positionals, connect } = command;
  const [arg, ...extra] = positionals;
  if (arg === undefined || extra.length > 0) throw new UsageError(`"rollout ${sub}" takes one argument`, ROLLOUT_USAGE);
  if (values.watch && sub !== 'status') throw new UsageError('--watch goes with "rollout status"', ROLLOUT_USAGE);
  const path = `/rollouts/${encodeURIComponent(arg)}`;
  switch (sub) {
    case 'plan':
    case 'create': {
      const body = await specFrom(io, arg);
      const client = await connect();
      if (sub === 'plan') {
        printPlan(io, (await client.call('POST', '/rollouts/plan', body)) as Plan);
        return ExitCode.ok;
      }
      const created = (await client.call('POST', '/rollouts', body)) as Rollout;
      printRollout(io, created);
      io.out(`follow it with "switchfleet rollout status ${created.id} --watch"`);
      return ExitCode.ok;
    }
    case 'status': {
      const client = await connect();
      if (!values.watch) {
        printRollout(io, await getRollout(client, arg));
        return ExitCode.ok;
      }
      const now = await getRollout(client, arg);
      if (!hasEnded(now)) return watchRollout(client, arg, io, (r) => printRollout(io, r));
      printRollout(io, now);
      return rolloutOutcome(now);
    }
    case 'pause':
    case 'resume':
    case 'cancel':
    case 'approve': {
      const client = await connect();
      printRollout(io, (await client.call('POST', `${path}/${sub}`)) as Rollout);
      return ExitCode.ok;
    }
    default:
      throw new UsageError(`unknown command "rollout ${sub}"`, ROLLOUT_USAGE);
  }
}

/** The spec from a JSON file, or from standard input for "-". */
async function specFrom(io: CliIo, file: string): Promise<{ bytes: Buffer; type: string }> {
  const source = file === '-' ? await text(io.stdin ?? process.stdin) : await readIn(io, file, 'utf8');
  try {
    JSON.parse(source);
  } catch (e) {
    throw new CliFailure(`${file === '-' ? 'standard input' : file} is not JSON: ${(e as Error).message}`);
  }
  return { bytes: Buffer.from(source), type: 'application/json' };
}

function printPlan(io: CliIo, plan: Plan): void {
  plan.stages.forEach((s, i) => {
    io.out(`stage ${i}: ${s.devices.length} devices, ${s.homes.length} homes, ${s.gateways.length} gateways`);
  });
  const why = new Map<string, number>();
  for (const s of plan.skipped) why.set(s.reason, (why.get(s.reason) ?? 0) + 1);
  io.out(`skipped: ${plan.skipped.length}${[...why].map(([r, n]) => ` ${r}=${n}`).join('')}`);
  const e = plan.estimate;
  io.out(`estimate: makespan ${seconds(e.makespanSeconds)} (lower bound ${seconds(e.lowerBoundSeconds)})`);
}

function printRollout(io: CliIo, r: Rollout): void {
  io.out(`rollout ${r.id}  ${r.state}${r.reason ? ` (${r.reason}${r.detail ? `: ${r.detail}` : ''})` : ''}`);
  for (const s of r.stages) io.out(`  stage ${s.index} ${bar(s.counts)} ${s.state}`);
  io.out(`  all: ${countsLine(r.counts)}`);
  for (const g of r.gateways ?? []) io.out(`  gateway ${g.gatewayId}: ${countsLine(g.counts)}`);
  const planned = `planned ${seconds(r.report.plannedMakespanSeconds)}`;
  const actual = r.report.actualMakespanSeconds === null ? '' : `, actual ${seconds(r.report.actualMakespanSeconds)}`;
  io.out(`  makespan: ${planned}${actual}`);
}

const COUNTED = ['succeeded', 'updating', 'waiting', 'pending', 'failed', 'reverted', 'timeout', 'skipped'];
const countsLine = (c: Counts) => COUNTED.map((k) => `${k} ${c[k] ?? 0}`).join('  ');

/** "[#########.....]  9/14": succeeded of the stage's devices. */
function bar(c: Counts & { total: number }): string {
  const done = c.succeeded ?? 0;
  const filled = c.total === 0 ? BAR : Math.round((done / c.total) * BAR);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(done).padStart(5)}/${c.total}`;
}

function seconds(s: number): string {
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(total % 60).padStart(2, '0')}s`;
}
