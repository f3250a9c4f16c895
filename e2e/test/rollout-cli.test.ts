/**
 * `switchfleet rollout` against a real fleet (rollout-rig.ts: the cloud with its API listening, the
 * production gateway over simulated switches in two homes), the CLI run as a separate node process as
 * an operator runs it: plan, create, status, a watch to completion through a pipe, pause, resume and
 * approve; a watch that exits 1 when the rollout is cancelled; one whose stream ends under it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutListeningSessions } from '@switchfleet/testkit/database';
import { eventually } from '@switchfleet/testkit/poll';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRolloutRig, type RolloutRig } from './rollout-rig.ts';
import { startSwitchfleet, switchfleet, type CliPlace } from './switchfleet-cli.ts';

const OPERATOR = { email: 'rollout-ops@example.test', password: 'ops-password-long' };
const GATE = { successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 };
let rig: RolloutRig;
let dir = '';
let place: CliPlace;

beforeAll(async () => {
  rig = await startRolloutRig({ homes: [2, 2] });
  await rig.cloud.services.operators.create({ ...OPERATOR, role: 'operator' });
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-rollout-cli-'));
  const { port } = rig.api.server.address() as { port: number };
  place = { cwd: dir, url: `http://127.0.0.1:${port}`, tokenFile: join(dir, 'config', 'session.json') };
  const login = await switchfleet(place, ['login', OPERATOR.email, '--password-stdin'], OPERATOR.password);
  expect(login.code, login.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rig?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A spec file for every switch of the fleet: one switch first, then the rest once approved. */
async function specFile(releaseId: string, name: string, firstNeedsApproval = false): Promise<string> {
  const file = join(dir, `${name}.json`);
  const spec = {
    releaseId,
    target: { homeIds: rig.homes.map((h) => h.household.home.id) },
    stages: [
      { count: 1, ...GATE, approval: firstNeedsApproval },
      { percent: 100, ...GATE, approval: true },
    ],
    caps: { perGateway: 1 },
  };
  await writeFile(file, JSON.stringify(spec));
  return file;
}

const createdId = (stdout: string) => /^rollout ([0-9a-f-]{36}) {2}/m.exec(stdout)?.[1];
const stateOf = async (id: string) => (await rig.cloud.services.rollouts.get(id))?.state;

