/**
 * A fleet for the rollout end-to-end tests: a cloud (PGlite, or a scratch database of DATABASE_URL)
 * with its API listening so gateways download from its signed URLs, the demo release key, a suite
 * that passes every image, and several homes, each with the production gateway over its own
 * simulated radio and switches running a factory image signed with that key. The rollout engine
 * ticks fast so a stage takes seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { createCloud, deriveDownloadSecret, rowsOf, type Cloud, type CloudConfig } from '@switchfleet/cloud';
import { buildApi } from '@switchfleet/mobile-api';
import { buildSimImage, SimFirmware, SWITCH_DEFAULTS, type Behaviour, type SimSwitch } from '@switchfleet/firmware-sim';
import { startSimGateway, type SimGateway } from '@switchfleet/lab';
import { household, type Household } from '@switchfleet/testkit/cloud';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite } from '@switchfleet/testkit/releases';
import { ensureReleaseKeys, type ReleaseKeys } from '../../scripts/release-keys.ts';

const JWT_SECRET = 'e2e-rollout-secret-long-enough-for-hs256';

export interface RigSwitch {
  deviceId: string;
  homeId: string;
  gatewayId: string;
  sw: SimSwitch;
  firmware: SimFirmware;
}

export interface RigHome {
  household: Household;
  sim: SimGateway;
}

export interface RolloutRig {
  cloud: Cloud;
  api: FastifyInstance;
  keys: ReleaseKeys;
  homes: RigHome[];
  switches: RigSwitch[];
  /**
   * Uploads a release the suite passes; resolves once it is `passed`. The security counter defaults
   * to the one the version implies (imgtool's `auto`); a release meant to be rolled back to keeps it equal.
   */
  release(version: string, faults?: string[], securityCounter?: number): Promise<{ id: string }>;
  /** Closes the cloud and starts another on the same database and broker port. */
  restartCloud(): Promise<void>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** Switches per home, one gateway per home. */
  homes: number[];
  /** Extra behaviours per switch, by [home][switch]. */
  behaviours?: (home: number, index: number) => Behaviour[];
  cloud?: Partial<CloudConfig>;
  linkBytesPerSecond?: number;
  /** The gateways' updates.linkLossLimit (their default when absent). */
  linkLossLimit?: number;
}

/** Images stay small so an upload over the simulated link takes a fraction of a second. */
export const IMAGE_BYTES = 8 * 1024;

