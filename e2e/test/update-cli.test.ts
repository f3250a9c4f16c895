/**
 * `switchfleet update` against the whole system of `npm start` (update-rig.ts: the cloud, the API
 * listening, the production gateway over simulated switches, a suite the test steers), the CLI run
 * as a separate node process as an operator runs it: an update watched to its end on the operators'
 * event stream, one watched and cancelled, one the gate refuses, a watch whose stream ends under it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SWITCH_DEFAULTS } from '@switchfleet/firmware-sim';
import { cutListeningSessions } from '@switchfleet/testkit/database';
import { eventually } from '@switchfleet/testkit/poll';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSwitchfleet, switchfleet, type CliPlace } from './switchfleet-cli.ts';
import { useUpdateSystem } from './update-rig.ts';

const rig = useUpdateSystem({ gatewayId: 'e2e-update-cli-gw', switches: 2 });
const OPERATOR = { email: 'ops@example.test', password: 'ops-password-long' };
let dir = '';
let place: CliPlace;
let deviceIds: string[] = [];
const PHASES = ['downloading', 'uploading', 'testing', 'rebooting', 'confirming'];
const release = (version: string, opts?: { pass?: boolean; sizeBytes?: number }) => rig.release(version, opts);
const switchVersion = async (deviceId: string) => (await rig.switchOf(deviceId)).version;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-update-cli-'));
  deviceIds = rig.deviceIds;
  place = { cwd: dir, url: rig.base, tokenFile: join(dir, 'config', 'session.json') };
  const login = await switchfleet(place, ['login', OPERATOR.email, '--password-stdin'], OPERATOR.password);
  expect(login.code, login.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("refuses a release that did not pass its tests with the gate's code, exit 1, and starts nothing", async () => {
  const bad = await release('1.0.5', { pass: false });
  const refused = await switchfleet(place, ['update', deviceIds[0]!, bad.id, '--watch']);
  expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('409 RELEASE_NOT_PASSED')]);
  const list = await switchfleet(place, ['update', 'list', deviceIds[0]!]);
  expect([list.code, list.stdout.trim()]).toEqual([0, 'no update jobs']);
  const usage = await switchfleet(place, ['update', 'cancel', bad.id, '--watch']);
  expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('usage: switchfleet update')]);
}, 120_000);

it('watches an update to its end: the phases in order with their bytes, exit 0, the switch on the new version', async () => {
  const a = deviceIds[0]!;
  const r = await release('1.1.0', { sizeBytes: 64 * 1024 });
  const run = await switchfleet(place, ['update', a, r.id, '--watch']);
  expect(run.code, run.stderr).toBe(0);
  const id = /^update ([0-9a-f-]{36}): queued/m.exec(run.stdout)?.[1];
  expect(id, run.stdout).toBeDefined();
  const phases = [...run.stdout.matchAll(/^running: (\w+)$/gm)].map((m) => m[1]!);
  expect(phases.map((p) => PHASES.indexOf(p))).toEqual(phases.map((p) => PHASES.indexOf(p)).sort());
  expect(phases).toContain('uploading');
  expect(phases.at(-1)).toBe('confirming');
  // Plain lines through a pipe: the upload's bytes as they grow, no bar.
  const total = (await rig.system.cloud.services.releases.get(r.id)).size;
  const uploads = [...run.stdout.matchAll(/^uploading (\d+)% [\d.]+ KiB\/([\d.]+ KiB) [\d.]+ K?i?B\/s$/gm)];
  expect(uploads.length, run.stdout).toBeGreaterThan(2);
  expect(uploads.map((m) => m[2])).toEqual(uploads.map(() => `${(total / 1024).toFixed(1)} KiB`));
  const percents = uploads.map((m) => Number(m[1]));
  expect(percents).toEqual([...percents].sort((x, y) => x - y));
  // A phase that moves no bytes shows none.
  expect(run.stdout).not.toMatch(/^(testing|rebooting|confirming) \d/m);
  expect(run.stdout).not.toContain('[#');
  expect(run.stdout).toMatch(new RegExp(`^update ${id}: succeeded\\n[^]*the switch runs 1\\.1\\.0`, 'm'));
  expect(await switchVersion(a)).toBe('1.1.0');
  const list = await switchfleet(place, ['update', 'list', a]);
  expect(list.stdout).toMatch(new RegExp(`^${id}  1\\.1\\.0 +succeeded`, 'm'));
}, 180_000);

it('cancels a watched update: the watch exits 1 saying so, the switch stays on its image', async () => {
  const b = deviceIds[1]!;
  const r = await release('1.3.0', { sizeBytes: 128 * 1024 });
  const started = await switchfleet(place, ['update', b, r.id]);
  expect(started.code, started.stderr).toBe(0);
  const id = /^update ([0-9a-f-]{36})/m.exec(started.stdout)![1]!;
  const watching = startSwitchfleet(place, ['update', 'status', id, '--watch']);
  await eventually(async () => /^uploading /m.test(watching.stdout), 90_000);
  const cancel = await switchfleet(place, ['update', 'cancel', id]);
  expect(cancel.code, cancel.stderr).toBe(0);
  const watched = await watching.ended;
  expect([watched.code, watched.stderr]).toEqual([1, expect.stringContaining(`update ${id} cancelled`)]);
  const twice = await switchfleet(place, ['update', 'cancel', id]);
  expect([twice.code, twice.stderr]).toEqual([1, expect.stringContaining('409 UPDATE_ENDED')]);
  expect(await switchVersion(b)).toBe(SWITCH_DEFAULTS.firmwareVersion);
}, 180_000);

// Cutting the cloud's listening session needs a PostgreSQL server (.ci/run sets DATABASE_URL).
it.runIf(process.env.DATABASE_URL)(
  'reads the job again and reconnects when the stream ends under the watch, and follows it to its end',
  async () => {
    const a = deviceIds[0]!;
    const r = await release('1.4.0');
    const watching = startSwitchfleet(place, ['update', a, r.id, '--watch']);
    await eventually(async () => /^running: /m.test(watching.stdout), 90_000);
    // The cloud may have missed events: it ends every stream, and the watch must not go on trusting it.
    expect(await cutListeningSessions(rig.system.cloud.database)).toBeGreaterThan(0);
    const watched = await watching.ended;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr).toContain('the event stream ended; reading the job again and reconnecting');
    expect(watched.stdout).toMatch(/^running: confirming$/m);
    expect(watched.stdout).toContain('the switch runs 1.4.0');
    expect(await switchVersion(a)).toBe('1.4.0');
  },
  180_000,
);
