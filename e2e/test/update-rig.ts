/**
 * The whole system of `npm start` (startSystem) for the update tests: the demo release key, a suite
 * the test steers, the API listening so the gateway downloads from the cloud's signed URL, an
 * operator and the household's switches. On the PostgreSQL of DATABASE_URL when it is set, else
 * PGlite in a directory that outlives a cloud restart; the broker keeps one port across restarts.
 * Registers its own beforeAll/afterAll; read the rig's fields inside tests.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimImage, SWITCH_DEFAULTS, type FlashState } from '@switchfleet/firmware-sim';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { eventually } from '@switchfleet/testkit/poll';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { FakeSuite, passAll } from '@switchfleet/testkit/releases';
import type { CloudEvent } from '@switchfleet/cloud';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect } from 'vitest';
import { startSystem, type System } from '../../scripts/system.ts';

export interface JobView {
  id: string;
  state: string;
  phase: string | null;
  waitingReason: string | null;
  reason: string | null;
  detail: string | null;
  bytes: number | null;
  version: string | null;
}

export interface UpdateRig {
  readonly system: System;
  readonly base: string;
  readonly ops: { authorization: string };
  readonly household: { authorization: string };
  readonly deviceIds: string[];
  /** Every cloud event since the start (of the first cloud instance). */
  readonly events: CloudEvent[];
  /** Uploads a release of `version` and waits for its tests; `pass: false` steers the suite to fail it. */
  release(version: string, opts?: { pass?: boolean; sizeBytes?: number }): Promise<{ id: string; sha256: string }>;
  startUpdate(deviceId: string, releaseId: string): Promise<InjectResponse>;
  cancel(jobId: string): Promise<InjectResponse>;
  job(id: string): Promise<JobView>;
  /** Resolves with the job once it ended. */
  ended(id: string, timeoutMs?: number): Promise<JobView>;
  /** The simulated switch of a device: the version it runs and its flash (where its upload session lives). */
  switchOf(deviceId: string): Promise<{ version: string; flash: FlashState }>;
}

type InjectResponse = Awaited<ReturnType<System['api']['inject']>>;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function useUpdateSystem(options: { gatewayId: string; switches: number }): UpdateRig {
  let system: System | undefined;
  let dir: string;
  let dropDb = async () => {};
  const suite = new FakeSuite();
  const failing = new Set<string>();
  const rig = {
    base: '',
    ops: { authorization: '' },
    household: { authorization: '' },
    deviceIds: [] as string[],
    events: [] as CloudEvent[],
  };
  const sys = () => {
    if (!system) throw new Error('the system is not started: read it inside a test, after beforeAll');
    return system;
  };
  const login = async (email: string, password: string) => {
    const r = await sys().api.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
    expect(r.statusCode).toBe(200);
    return { authorization: `Bearer ${r.json<{ accessToken: string }>().accessToken}` };
  };
  const job = async (id: string) =>
    (await sys().api.inject({ method: 'GET', url: `/v1/admin/updates/${id}`, headers: rig.ops })).json<JobView>();

  beforeAll(async () => {
    const db = await scratchDatabase(process.env.DATABASE_URL);
    dropDb = db.drop;
    dir = await mkdtemp(join(tmpdir(), 'switchfleet-update-'));
    suite.verdict = async (image, opts) =>
      failing.has(sha(image))
        ? {
            suiteVersion: 'fake-suite 1',
            cases: [{ name: 'control', outcome: 'failed', durationMs: 1, seed: 1, detail: 'steered to fail' }],
          }
        : passAll(image, opts);
    system = await startSystem({
      gatewayDataDir: join(dir, 'gateway'),
      ...(db.url ? { databaseUrl: db.url } : { dataDir: join(dir, 'cloud') }),
      mqttPort: await freeFixedPort(),
      mqttHost: '127.0.0.1',
      jwtSecret: 'e2e-secret-that-is-long-enough-for-hs256',
      demoEmail: 'household@example.test',
      demoPassword: 'correct horse battery',
      gatewayId: options.gatewayId,
      switches: options.switches,
      radio: { linkBytesPerSecond: 16 * 1024 },
      operator: { email: 'ops@example.test', password: 'ops-password-long' },
      releaseKeysIn: dir,
      releaseSuite: suite,
    });
    rig.base = await system.listen(0, '127.0.0.1');
    system.cloud.events.subscribe((e) => rig.events.push(e));
    rig.ops = await login('ops@example.test', 'ops-password-long');
    rig.household = await login('household@example.test', 'correct horse battery');
    rig.deviceIds = await eventually(async () => {
      const r = await sys().api.inject({ method: 'GET', url: '/v1/devices', headers: rig.household });
      const list = r.json<{ id: string; online: boolean }[]>();
      return list.length === options.switches && list.every((d) => d.online) && list.map((d) => d.id);
    }, 30_000);
  }, 180_000);

  afterAll(async () => {
    await system?.close();
    await dropDb();
    await rm(dir, { recursive: true, force: true });
  });

  // A getter is defined, not assigned (Object.assign would read it before the system starts).
  Object.defineProperty(rig, 'system', { get: sys });
  return Object.assign(rig as typeof rig & { readonly system: System }, {
    async release(version: string, opts: { pass?: boolean; sizeBytes?: number } = {}) {
      const image = buildSimImage({
        version,
        hardwareId: SWITCH_DEFAULTS.hardwareId,
        privateKeyPem: sys().releaseKeys!.privateKeyPem,
        sizeBytes: opts.sizeBytes ?? 24 * 1024,
      });
      if (opts.pass === false) failing.add(sha(image));
      const { releases } = sys().cloud.services;
      const r = await releases.upload(image);
      await eventually(async () => (await releases.get(r.id)).state !== 'testing', 30_000);
      return r;
    },
    startUpdate: (deviceId: string, releaseId: string) =>
      sys().api.inject({
        method: 'POST',
        url: `/v1/admin/devices/${deviceId}/updates`,
        headers: rig.ops,
        payload: { releaseId },
      }),
    cancel: (jobId: string) =>
      sys().api.inject({ method: 'POST', url: `/v1/admin/updates/${jobId}/cancel`, headers: rig.ops }),
    job,
    ended: (id: string, timeoutMs = 90_000) =>
      eventually(async () => {
        const j = await job(id);
        return !['queued', 'waiting', 'running'].includes(j.state) && j;
      }, timeoutMs),
    async switchOf(deviceId: string) {
      const rows = await sys().cloud.db.execute(sql`select address from devices where id = ${deviceId}`);
      const address = (rows as unknown as { rows: { address: string }[] }).rows[0]!.address;
      const sw = sys().radio.switches.find((s) => s.address.replaceAll(':', '').toLowerCase() === address)!;
      return { version: sw.store.firmwareVersion, flash: sw.store.extra.flash as FlashState };
    },
  });
}
