/**
 * The release test queue across instances on one database (PostgreSQL with DATABASE_URL, else one
 * PGlite shared in-process, as two-instances.ts does): each release is tested once, one run at a
 * time per instance; a run whose instance died is taken again once its lease ran out, and a run
 * handed back by a stopping instance at once.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloud, type Cloud, type CloudConfig } from '../src/cloud.ts';
import { parseConfig } from '../src/config.ts';
import { rowsOf, type Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open.ts';
import { ReleaseTestQueue } from '../src/releases/queue.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, hangUntilAborted, passAll, testImage, testKey } from '@switchfleet/testkit/releases';

let scratch: ScratchDatabase;
let shared: Database | undefined;
const clouds: Cloud[] = [];

beforeAll(async () => {
  scratch = await scratchDatabase(parseConfig().databaseUrl);
  shared = scratch.url ? undefined : await openDatabase({});
});
afterAll(async () => {
  for (const c of clouds) await c.close();
  await shared?.close();
  await scratch?.drop();
});

async function instance(overrides: Partial<CloudConfig> = {}): Promise<Cloud> {
  const cloud = await createCloud({
    databaseUrl: scratch.url,
    database: shared,
    mqttPort: 0,
    initialTrustedKeys: [testKey.publicKeyPem],
    ...overrides,
  });
  clouds.push(cloud);
  return cloud;
}

/** A suite that takes `ms` per run and remembers how many of its runs overlapped. */
function slowSuite(ms: number): FakeSuite & { maxAtOnce: number } {
  const suite = Object.assign(new FakeSuite(), { maxAtOnce: 0 });
  let atOnce = 0;
  suite.verdict = async (image, options) => {
    atOnce += 1;
    suite.maxAtOnce = Math.max(suite.maxAtOnce, atOnce);
    await new Promise((resolve) => setTimeout(resolve, ms));
    atOnce -= 1;
    return passAll(image, options);
  };
  return suite;
}

const settled = (cloud: Cloud, id: string) =>
  eventually(async () => {
    const r = await cloud.services.releases.get(id);
    return r.state !== 'testing' && r;
  }, 20_000);
const reportsOf = async (cloud: Cloud, id: string) =>
  rowsOf<{ n: number }>(
    await cloud.db.execute(sql`select count(*)::integer as n from release_reports where release_id = ${id}`),
  )[0]?.n;
const attemptsOf = async (cloud: Cloud, id: string) =>
  rowsOf<{ n: number }>(await cloud.db.execute(sql`select test_attempts as n from releases where id = ${id}`))[0]?.n;

describe('the release test queue', () => {
  it('tests each release once with two instances polling, one run at a time on each', async () => {
    const timing = { pollMs: 30, leaseMs: 5_000 };
    const suites = [slowSuite(150), slowSuite(150)];
    const [one, two] = [
      await instance({ releaseSuite: suites[0], releaseTesting: timing }),
      await instance({ releaseSuite: suites[1], releaseTesting: timing }),
    ];
    const images = Array.from({ length: 6 }, () => testImage());
    const uploaded = [];
    for (const [i, image] of images.entries())
      uploaded.push(await (i % 2 ? two : one)!.services.releases.upload(image));
    for (const r of uploaded) expect((await settled(one!, r.id)).state).toBe('passed');

    for (const image of images) expect(suites[0]!.runsOf(image).length + suites[1]!.runsOf(image).length).toBe(1);
    for (const r of uploaded) expect(await reportsOf(one!, r.id)).toBe(1);
    expect(suites[0]!.runs.length + suites[1]!.runs.length).toBe(images.length);
    expect(suites[0]!.maxAtOnce).toBe(1);
    expect(suites[1]!.maxAtOnce).toBe(1);
    await one!.close();
    await two!.close();
  });

  it('runs a release again once the lease of an instance that died mid-run has run out', async () => {
    const uploader = await instance();
    const release = await uploader.services.releases.upload(testImage());
    const dead = new ReleaseTestQueue(uploader.db);
    const leaseMs = 3_000;
    const cut = await dead.claim('dead-instance', leaseMs);
    const claimedAt = Date.now();
    expect(cut?.releaseId).toBe(release.id);

    const suite = new FakeSuite();
    let startedAt = 0;
    suite.verdict = async (image, options) => {
      startedAt = Date.now();
      return passAll(image, options);
    };
    const survivor = await instance({ releaseSuite: suite, releaseTesting: { pollMs: 50 } });
    expect((await settled(survivor, release.id)).state).toBe('passed');
    expect(suite.runs).toHaveLength(1);
    // Not before the dead instance's lease ran out (the database's clock, read here within a few ms).
    expect(startedAt - claimedAt).toBeGreaterThanOrEqual(leaseMs - 100);
    expect(await attemptsOf(survivor, release.id)).toBe(2);

    // The dead run's late word counts for nothing.
    const late = { outcome: 'failed' as const, reason: 'late', suiteVersion: 'x', cases: [] };
    expect(await dead.finish(cut!, 'dead-instance', late)).toBe(false);
    expect(await dead.heartbeat(release.id, 'dead-instance', leaseMs)).toBe(false);
    expect((await survivor.services.releases.get(release.id)).state).toBe('passed');
    expect(await reportsOf(survivor, release.id)).toBe(1);
    await uploader.close();
    await survivor.close();
  });

  it('starts a run cut by a restart again: the stopping instance hands it back, not failed', async () => {
    const hanging = new FakeSuite();
    hanging.verdict = hangUntilAborted;
    const first = await instance({ releaseSuite: hanging, releaseTesting: { pollMs: 50, leaseMs: 30_000 } });
    const release = await first.services.releases.upload(testImage());
    await eventually(async () => hanging.runs.length === 1);
    await first.close();
    expect(hanging.runs[0]!.options.signal.aborted).toBe(true);
    const observer = await instance();
    const [row] = rowsOf<{ state: string; lease_owner: string | null }>(
      await observer.db.execute(sql`select state, lease_owner from releases where id = ${release.id}`),
    );
    expect(row).toEqual({ state: 'testing', lease_owner: null });
    expect(await reportsOf(observer, release.id)).toBe(0);

    // Well before the 30 s lease the first run took would have run out.
    const suite = new FakeSuite();
    const second = await instance({ releaseSuite: suite, releaseTesting: { pollMs: 50, leaseMs: 30_000 } });
    const started = Date.now();
    expect((await settled(second, release.id)).state).toBe('passed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await reportsOf(second, release.id)).toBe(1);
  });
});
