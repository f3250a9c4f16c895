/**
 * `makespan_vs_bound`: a rollout of 200 gateways × 50 switches (one home per gateway) in simulated
 * time, shaped as the rollout the operators' docs show (one switch and a 10-minute soak, half and a
 * 1-hour soak, then all), one upload at a time per gateway. The makespan runs from the rollout's first
 * tick to the tick that completes it. Its bound: the busiest gateway's bytes ÷ (link rate × its
 * per-gateway cap), plus the sum of the stages' soaks. Each switch also takes a fixed overhead off the
 * radio (test boot, swap, confirm) after its upload. Printed beside it: the bound if that overhead
 * held the gateway's cap as the bytes do, and the plan's own estimate and bound.
 */
import { seedFleet } from './fleet.ts';
import { SIM_HARDWARE, startSimRig } from './rig.ts';
import { lowerBound, simulateRollout } from './sim.ts';
import type { Report } from '../harness.ts';

const GATEWAYS = 200;
const SWITCHES_PER_GATEWAY = 50;
const IMAGE_BYTES = 256 * 1024;
/** The plan's defaults (DEFAULT_PLAN_OPTIONS), and the engine's default tick period. */
const RADIO = { linkBytesPerSecond: 4000, perDeviceOverheadSeconds: 30, tickSeconds: 1 };

export async function measureMakespan(report: Report, databaseUrl: string | undefined): Promise<void> {
  const rig = await startSimRig(databaseUrl, RADIO, IMAGE_BYTES);
  try {
    let t = performance.now();
    const fleet = await seedFleet(rig.cloud.db, {
      gateways: GATEWAYS,
      switchesPerGateway: SWITCHES_PER_GATEWAY,
      hardwareId: SIM_HARDWARE,
      version: '0.9.0',
      prefix: 'makespan',
    });
    report.figure('makespan.seed_ms', performance.now() - t, 'ms');
    const created = await rig.rollouts.rollouts.create({
      releaseId: rig.release.id,
      target: { homeIds: fleet.homeIds },
      stages: [
        { count: 1, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 600 },
        { percent: 50, successThreshold: 95, errorThreshold: 5, minSample: 10, soakSeconds: 3600 },
        { percent: 100, soakSeconds: 0 },
      ],
      caps: { perGateway: 1, perHomePercent: 50, fleet: 500 },
    });
    t = performance.now();
    const outcome = await simulateRollout(rig, created.id, RADIO);
    const wallS = (performance.now() - t) / 1000;
    const view = (await rig.rollouts.rollouts.get(created.id))!;
    if (outcome.state !== 'completed') throw new Error(`the rollout ended ${outcome.state}: ${view.detail}`);
    if (view.counts.succeeded !== fleet.switches.length) {
      throw new Error(`${view.counts.succeeded} of ${fleet.switches.length} switches updated`);
    }
    const bound = lowerBound(view, rig.release.size, RADIO);
    report.figure('makespan.switches', fleet.switches.length);
    report.figure('makespan.image_bytes', rig.release.size);
    report.figure('makespan.busiest_gateway_switches', bound.busiestSwitches);
    report.figure('makespan.ticks', outcome.ticks);
    report.figure('makespan.max_uploads_per_gateway', outcome.maxPerGateway);
    report.figure('makespan.max_jobs_per_gateway', outcome.maxJobsPerGateway);
    report.figure('makespan.wall_s', wallS, 's');
    report.figure('makespan_s', outcome.makespanS, 's');
    report.figure('bound_s', bound.boundS, 's');
    report.figure('bound_with_overhead_s', bound.withOverheadS, 's');
    report.figure('plan_makespan_s', view.report.plannedMakespanSeconds, 's');
    report.figure('plan_lower_bound_s', view.report.lowerBoundSeconds, 's');
    report.figure('makespan_vs_bound', outcome.makespanS / bound.boundS);
    report.figure('makespan_vs_bound_with_overhead', outcome.makespanS / bound.withOverheadS);
  } finally {
    await rig.close();
  }
}
