/**
 * The whole system of `npm start` (startSystem: the cloud, the API listening so the gateway downloads
 * from the cloud's signed URL, the production gateway over two simulated switches) with the demo
 * release key and a suite the test steers: releases pass unless made with `pass: false`. On PGlite,
 * or the PostgreSQL of DATABASE_URL when it is set.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimImage, SWITCH_DEFAULTS } from '@switchfleet/firmware-sim';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, passAll } from '@switchfleet/testkit/releases';
import { sql } from 'drizzle-orm';
import { startSystem, type System } from '../../scripts/system.ts';

export const RIG_HOUSEHOLD = { email: 'household@example.test', password: 'correct horse battery' };
export const RIG_OPERATOR = { email: 'ops@example.test', password: 'ops-password-long' };

export interface UpdateRig {
  readonly system: System;
  /** The API's URL. */
  readonly base: string;
  /** A scratch directory, removed by close(). */
  readonly dir: string;
  /** The household's two switches, both online. */
  readonly deviceIds: string[];
  /** Uploads a release of `version` and waits for the suite's verdict: passed, or failed with `pass: false`. */
  release(version: string, opts?: { pass?: boolean; sizeBytes?: number }): Promise<{ id: string; sha256: string }>;
  /** The version the simulated switch itself runs (its store, which its bootloader writes). */
  switchVersion(deviceId: string): Promise<string>;
  close(): Promise<void>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function startUpdateRig(gatewayId: string): Promise<UpdateRig> {
  const db = await scratchDatabase(process.env.DATABASE_URL);
  const dir = await mkdtemp(join(tmpdir(), `switchfleet-${gatewayId}-`));
  const failing = new Set<string>();
  const suite = new FakeSuite();
  suite.verdict = async (image, options) =>
    failing.has(sha(image))
      ? {
          suiteVersion: 'fake-suite 1',
          cases: [{ name: 'control', outcome: 'failed', durationMs: 1, seed: 1, detail: 'steered to fail' }],
        }
      : passAll(image, options);
  const system = await startSystem({
    gatewayDataDir: join(dir, 'gateway'),
    databaseUrl: db.url,
    jwtSecret: 'e2e-secret-that-is-long-enough-for-hs256',
    demoEmail: RIG_HOUSEHOLD.email,
    demoPassword: RIG_HOUSEHOLD.password,
    gatewayId,
    switches: 2,
    radio: { linkBytesPerSecond: 16 * 1024 },
    operator: RIG_OPERATOR,
    releaseKeysIn: dir,
    releaseSuite: suite,
  });
  const base = await system.listen(0, '127.0.0.1');
  const user = await system.cloud.services.accounts.findByEmail(RIG_HOUSEHOLD.email);
  const deviceIds = await eventually(async () => {
    const list = await system.cloud.services.devices.listForUser(user!.id);
    return list.length === 2 && list.every((d) => d.online) && list.map((d) => d.id);
  }, 30_000);
  return {
    system,
    base,
    dir,
    deviceIds,
    async release(version, opts = {}) {
      const image = buildSimImage({
        version,
        hardwareId: SWITCH_DEFAULTS.hardwareId,
        privateKeyPem: system.releaseKeys!.privateKeyPem,
        sizeBytes: opts.sizeBytes ?? 24 * 1024,
      });
      if (opts.pass === false) failing.add(sha(image));
      const { releases } = system.cloud.services;
      const r = await releases.upload(image);
      await eventually(async () => (await releases.get(r.id)).state !== 'testing', 30_000);
      return r;
    },
    async switchVersion(deviceId) {
      const rows = await system.cloud.db.execute(sql`select address from devices where id = ${deviceId}`);
      const { address } = (rows as unknown as { rows: { address: string }[] }).rows[0]!;
      const sw = system.radio.switches.find((s) => s.address.replaceAll(':', '').toLowerCase() === address);
      return sw!.store.firmwareVersion;
    },
    async close() {
      await system.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
