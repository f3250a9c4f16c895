/**
 * `switchfleet update <deviceId> <releaseId> [--watch]`, `update status <jobId> [--watch]`,
 * `update cancel <jobId>`, `update list <deviceId>`: firmware update jobs of single switches,
 * through the admin API. A watched job that ends other than succeeded exits 1 with its reason.
 */
import { CliExit, ExitCode, parseCommand, showUsage, UsageError, type CliIo } from '../io.ts';
import { UPDATE_USAGE } from '../usage.ts';
import type { AdminClient } from './client.ts';
import { jsonBody } from './client.ts';
import { opsClient } from './command.ts';
import { formatBytes, ProgressView } from './progress.ts';
import { followJob, getJob, isActive, JobView, type UpdateJob } from './watch.ts';

const SUBCOMMANDS = new Set(['status', 'cancel', 'list']);

export async function update(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, { watch: { type: 'boolean' } }, UPDATE_USAGE);
  if (values.help) return showUsage(io, UPDATE_USAGE);
  const [first, ...rest] = positionals;
  if (first === undefined) {
    showUsage(io, UPDATE_USAGE);
    return ExitCode.usage;
  }
  const sub = SUBCOMMANDS.has(first) ? first : 'start';
  const operands = sub === 'start' ? positionals : rest;
  const expect = (names: string[]) => {
    if (operands.length !== names.length) {
      throw new UsageError(`expected ${names.join(' and ')}`, UPDATE_USAGE);
    }
    return operands;
  };
  const at = encodeURIComponent;
  if (values.watch && (sub === 'cancel' || sub === 'list')) {
    throw new UsageError(`--watch goes with an update or its status, not "${sub}"`, UPDATE_USAGE);
  }
  const connect = opsClient(io, UPDATE_USAGE);
  switch (sub) {
    case 'start': {
      const [deviceId, releaseId] = expect(['a device id', 'a release id']) as [string, string];
      const client = await connect();
      const body = jsonBody({ releaseId });
      const job = (await client.call('POST', `/devices/${at(deviceId)}/updates`, body)) as UpdateJob;
      io.out(describe(job));
      return values.watch ? watch(client, job, io) : ExitCode.ok;
    }
    case 'status': {
      const [id] = expect(['a job id']) as [string];
      const client = await connect();
      const job = await getJob(client, id);
      io.out(describe(job));
      if (!values.watch) return ExitCode.ok;
      return isActive(job) ? watch(client, job, io) : outcome(job);
    }
    case 'cancel': {
      const [id] = expect(['a job id']) as [string];
      const client = await connect();
      const job = (await client.call('POST', `/updates/${at(id)}/cancel`)) as UpdateJob;
      io.out(describe(job));
      if (isActive(job)) io.out('the gateway is told; the job ends cancelled when it confirms');
      return ExitCode.ok;
    }
    default: {
      const [deviceId] = expect(['a device id']) as [string];
      const client = await connect();
      const jobs = (await client.call('GET', `/updates?${new URLSearchParams({ deviceId })}`)) as UpdateJob[];
      if (jobs.length === 0) io.out('no update jobs');
      for (const j of jobs) {
        const why = j.phase ?? j.reason ?? '';
        io.out(`${j.id}  ${j.targetVersion.padEnd(12)} ${j.state.padEnd(9)} ${why.padEnd(12)} ${j.createdAt}`);
      }
      return ExitCode.ok;
    }
  }
}

async function watch(client: AdminClient, job: UpdateJob, io: CliIo): Promise<number> {
  const view = new JobView(new ProgressView(io.out, io.terminal));
  let ended: UpdateJob;
  try {
    ended = await followJob(client, job.id, view, () =>
      io.err('switchfleet: the event stream ended; reading the job again and reconnecting'),
    );
  } finally {
    view.close();
  }
  io.out(describe(ended));
  return outcome(ended);
}

/** 0 for a job that succeeded; a CliExit with the reason for one that ended otherwise. */
function outcome(job: UpdateJob): number {
  if (job.state === 'failed' || job.state === 'cancelled') {
    const detail = job.detail ? ` (${job.detail})` : '';
    throw new CliExit(`update ${job.id} ${job.state}: ${job.reason ?? 'no reason given'}${detail}`, ExitCode.failed);
  }
  return ExitCode.ok;
}

function describe(j: UpdateJob): string {
  const lines = [`update ${j.id}: ${j.state}${j.phase && isActive(j) ? ` (${j.phase})` : ''}`];
  lines.push(`  device ${j.deviceId} to ${j.targetVersion} (release ${j.releaseId})`);
  if (j.waitingReason) lines.push(`  waiting: ${j.waitingReason}`);
  if (j.bytes !== null && j.totalBytes) {
    lines.push(`  ${formatBytes(j.bytes)} of ${formatBytes(j.totalBytes)}`);
  }
  if (j.reason) lines.push(`  reason: ${j.reason}${j.detail ? ` (${j.detail})` : ''}`);
  if (j.state === 'succeeded' && j.version) lines.push(`  the switch runs ${j.version}`);
  lines.push(`  created ${j.createdAt}${j.endedAt ? `, ended ${j.endedAt}` : ''}`);
  return lines.join('\n');
}
