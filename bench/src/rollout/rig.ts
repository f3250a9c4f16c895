/**
 * A real cloud (createCloud: database, services, dispatcher) for the simulated rollouts, with its own
 * engine's timer and update tick held off, and a second rollout domain whose engine reads a clock
 * the simulation moves. It holds one passed release: a signed image (the protocol's MCUboot builder,
 * testkit's key) uploaded through ReleaseService.upload and passed by the FakeSuite.
 *
 * Update jobs' deadlines are wall-clock and the update tick that expires them is held off: in
 * simulated time a job would otherwise expire in real minutes that stand for hours.
 */
import { pino } from 'pino';
import { createCloud, createRollouts, type Cloud } from '@switchfleet/cloud';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { FakeSuite, TEST_HARDWARE, testImage, testKey } from '@switchfleet/testkit/releases';

/** setInterval's longest delay: a timer that never fires within a benchmark. */
const NEVER_MS = 2_147_483_647;

export interface RadioModel {
  /** Bytes per second one switch's link carries during an upload. */
  linkBytesPerSecond: number;
  /** Seconds per switch besides the bytes: connect, test boot, confirm. */
  perDeviceOverheadSeconds: number;
  /** The engine's tick period: work is seen at the first tick at or after it happens. */
  tickSeconds: number;
}

export interface SimRig {
  cloud: Cloud;
  rollouts: ReturnType<typeof createRollouts>;
  /** Simulated epoch ms; the engine's clock reads it. */
  clock: { now: number };
  release: { id: string; version: string; size: number };
  close(): Promise<void>;
}

/** A cloud on a scratch PostgreSQL database (databaseUrl) or in-memory PGlite, with one passed release. */
export async function startSimRig(
  databaseUrl: string | undefined,
  radio: Omit<RadioModel, 'tickSeconds'>,
  imageBytes: number,
): Promise<SimRig> {
  const scratch = await scratchDatabase(databaseUrl);
  const cloud = await createCloud({
    databaseUrl: scratch.url,
    mqttPort: 0,
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: new FakeSuite(),
    releaseTesting: { pollMs: 50 },
    // The cloud's own engine and update tick stay still; the simulation ticks its engine itself.
    rolloutTickMs: NEVER_MS,
    updateTickMs: NEVER_MS,
    // Seeded switches are heard once, at seeding; they stay online however long the run takes.
    deviceOfflineAfterMs: NEVER_MS,
  });
  const clock = { now: Date.now() };
  const plan = {
    linkBytesPerSecond: radio.linkBytesPerSecond,
    perDeviceOverheadSeconds: radio.perDeviceOverheadSeconds,
  };
  const rollouts = createRollouts(
    {
      db: cloud.db,
      bus: cloud.events,
      releases: cloud.services.releases,
      updates: cloud.services.updates,
      logger: pino({ level: 'warn' }, pino.destination(2)),
    },
    { rolloutClock: () => clock.now, rolloutPlan: plan },
  );
  try {
    // Jobs are sent once the cloud knows where gateways download; the simulated ones never do.
    await cloud.services.updateDispatcher.setPublicUrl('http://bench.invalid');
    const uploaded = await cloud.services.releases.upload(testImage({ payloadBytes: imageBytes }));
    let release = await cloud.services.releases.get(uploaded.id);
    for (let i = 0; release.state === 'testing' && i < 400; i++) {
      await new Promise((r) => setTimeout(r, 50));
      release = await cloud.services.releases.get(uploaded.id);
    }
    if (release.state !== 'passed') throw new Error(`the bench release ended ${release.state}, not passed`);
    const rig: SimRig = {
      cloud,
      rollouts,
      clock,
      release: { id: release.id, version: release.version, size: release.size },
      async close() {
        await rollouts.engine.unlease().catch(() => {});
        await cloud.close();
        await scratch.drop();
      },
    };
    return rig;
  } catch (e) {
    await cloud.close();
    await scratch.drop();
    throw e;
  }
}

export { TEST_HARDWARE as SIM_HARDWARE };
