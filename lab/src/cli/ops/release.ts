/** `switchfleet release upload|list|show|revoke`: firmware releases in the cloud, through the admin API. */
import { ExitCode, readIn, UsageError, type CliIo } from '../io.ts';
import { RELEASE_USAGE } from '../usage.ts';
import { opsSubcommand, VALUE } from './command.ts';

interface Release {
  id: string;
  version: string;
  hardwareId: string;
  sha256: string;
  size: number;
  state: string;
  reason: string | null;
  keyId: string;
  notes: string | null;
  createdAt: string;
}

interface Report {
  sha256: string;
  suiteVersion: string;
  outcome: string;
  cases: { name: string; outcome: string; durationMs: number; seed: number; detail: string | null }[];
  createdAt: string;
}

const STATES = ['testing', 'passed', 'failed', 'revoked'];

export async function release(args: string[], io: CliIo): Promise<number> {
  const command = opsSubcommand(
    args,
    io,
    {
      notes: VALUE,
      hardware: VALUE,
      state: VALUE,
      limit: VALUE,
    },
    RELEASE_USAGE,
  );
  if (command.exit !== null) return command.exit;
  const { sub, values, positionals, connect } = command;
  const one = (what: string) => {
    const [value, ...extra] = positionals;
    if (value === undefined || extra.length > 0) throw new UsageError(`expected exactly one ${what}`, RELEASE_USAGE);
    return value;
  };
  switch (sub) {
    case 'upload': {
      const file = one('image file');
      const bytes = await readIn(io, file);
      const client = await connect();
      const query = values.notes === undefined ? '' : `?${new URLSearchParams({ notes: values.notes })}`;
      const created = (await client.call('POST', `/releases${query}`, {
        bytes,
        type: 'application/octet-stream',
      })) as Release;
      io.out(describe(created));
      io.out(`its tests run now: "switchfleet release show ${created.id}" shows the outcome`);
      return ExitCode.ok;
    }
    case 'list': {
      if (positionals.length > 0) throw new UsageError('list takes no arguments', RELEASE_USAGE);
      const client = await connect();
      const releases = (await client.call('GET', `/releases?${listQuery(values)}`)) as Release[];
      if (releases.length === 0) io.out('no releases');
      for (const r of releases) {
        io.out(`${r.id}  ${r.version.padEnd(12)} ${r.hardwareId.padEnd(12)} ${r.state.padEnd(8)} ${r.createdAt}`);
      }
      return ExitCode.ok;
    }
    case 'show': {
      const id = one('release id');
      const client = await connect();
      const found = (await client.call('GET', `/releases/${encodeURIComponent(id)}`)) as Release;
      io.out(describe(found));
      if (found.notes) io.out(`notes: ${found.notes}`);
      if (found.reason) io.out(`reason: ${found.reason}`);
      const report = (await client.find(`/releases/${encodeURIComponent(id)}/report`)) as Report | undefined;
      if (!report) io.out('report: none yet (the suite has not finished a run)');
      else printReport(io, report);
      return ExitCode.ok;
    }
    case 'revoke': {
      const id = one('release id');
      const client = await connect();
      const revoked = (await client.call('POST', `/releases/${encodeURIComponent(id)}/revoke`)) as Release;
      io.out(describe(revoked));
      return ExitCode.ok;
    }
    default:
      throw new UsageError(`unknown command "release ${sub}"`, RELEASE_USAGE);
  }
}

function listQuery(values: { hardware?: string | undefined; state?: string | undefined; limit?: string }): string {
  const query = new URLSearchParams();
  if (values.hardware !== undefined) query.set('hardwareId', values.hardware);
  if (values.state !== undefined) {
    if (!STATES.includes(values.state)) {
      throw new UsageError(`--state must be one of ${STATES.join(', ')}`, RELEASE_USAGE);
    }
    query.set('state', values.state);
  }
  if (values.limit !== undefined) {
    if (!/^\d+$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 200) {
      throw new UsageError('--limit must be a whole number from 1 to 200', RELEASE_USAGE);
    }
    query.set('limit', values.limit);
  }
  return query.toString();
}

function describe(r: Release): string {
  return [
    `release ${r.id}: ${r.state}`,
    `  version ${r.version} for ${r.hardwareId}, ${r.size} bytes, uploaded ${r.createdAt}`,
    `  sha256 ${r.sha256}`,
    `  signed by key ${r.keyId}`,
  ].join('\n');
}

function printReport(io: CliIo, report: Report): void {
  const failed = report.cases.filter((c) => c.outcome !== 'passed').length;
  io.out(
    `report: ${report.outcome}, ${report.cases.length} cases, ${failed} failed (${report.suiteVersion}, ${report.createdAt})`,
  );
  io.out(`  on image sha256 ${report.sha256}`);
  for (const c of report.cases) {
    const detail = c.detail ? `  ${c.detail}` : '';
    io.out(`  ${c.outcome.padEnd(6)} ${c.name}  ${Math.round(c.durationMs)} ms  seed ${c.seed}${detail}`);
  }
}
