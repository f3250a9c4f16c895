/**
 * What one engine tick reads on a rollout of 3,000 switches with a handful in flight: the devices it
 * follows and a few start candidates, not every open device of the rollout. Each store method's
 * returned rows are counted while the real engine ticks. On PostgreSQL (DATABASE_URL) or PGlite.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchConfig } from '../src/config.ts';
import { seedFleet, type SeededFleet } from '../src/rollout/fleet.ts';
import { SIM_HARDWARE, startSimRig, type SimRig } from '../src/rollout/rig.ts';
import { SimulatedGateways } from '../src/rollout/sim.ts';

const RADIO = { linkBytesPerSecond: 4000, perDeviceOverheadSeconds: 30, tickSeconds: 1 };
const FLEET_CAP = 10;
let rig: SimRig;
let fleet: SeededFleet;

beforeAll(async () => {
  rig = await startSimRig(benchConfig().databaseUrl, RADIO, 16 * 1024);
  fleet = await seedFleet(rig.cloud.db, {
    gateways: 60,
    switchesPerGateway: 50,
    hardwareId: SIM_HARDWARE,
    version: '0.9.0',
    prefix: 'tick-reads',
  });
}, 180_000);
afterAll(async () => {
  await rig?.close();
});

/** Rows returned by the engine's store per tick: every array a store method resolves to, summed. */
function countRows(rig: SimRig): { reset(): void; rows(): number } {
  const deps = (rig.rollouts.engine as unknown as { deps: { store: Record<string, unknown> } }).deps;
  const store = deps.store;
  let rows = 0;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
    const original = store[name];
    if (name === 'constructor' || typeof original !== 'function') continue;
    store[name] = async (...args: unknown[]) => {
      const result = (await (original as (...a: unknown[]) => Promise<unknown>).apply(store, args)) as unknown;
      if (Array.isArray(result)) rows += result.length;
      return result;
    };
  }
  return { reset: () => (rows = 0), rows: () => rows };
}

it('reads the devices in flight and a few candidates per tick, not every open device', async () => {
  const created = await rig.rollouts.rollouts.create({
    releaseId: rig.release.id,
    target: { homeIds: fleet.homeIds },
    stages: [{ percent: 100, successThreshold: 95, errorThreshold: 5, minSample: 10, soakSeconds: 0 }],
    caps: { perGateway: 1, perHomePercent: 50, fleet: FLEET_CAP },
    health: { enabled: false },
  });
  expect(created.stages[0]!.counts.total).toBe(3000);
  const counter = countRows(rig);
  const gateways = new SimulatedGateways(rig, RADIO);
  await rig.rollouts.engine.tick();
  await gateways.takeNew(created.id);
  expect(gateways.inFlight.size).toBe(FLEET_CAP);
  const perTick: number[] = [];
  for (let i = 0; i < 3; i++) {
    rig.clock.now += 60_000;
    const ending = [...gateways.inFlight.values()].sort((a, b) => a.endsAt - b.endsAt).slice(0, 3);
    await gateways.finish(ending);
    counter.reset();
    await rig.rollouts.engine.tick();
    perTick.push(counter.rows());
    await gateways.takeNew(created.id);
    expect(gateways.inFlight.size).toBe(FLEET_CAP);
  }
  // In flight (10), the candidates for three free places (at most 2 × 3 + 100) and a few stage rows:
  // far below the 3,000 open devices a tick that read them all would return.
  for (const rows of perTick) expect(rows).toBeLessThan(200);
  const view = (await rig.rollouts.rollouts.get(created.id))!;
  expect(view.counts.succeeded).toBe(9);
  expect(view.counts.updating).toBe(FLEET_CAP);
  expect(view.counts.pending + view.counts.waiting).toBe(3000 - 9 - FLEET_CAP);
}, 180_000);
