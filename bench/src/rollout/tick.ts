/**
 * `tick_ms_100k`: one engine tick over a rollout of 100,000 switches (2,000 gateways × 50, one home
 * per gateway), in the steady state of its one stage: the fleet cap's worth of updates in flight and,
 * before each tick, the share of them that ends within one tick period at the radio's pace (in flight
 * × tick period ÷ one update's radio time) reported succeeded, so each tick folds those in and starts
 * as many (under the per-gateway and fleet caps). The figure is the median of the measured ticks;
 * the first tick (every device judged and marked waiting at once) is printed apart, and the median
 * tick's time per store method beside it.
 */
import { percentile, type Report } from '../harness.ts';
import { seedFleet } from './fleet.ts';
import { profileEngine } from './profile.ts';
import { SIM_HARDWARE, startSimRig } from './rig.ts';
import { SimulatedGateways } from './sim.ts';

const GATEWAYS = 2000;
const SWITCHES_PER_GATEWAY = 50;
const IMAGE_BYTES = 256 * 1024;
const RADIO = { linkBytesPerSecond: 4000, perDeviceOverheadSeconds: 30, tickSeconds: 1 };
const WARM_TICKS = 2;
const MEASURED_TICKS = 7;

export async function measureTick(report: Report, databaseUrl: string | undefined): Promise<void> {
  const rig = await startSimRig(databaseUrl, RADIO, IMAGE_BYTES);
  try {
    let t = performance.now();
    const fleet = await seedFleet(rig.cloud.db, {
      gateways: GATEWAYS,
      switchesPerGateway: SWITCHES_PER_GATEWAY,
      hardwareId: SIM_HARDWARE,
      version: '0.9.0',
      prefix: 'tick',
    });
    report.figure('tick.seed_ms', performance.now() - t, 'ms');
    t = performance.now();
    const created = await rig.rollouts.rollouts.create({
      releaseId: rig.release.id,
      target: { homeIds: fleet.homeIds },
      stages: [{ percent: 100, successThreshold: 95, errorThreshold: 5, minSample: 10, soakSeconds: 0 }],
      caps: { perGateway: 1, perHomePercent: 50, fleet: 500 },
    });
    report.figure('tick.create_ms', performance.now() - t, 'ms');
    report.figure('tick.targeted_switches', created.stages[0]!.counts.total);
    const { engine } = rig.rollouts;
    const profile = profileEngine(engine);
    const gateways = new SimulatedGateways(rig, RADIO);
    const timedTick = async () => {
      profile.reset();
      const t0 = performance.now();
      await engine.tick();
      const ms = performance.now() - t0;
      await gateways.takeNew(created.id);
      return { ms, profile: profile.snapshot() };
    };
    const first = await timedTick();
    report.figure('tick_ms_first', first.ms, 'ms');
    const inFlight = gateways.inFlight.size;
    const perUpdateS = rig.release.size / RADIO.linkBytesPerSecond + RADIO.perDeviceOverheadSeconds;
    const endingPerTick = Math.max(1, Math.round((inFlight * RADIO.tickSeconds) / perUpdateS));
    report.figure('tick.in_flight', inFlight);
    report.figure('tick.ended_and_started_per_tick', endingPerTick);
    const ticks: Awaited<ReturnType<typeof timedTick>>[] = [];
    for (let i = 0; i < WARM_TICKS + MEASURED_TICKS; i++) {
      rig.clock.now += RADIO.tickSeconds * 1000;
      const ending = [...gateways.inFlight.values()].sort((a, b) => a.endsAt - b.endsAt).slice(0, endingPerTick);
      await gateways.finish(ending);
      const tick = await timedTick();
      if (gateways.inFlight.size !== inFlight) {
        throw new Error(`the tick left ${gateways.inFlight.size} updates in flight, not ${inFlight}`);
      }
      if (i >= WARM_TICKS) ticks.push(tick);
    }
    const mid = [...ticks].sort((a, b) => a.ms - b.ms)[Math.floor(ticks.length / 2)]!;
    report.figure('tick.samples_ms', ticks.map((x) => Math.round(x.ms)).join(' '));
    for (const p of mid.profile.filter((x) => x.ms >= mid.ms * 0.02)) {
      report.figure(`tick.profile.${p.name}_ms`, p.ms, `ms (${p.calls} calls)`);
    }
    const accounted = mid.profile.reduce((a, p) => a + p.ms, 0);
    report.figure('tick.profile.in_process_ms', mid.ms - accounted, 'ms');
    report.figure(
      'tick_ms_100k',
      percentile(
        ticks.map((x) => x.ms),
        50,
      ),
      'ms',
    );
  } finally {
    await rig.close();
  }
}