export async function startRolloutRig(options: RigOptions): Promise<RolloutRig> {
  const dir = await mkdtemp(join(tmpdir(), 'switchfleet-rollout-'));
  const db = await scratchDatabase(process.env.DATABASE_URL);
  const keys = await ensureReleaseKeys(dir);
  const suite = new FakeSuite();
  const cloudConfig = (mqttPort: number): CloudConfig => ({
    databaseUrl: db.url,
    // Without a server, PGlite on disk: a second cloud opens what the first one wrote.
    dataDir: db.url === undefined ? join(dir, 'pglite') : undefined,
    mqttPort,
    commandSweepMs: 100,
    initialTrustedKeys: [keys.publicKeyPem],
    downloadSecret: deriveDownloadSecret(JWT_SECRET),
    releaseSuite: suite,
    rolloutTickMs: 150,
    ...options.cloud,
  });
  let cloud = await createCloud(cloudConfig(0));
  const mqttPort = Number(new URL(cloud.broker.url).port);
  let api = await buildApi({ cloud, jwtSecret: JWT_SECRET });
  let apiPort = 0;
  const listen = async () => {
    await api.listen({ port: apiPort, host: '127.0.0.1' });
    apiPort = (api.server.address() as { port: number }).port;
    await cloud.services.updateDispatcher.setPublicUrl(`http://127.0.0.1:${apiPort}`);
  };
  await listen();

  const factory = buildSimImage({
    version: SWITCH_DEFAULTS.firmwareVersion,
    hardwareId: SWITCH_DEFAULTS.hardwareId,
    privateKeyPem: keys.privateKeyPem,
    sizeBytes: IMAGE_BYTES,
  });
  const homes: RigHome[] = [];
  const firmwares = new Map<SimSwitch, SimFirmware>();
  for (const [h, n] of options.homes.entries()) {
    const hh = await household(cloud);
    const firmwareOf = Array.from(
      { length: n },
      () => new SimFirmware({ image: factory, trustedKeys: [keys.publicKeyPem] }),
    );
    const sim = await startSimGateway({
      gatewayId: hh.credentials.gatewayId,
      radio: {
        seed: 1000 + h,
        connectLatencyMs: 5,
        gattLatencyMs: 2,
        actuationMs: 20,
        linkBytesPerSecond: options.linkBytesPerSecond ?? 64 * 1024,
      },
      switches: firmwareOf.map((fw, i) => ({ behaviours: [fw, ...(options.behaviours?.(h, i) ?? [])] })),
      mqtt: { url: cloud.broker.url, username: hh.credentials.gatewayId, password: hh.credentials.secret },
      config: {
        ota: { trustedKeyFiles: [keys.publicPath] },
        logLevel: 'warn',
        ...(options.linkLossLimit ? { updates: { linkLossLimit: options.linkLossLimit } } : {}),
      },
    });
    for (const [i, sw] of sim.switches.entries()) firmwares.set(sw, firmwareOf[i]!);
    homes.push({ household: hh, sim });
  }

  const switches = await eventually(async () => {
    const all: RigSwitch[] = [];
    for (const { household: hh, sim } of homes) {
      const views = await cloud.services.devices.listForUser(hh.user.id);
      if (views.length !== sim.switches.length || !views.every((v) => v.online)) return false;
      const addresses = rowsOf<{ id: string; address: string }>(
        await cloud.db.execute(sql`select id, address from devices where home_id = ${hh.home.id}`),
      );
      for (const sw of sim.switches) {
        const address = sw.address.replaceAll(':', '').toLowerCase();
        const row = addresses.find((v) => v.address === address);
        if (!row) return false;
        all.push({
          deviceId: row.id,
          homeId: hh.home.id,
          gatewayId: hh.credentials.gatewayId,
          sw,
          firmware: firmwares.get(sw)!,
        });
      }
    }
    return all;
  }, 30_000);

  return {
    get cloud() {
      return cloud;
    },
    get api() {
      return api;
    },
    keys,
    homes,
    switches,
    async release(version, faults = [], securityCounter) {
      const image = buildSimImage({
        version,
        hardwareId: SWITCH_DEFAULTS.hardwareId,
        privateKeyPem: keys.privateKeyPem,
        sizeBytes: IMAGE_BYTES,
        faults,
        ...(securityCounter === undefined ? {} : { securityCounter }),
      });
      const { releases } = cloud.services;
      const r = await releases.upload(image);
      await eventually(async () => (await releases.get(r.id)).state === 'passed', 30_000);
      return r;
    },
    async restartCloud() {
      await api.close();
      await cloud.close();
      cloud = await createCloud(cloudConfig(mqttPort));
      api = await buildApi({ cloud, jwtSecret: JWT_SECRET });
      await listen();
    },
    async close() {
      await api.close();
      await Promise.allSettled(homes.map((h) => h.sim.close()));
      await cloud.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Active update jobs right now, per gateway and per home. */
export async function activeJobs(cloud: Cloud) {
  const rows = rowsOf<{ gatewayId: string; homeId: string; n: number }>(
    await cloud.db.execute(sql`select d.gateway_id as "gatewayId", d.home_id as "homeId", count(*)::int as n
      from update_jobs j join devices d on d.id = j.device_id
      where j.state in ('queued', 'waiting', 'running') group by 1, 2`),
  );
  const sum = (key: 'gatewayId' | 'homeId') => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(r[key], (m.get(r[key]) ?? 0) + r.n);
    return m;
  };
  return { byGateway: sum('gatewayId'), byHome: sum('homeId') };
}

/** Samples the active jobs every `everyMs` until stopped; keeps the maxima. */
export function sampleCaps(cloudOf: () => Cloud, everyMs = 100) {
  const max = { gateway: 0, home: new Map<string, number>() };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const { byGateway, byHome } = await activeJobs(cloudOf());
        for (const n of byGateway.values()) max.gateway = Math.max(max.gateway, n);
        for (const [h, n] of byHome) max.home.set(h, Math.max(max.home.get(h) ?? 0, n));
      } catch {
        // A cloud being restarted: the next sample reads the new one.
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    max,
    async stop() {
      stopped = true;
      await loop;
      return max;
    },
  };
}

/** Update jobs per device, for one release (or all). */
export async function jobsPerDevice(cloud: Cloud, releaseId?: string) {
  const rows = rowsOf<{ deviceId: string; n: number }>(
    await cloud.db.execute(sql`select device_id as "deviceId", count(*)::int as n from update_jobs
      where ${releaseId === undefined ? sql`true` : sql`release_id = ${releaseId}`} group by 1`),
  );
  return new Map(rows.map((r) => [r.deviceId, r.n]));
}

/** How many times the switch's bootloader swapped an image in (an update or a revert). */
export const swaps = (s: RigSwitch) => s.firmware.boots.filter((b) => b.swapped !== null).length;
