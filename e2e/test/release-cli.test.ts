/**
 * The operators' `switchfleet` commands against a real API over HTTP (a test cloud with a suite the
 * test steers, the API listening on a free port), run as a user runs them: a separate node process.
 * login (password from stdin, session saved 0600, refreshed once expired), release upload, list,
 * show with the report, revoke; the API's refusals come out as its code and message with exit 1,
 * no session as exit 3, an API that is not there as exit 4. On PGlite, or DATABASE_URL's PostgreSQL.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '@switchfleet/mobile-api';
import { startTestCloud, type TestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { FakeSuite, passAll, testImage, testKey } from '@switchfleet/testkit/releases';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchfleet as run, type Run } from './switchfleet-cli.ts';

const ADMIN = { email: 'release-admin@ops.test', password: 'admin passphrase' };
const suite = new FakeSuite();
let t: TestCloud;
let app: FastifyInstance;
let url: string;
let dir: string;
let tokenFile: string;

function switchfleet(args: string[], opts: { stdin?: string; url?: string } = {}): Promise<Run> {
  return run({ cwd: dir, url: opts.url ?? url, tokenFile }, args, opts.stdin);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-ops-cli-'));
  tokenFile = join(dir, 'config', 'switchfleet', 'session.json');
  t = await startTestCloud({
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: suite,
    releaseTesting: { pollMs: 100 },
  });
  await t.cloud.services.operators.create({ ...ADMIN, role: 'admin' });
  app = await buildApi({ cloud: t.cloud, jwtSecret: 'cli-test-secret-that-is-long-enough-for-hs256' });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

// Every command is a node process loading the CLI's TypeScript: seconds each on a loaded machine.
const SLOW = { timeout: 180_000 };
const session = async () => JSON.parse(await readFile(tokenFile, 'utf8'));

describe('switchfleet login', () => {
  it('refuses without a session (3), a wrong password (3), and saves the pair 0600 on success', SLOW, async () => {
    const none = await switchfleet(['release', 'list']);
    expect([none.code, none.stderr]).toEqual([3, expect.stringContaining('not logged in')]);
    const wrong = await switchfleet(['login', ADMIN.email, '--password-stdin'], { stdin: 'nope\n' });
    expect([wrong.code, wrong.stderr]).toEqual([3, expect.stringContaining('401 UNAUTHORIZED')]);
    const ok = await switchfleet(['login', ADMIN.email, '--password-stdin'], { stdin: `${ADMIN.password}\n` });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`as ${ADMIN.email} (admin)`);
    expect(ok.stdout + ok.stderr).not.toContain((await session()).accessToken);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(await session()).toMatchObject({ url, email: ADMIN.email, role: 'admin' });
  });

  it('refreshes an expired access token and saves the new pair', SLOW, async () => {
    const before = await session();
    const again = await switchfleet(['release', 'list']);
    expect(again.code, again.stderr).toBe(0);
    expect((await session()).refreshToken).toBe(before.refreshToken);
    await writeFile(tokenFile, JSON.stringify({ ...before, accessExpiresAt: new Date(0).toISOString() }));
    const listed = await switchfleet(['release', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    const after = await session();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(Date.parse(after.accessExpiresAt)).toBeGreaterThan(Date.now());
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  });

  it('says so when the API cannot be reached (4)', SLOW, async () => {
    const res = await switchfleet(['login', ADMIN.email, '--password-stdin'], {
      stdin: ADMIN.password,
      url: `http://127.0.0.1:${await freeFixedPort()}`,
    });
    expect([res.code, res.stderr]).toEqual([4, expect.stringContaining('cannot reach')]);
  });
});

describe('switchfleet release', () => {
  it('uploads, lists, shows the report case by case, and revokes', SLOW, async () => {
    suite.verdict = async (image, options) => {
      const run = await passAll(image, options);
      return { ...run, cases: [...run.cases, { name: 'latency', outcome: 'passed', durationMs: 41.6, seed: 9 }] };
    };
    await writeFile(join(dir, 'fw.img'), testImage());
    const up = await switchfleet(['release', 'upload', 'fw.img', '--notes', 'first cut']);
    expect(up.code, up.stderr).toBe(0);
    const id = /release ([0-9a-f-]{36}): testing/.exec(up.stdout)?.[1];
    expect(id, up.stdout).toBeDefined();

    const list = await switchfleet(['release', 'list', '--hardware', 'sf-sw1-r1']);
    expect(list.stdout).toContain(id);

    await eventually(async () => (await t.cloud.services.releases.get(id!)).state === 'passed');
    const show = await switchfleet(['release', 'show', id!]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`release ${id}: passed`);
    expect(show.stdout).toContain('notes: first cut');
    expect(show.stdout).toContain('report: passed, 3 cases, 0 failed (fake-suite 1');
    expect(show.stdout).toMatch(/passed {1}control {2}4 ms {2}seed 2 {2}relay followed/);
    expect(show.stdout).toMatch(/passed {1}latency {2}42 ms {2}seed 9\n/);

    const again = await switchfleet(['release', 'upload', 'fw.img']);
    expect([again.code, again.stderr]).toEqual([
      1,
      expect.stringContaining(`409 DUPLICATE: this image is already release ${id}`),
    ]);

    const revoked = await switchfleet(['release', 'revoke', id!]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`release ${id}: revoked`);
    const twice = await switchfleet(['release', 'revoke', id!]);
    expect([twice.code, twice.stderr]).toEqual([1, expect.stringContaining('409 RELEASE_STATE')]);
  });

  it("prints the API's code for a refused image, and usage errors exit 2", SLOW, async () => {
    await writeFile(join(dir, 'unsigned.img'), testImage({ key: null }));
    const refused = await switchfleet(['release', 'upload', 'unsigned.img']);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('422 BAD_SIGNATURE')]);
    const missing = await switchfleet(['release', 'show', '00000000-0000-4000-8000-000000000000']);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('404 NOT_FOUND: release not found')]);
    const usage = await switchfleet(['release', 'upload']);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('usage: switchfleet release')]);
  });
});
