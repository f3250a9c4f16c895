/**
 * What the rollout engine's tests share: a cloud with fast ticks and two passed releases, and a
 * fleet of scripted gateways (real MQTT clients) that answer each update job the way the test says
 * (succeed, fail, revert, hang), answer a cancel by ending the job `cancelled`, and record how many
 * jobs each gateway and home had in flight at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePayload, encodePayload, parseTopic, topicFor, type UpdateJob } from '@switchfleet/protocol';
import { household, randomAddress, unique } from '@switchfleet/testkit/cloud';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { eventually } from '@switchfleet/testkit/poll';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { FakeSuite, TEST_HARDWARE, testImage, testKey } from '@switchfleet/testkit/releases';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { devices } from '../src/db/schema.ts';
import { createCloud, parseConfig, type Cloud, type CloudConfig, type RolloutView } from '../src/index.ts';

export const OLD_VERSION = '0.9.0';

export interface RolloutCloud {
  cloud: Cloud;
  config: CloudConfig;
  /** Two passed releases: `previous` (what a rollback goes back to) and `current`. */
  previous: { id: string; version: string };
  current: { id: string; version: string };
  restart(overrides?: Partial<CloudConfig>): Promise<void>;
  close(): Promise<void>;
}

/** A cloud whose engine ticks every 50 ms, on PostgreSQL (DATABASE_URL) or PGlite in a directory. */
export async function rolloutCloud(overrides: Partial<CloudConfig> = {}): Promise<RolloutCloud> {
  const scratch = await scratchDatabase(parseConfig().databaseUrl);
  const dir = mkdtempSync(join(tmpdir(), 'sf-rollouts-'));
  const config: CloudConfig = {
    ...(scratch.url ? { databaseUrl: scratch.url } : { dataDir: dir }),
    mqttPort: await freeFixedPort(),
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: new FakeSuite(),
    releaseTesting: { pollMs: 50 },
    downloadSecret: Buffer.alloc(32, 1),
    updateTickMs: 50,
    // A job whose send a restart cut off goes down again soon (the dispatcher's own redelivery).
    redeliverAfterMs: 1000,
    rolloutTickMs: 50,
    ...overrides,
  };
  const start = async () => {
    const cloud = await createCloud(config);
    await cloud.services.updateDispatcher.setPublicUrl('http://cloud.example.test');
    return cloud;
  };
  const rig: RolloutCloud = {
    cloud: await start(),
    config,
    previous: { id: '', version: '' },
    current: { id: '', version: '' },
    async restart(more = {}) {
      await rig.cloud.close();
      Object.assign(config, more);
      rig.cloud = await start();
    },
    async close() {
      await rig.cloud.close();
      await scratch.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const which of ['previous', 'current'] as const) {
    const r = await rig.cloud.services.releases.upload(testImage());
    await eventually(async () => (await rig.cloud.services.releases.get(r.id)).state === 'passed', 20_000);
    rig[which] = { id: r.id, version: r.version };
  }
  return rig;
}

export type Answer = 'succeed' | 'fail' | 'revert' | 'hang';

export interface FleetSwitch {
  deviceId: string;
  address: string;
  homeId: string;
  gatewayId: string;
}

/** Where a fleet's gateways connect: the cloud they are provisioned in and the broker they talk to. */
export interface FleetTarget {
  cloud(): Cloud;
  /** The broker's URL for gateways; default the cloud's embedded broker. */
  url?(): string;
  /** Makes the gateway a broker user (an external mosquitto has its own password file). */
  addUser?(gatewayId: string, secret: string): Promise<void>;
}

/** Scripted gateways of a fleet: homes × gateways × switches, all on OLD_VERSION and online. */
export class Fleet {
  readonly switches: FleetSwitch[] = [];
  readonly gateways: MqttGateway[] = [];
  readonly jobs: UpdateJob[] = [];
  readonly cancels: string[] = [];
  /** How a device answers its next job; default succeed after `delayMs`. */
  answer: (deviceId: string, attempt: number) => Answer = () => 'succeed';
  delayMs = 100;
  readonly maxPerGateway = new Map<string, number>();
  readonly maxPerHome = new Map<string, number>();
  readonly #inFlight = new Map<string, FleetSwitch>();
  readonly #attempts = new Map<string, number>();
  readonly #answered = new Set<string>();
  readonly #owner = new Map<string, MqttGateway>();
  readonly #secrets = new Map<string, string>();
  #seq = 0;

  constructor(private readonly target: FleetTarget) {}

  private get cloud(): Cloud {
    return this.target.cloud();
  }

  async build(homes: number, gatewaysPerHome: number, perGateway: number, battery = 90): Promise<this> {
    for (let h = 0; h < homes; h++) {
      const hh = await household(this.cloud);
      const creds = [hh.credentials];
      for (let g = 1; g < gatewaysPerHome; g++) {
        creds.push(
          await this.cloud.services.gateways.provisionGateway({ gatewayId: unique('gw'), homeId: hh.home.id }),
        );
      }
      for (const c of creds) {
        const gw = await this.connect(c.gatewayId, c.secret);
        for (let s = 0; s < perGateway; s++) {
          const address = randomAddress();
          await gw.report(
            { address, model: 'WoHand', hardwareId: TEST_HARDWARE, firmwareVersion: OLD_VERSION },
            { battery, state: { on: false } },
          );
          this.switches.push({ deviceId: '', address, homeId: hh.home.id, gatewayId: c.gatewayId });
        }
      }
    }
    await eventually(async () => {
      const rows = await this.cloud.db
        .select({ id: devices.id, address: devices.address })
        .from(devices)
        .where(
          inArray(
            devices.address,
            this.switches.map((s) => s.address),
          ),
        );
      if (rows.length < this.switches.length) return false;
      const byAddress = new Map(rows.map((r) => [r.address, r.id]));
      for (const s of this.switches) s.deviceId = byAddress.get(s.address)!;
      return true;
    }, 20_000);
    return this;
  }

  async connect(gatewayId: string, secret: string): Promise<MqttGateway> {
    this.#secrets.set(gatewayId, secret);
    await this.target.addUser?.(gatewayId, secret);
    const url = this.target.url?.() ?? this.cloud.broker.url;
    const gw = await eventually(() => MqttGateway.connect({ url, gatewayId, secret }).catch(() => null));
    gw.client.on('message', (topic, payload) => {
      if (parseTopic(topic)?.name !== 'updateCancel') return;
      const cancel = decodePayload('updateCancel', payload);
      // A publish on a connection a restart closed fails; the job is sent again on the new one.
      if (cancel.ok) this.#cancelled(gw, cancel.value.jobId).catch(() => {});
    });
    gw.onUpdateJob((job) => void this.#handle(gw, job).catch(() => {}));
    await gw.subscribeDown();
    await gw.announce();
    this.gateways.push(gw);
    await eventually(async () => (await this.cloud.services.gateways.get(gatewayId))?.online);
    return gw;
  }

  /** Jobs in flight at the gateways now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Connects every gateway again (after the cloud's broker restarted). */
  async reconnect(): Promise<void> {
    const ids = this.gateways.splice(0).map((gw) => gw.gatewayId);
    for (const id of ids) await this.connect(id, this.#secrets.get(id)!);
  }

  /** Reports a switch again with new fields (battery, online). */
  async report(sw: FleetSwitch, fields: { battery?: number; online?: boolean }): Promise<void> {
    const gw = this.gateways.find((g) => g.gatewayId === sw.gatewayId)!;
    await gw.report({ address: sw.address, model: 'WoHand', hardwareId: TEST_HARDWARE }, fields);
  }

  async #handle(gw: MqttGateway, job: UpdateJob): Promise<void> {
    // A redelivery on the same connection runs once; on a new connection (the old one died with its
    // answer) the job runs on there, as a gateway resumes it.
    if (this.#answered.has(job.jobId) || this.#owner.get(job.jobId) === gw) return;
    this.#owner.set(job.jobId, gw);
    if (!this.jobs.some((j) => j.jobId === job.jobId)) this.jobs.push(job);
    const sw = this.switches.find((s) => s.deviceId === job.deviceId)!;
    this.#inFlight.set(job.jobId, sw);
    this.#record();
    const attempt = (this.#attempts.get(sw.deviceId) ?? 0) + 1;
    this.#attempts.set(sw.deviceId, attempt);
    const answer = this.answer(sw.deviceId, attempt);
    await this.#send(gw, sw, 'updateProgress', { jobId: job.jobId, state: 'running', phase: 'uploading', bytes: 1 });
    if (answer === 'hang') return;
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.#owner.get(job.jobId) !== gw || !this.#inFlight.delete(job.jobId)) return;
    const result =
      answer === 'succeed'
        ? { status: 'succeeded', version: job.version }
        : { status: 'failed', reason: answer === 'revert' ? 'reverted' : 'device_error', version: OLD_VERSION };
    try {
      await this.#send(gw, sw, 'updateResult', { jobId: job.jobId, ...result });
      this.#answered.add(job.jobId);
    } catch (e) {
      this.#inFlight.delete(job.jobId);
      throw e;
    }
  }

  async #cancelled(gw: MqttGateway, jobId: string): Promise<void> {
    this.cancels.push(jobId);
    const sw = this.#inFlight.get(jobId);
    if (!sw || !this.#inFlight.delete(jobId)) return;
    await this.#send(gw, sw, 'updateResult', { jobId, status: 'failed', reason: 'cancelled', version: OLD_VERSION });
  }

  async #send(gw: MqttGateway, sw: FleetSwitch, name: 'updateProgress' | 'updateResult', body: object) {
    const payload = { v: 1, seq: ++this.#seq, ts: new Date().toISOString(), ...body };
    await gw.publish(
      topicFor(name, { gatewayId: gw.gatewayId, address: sw.address }),
      encodePayload(name, payload as never),
    );
  }

  #record(): void {
    const by = (key: (s: FleetSwitch) => string, max: Map<string, number>) => {
      const counts = new Map<string, number>();
      for (const s of this.#inFlight.values()) counts.set(key(s), (counts.get(key(s)) ?? 0) + 1);
      for (const [k, n] of counts) max.set(k, Math.max(max.get(k) ?? 0, n));
    };
    by((s) => s.gatewayId, this.maxPerGateway);
    by((s) => s.homeId, this.maxPerHome);
  }

  async close(): Promise<void> {
    for (const gw of this.gateways) await gw.close().catch(() => {});
  }
}

/** Waits until the rollout satisfies `ok`; returns its view. */
export function until(cloud: () => Cloud, id: string, ok: (r: RolloutView) => boolean, timeoutMs = 15_000) {
  return eventually(async () => {
    const r = await cloud().services.rollouts.get(id);
    return r && ok(r) ? r : null;
  }, timeoutMs);
}

/** A three-stage spec: one switch, half, all; no soak; caps as given. */
export function threeStages(releaseId: string, more: Record<string, unknown> = {}) {
  return {
    releaseId,
    stages: [
      { count: 1, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 },
      { percent: 50, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 },
      { percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0 },
    ],
    caps: { perGateway: 1, perHomePercent: 50, fleet: 100 },
    ...more,
  };
}

/**
 * One rollout cloud for a test file: started before its tests, closed after them with every fleet
 * `fleet()` built. `rig()` is the started cloud and its releases.
 */
export function useRolloutCloud() {
  let started: RolloutCloud | undefined;
  const fleets: Fleet[] = [];
  beforeAll(async () => {
    started = await rolloutCloud();
  }, 60_000);
  afterAll(async () => {
    for (const f of fleets) await f.close();
    await started?.close();
  });
  const rig = () => started!;
  const cloud = () => rig().cloud;
  return {
    rig,
    cloud,
    /** A fleet of homes × gateways × switches on the cloud, closed with it. */
    fleet: async (homes: number, gateways: number, switches: number) => {
      const f = await new Fleet({ cloud }).build(homes, gateways, switches);
      fleets.push(f);
      return f;
    },
  };
}