it('plans, creates, shows and watches a rollout to its end through a pipe, paused, resumed and approved', async () => {
  const release = await rig.release('1.1.0');
  const file = await specFile(release.id, 'good');
  const plan = await switchfleet(place, ['rollout', 'plan', file]);
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stdout).toMatch(/^stage 0: 1 devices, 1 homes, 1 gateways$/m);
  expect(plan.stdout).toMatch(/^stage 1: 3 devices, 2 homes, 2 gateways$/m);
  expect(plan.stdout).toMatch(/^skipped: 0$/m);
  expect(plan.stdout).toMatch(/^estimate: makespan \d+m\d\ds \(lower bound \d+m\d\ds\)$/m);

  const created = await switchfleet(place, ['rollout', 'create', file]);
  expect(created.code, created.stderr).toBe(0);
  const id = createdId(created.stdout)!;
  expect(id, created.stdout).toBeDefined();
  expect(created.stdout).toContain(`switchfleet rollout status ${id} --watch`);

  const watching = startSwitchfleet(place, ['rollout', 'status', id, '--watch']);
  await eventually(async () => (await stateOf(id)) === 'awaiting_approval', 90_000);
  const status = await switchfleet(place, ['rollout', 'status', id]);
  expect(status.code, status.stderr).toBe(0);
  expect(status.stdout).toMatch(new RegExp(`^rollout ${id} {2}awaiting_approval$`, 'm'));
  expect(status.stdout).toMatch(/^ {2}stage 0 \[#{30}\] +1\/1 awaiting_approval$/m);
  expect(status.stdout).toMatch(/^ {2}stage 1 \[\.{30}\] +0\/3 pending$/m);
  expect(status.stdout).toMatch(/^ {2}all: succeeded 1 {2}updating 0 {2}waiting 0 {2}pending 3 /m);
  const gateways = [...status.stdout.matchAll(/^ {2}gateway (\S+): succeeded (\d)/gm)];
  expect(gateways.map((m) => m[1]).sort()).toEqual([...new Set(rig.switches.map((s) => s.gatewayId))].sort());
  expect(gateways.map((m) => Number(m[2])).sort()).toEqual([0, 1]);

  const paused = await switchfleet(place, ['rollout', 'pause', id]);
  expect([paused.code, paused.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^rollout ${id} {2}paused`))]);
  expect(await stateOf(id)).toBe('paused');
  const resumed = await switchfleet(place, ['rollout', 'resume', id]);
  expect(resumed.code, resumed.stderr).toBe(0);
  await eventually(async () => (await stateOf(id)) === 'awaiting_approval');
  const approved = await switchfleet(place, ['rollout', 'approve', id]);
  expect([approved.code, approved.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^rollout ${id} {2}running`))]);

  const watched = await watching.ended;
  expect(watched.code, watched.stderr).toBe(0);
  // Plain lines through a pipe: each stage's progress, its states, no bar but the last status's.
  const bars = watched.stdout.split('\n').filter((l) => l.includes('['));
  expect(bars, watched.stdout).toEqual([
    expect.stringMatching(/^ {2}stage 0 \[/),
    expect.stringMatching(/^ {2}stage 1 \[/),
  ]);
  for (const line of ['stage 0 100% 1/1', 'stage 1: running', 'stage 1 100% 3/3', 'stage 1: passed']) {
    expect(watched.stdout).toContain(line);
  }
  expect(watched.stdout).toContain(`rollout ${id}: paused`);
  expect(watched.stdout).toMatch(new RegExp(`^rollout ${id} {2}completed$`, 'm'));
  expect(rig.switches.map((s) => s.sw.store.firmwareVersion)).toEqual(rig.switches.map(() => '1.1.0'));

  const again = await switchfleet(place, ['rollout', 'plan', file]);
  expect(again.stdout).toMatch(/^skipped: 4 already_on_version=4$/m);
}, 240_000);

it('exits 1 with the reason when the watched rollout is cancelled', async () => {
  const release = await rig.release('1.2.0');
  const created = await switchfleet(place, ['rollout', 'create', await specFile(release.id, 'cancelled', true)]);
  const id = createdId(created.stdout)!;
  const watching = startSwitchfleet(place, ['rollout', 'status', id, '--watch']);
  await eventually(async () => watching.stdout.includes(`rollout ${id}: awaiting_approval`), 90_000);
  const cancel = await switchfleet(place, ['rollout', 'cancel', id]);
  expect(cancel.code, cancel.stderr).toBe(0);
  const watched = await watching.ended;
  expect([watched.code, watched.stderr]).toEqual([1, expect.stringContaining(`rollout ${id} cancelled`)]);
  const twice = await switchfleet(place, ['rollout', 'approve', id]);
  expect([twice.code, twice.stderr]).toEqual([1, expect.stringMatching(/409 /)]);
  const usage = await switchfleet(place, ['rollout', 'pause', id, '--watch']);
  expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('usage: switchfleet rollout')]);
}, 180_000);

// Cutting the cloud's listening session needs a PostgreSQL server (.ci/run sets DATABASE_URL).
it.runIf(process.env.DATABASE_URL)(
  'reads the rollout again and reconnects when the stream ends under the watch, then follows it to its end',
  async () => {
    const release = await rig.release('1.3.0');
    const created = await switchfleet(place, ['rollout', 'create', await specFile(release.id, 'cut', true)]);
    const id = createdId(created.stdout)!;
    const watching = startSwitchfleet(place, ['rollout', 'status', id, '--watch']);
    await eventually(async () => watching.stdout.includes(`rollout ${id}: awaiting_approval`), 90_000);
    expect(await cutListeningSessions(rig.cloud.database)).toBeGreaterThan(0);
    expect((await switchfleet(place, ['rollout', 'approve', id])).code).toBe(0);
    await eventually(async () => (await stateOf(id)) === 'awaiting_approval', 90_000);
    expect((await switchfleet(place, ['rollout', 'approve', id])).code).toBe(0);
    const watched = await watching.ended;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr).toContain('the event stream ended; reading the rollout again and reconnecting');
    expect(watched.stdout).toMatch(new RegExp(`^rollout ${id} {2}completed$`, 'm'));
  },
  240_000,
);
