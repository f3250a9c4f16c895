/**
 * The rollout engine in simulated time, discrete-event: tick the real engine, hand every update job
 * it made and the dispatcher sent to its simulated gateway (the job then uploads for `size ÷ link
 * rate` of simulated time on that switch's link, reported `uploading`, and takes a fixed overhead per
 * switch off the radio for the test boot, swap and confirm, reported `rebooting` as the gateway does
 * when the switch resets), move the clock to the next upload end, job end or stage timer (rounded up
 * to the engine's tick period, as a timer-driven tick would see it), report what is due through
 * UpdateService.applyProgress and applyResult as the ingest calls them (with the version the switch
 * reports after its reboot), and tick again.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type RolloutView } from '@switchfleet/cloud';
import type { RadioModel, SimRig } from './rig.ts';

const ACTIVE = new Set(['awaiting_approval', 'running', 'paused']);

export interface Running {
  jobId: string;
  gatewayId: string;
  address: string;
  totalBytes: number;
  version: string;
  /** When its upload ends and the switch resets: from then on it no longer holds the gateway's radio. */
  uploadEndsAt: number;
  rebooting: boolean;
  endsAt: number;
}

/** The gateways of a simulated fleet: they take the jobs sent to them and report as the real one does. */
export class SimulatedGateways {
  readonly inFlight = new Map<string, Running>();
  /** The most uploads one gateway's radio carried at once. */
  maxPerGateway = 0;
  /** The most update jobs one gateway's switches had in flight at once, uploading or rebooting. */
  maxJobsPerGateway = 0;
  jobs = 0;
  readonly #perGateway = new Map<string, number>();
  readonly #uploadsPerGateway = new Map<string, number>();
  #seq = 0;

  constructor(
    private readonly rig: SimRig,
    private readonly radio: RadioModel,
  ) {}

  /** Starts the rollout's jobs the dispatcher sent and no gateway runs yet; returns how many. */
  async takeNew(rolloutId: string): Promise<number> {
    let taken = 0;
    for (const job of await activeJobs(this.rig, rolloutId)) {
      if (this.inFlight.has(job.jobId) || !job.dispatched) continue;
      const started = await this.rig.cloud.services.updates.applyProgress(job.gatewayId, job.address, {
        v: 1,
        seq: ++this.#seq,
        ts: new Date(this.rig.clock.now).toISOString(),
        jobId: job.jobId,
        state: 'running',
        phase: 'uploading',
        bytes: 0,
        totalBytes: job.totalBytes,
      });
      if (!started) throw new Error(`the cloud refused the start of job ${job.jobId}`);
      const uploadEndsAt = this.rig.clock.now + (job.totalBytes / this.radio.linkBytesPerSecond) * 1000;
      const endsAt = uploadEndsAt + this.radio.perDeviceOverheadSeconds * 1000;
      this.inFlight.set(job.jobId, { ...job, uploadEndsAt, rebooting: false, endsAt });
      const n = (this.#perGateway.get(job.gatewayId) ?? 0) + 1;
      this.#perGateway.set(job.gatewayId, n);
      this.maxJobsPerGateway = Math.max(this.maxJobsPerGateway, n);
      const u = (this.#uploadsPerGateway.get(job.gatewayId) ?? 0) + 1;
      this.#uploadsPerGateway.set(job.gatewayId, u);
      this.maxPerGateway = Math.max(this.maxPerGateway, u);
      this.jobs += 1;
      taken += 1;
    }
    return taken;
  }

  /** Reports `rebooting` for the jobs whose upload has ended by `at`: their gateway's radio is free. */
  async reboot(at: number): Promise<void> {
    const ended = [...this.inFlight.values()].filter((j) => !j.rebooting && j.uploadEndsAt <= at);
    for (const job of ended.sort((a, b) => a.uploadEndsAt - b.uploadEndsAt)) {
      const moved = await this.rig.cloud.services.updates.applyProgress(job.gatewayId, job.address, {
        v: 1,
        seq: ++this.#seq,
        ts: new Date(this.rig.clock.now).toISOString(),
        jobId: job.jobId,
        state: 'running',
        phase: 'rebooting',
        bytes: job.totalBytes,
        totalBytes: job.totalBytes,
      });
      if (!moved) throw new Error(`the cloud refused the reboot of job ${job.jobId}`);
      job.rebooting = true;
      this.#uploadsPerGateway.set(job.gatewayId, this.#uploadsPerGateway.get(job.gatewayId)! - 1);
    }
  }

  /** Jobs whose switch has its new image confirmed by `at`, first to end first. */
  due(at: number): Running[] {
    return [...this.inFlight.values()].filter((j) => j.endsAt <= at).sort((a, b) => a.endsAt - b.endsAt);
  }

  /** Reports these jobs succeeded, with the version each switch reports after its reboot. */
  async finish(jobs: Running[]): Promise<void> {
    for (const job of jobs) {
      const ended = await this.rig.cloud.services.updates.applyResult(job.gatewayId, job.address, {
        v: 1,
        seq: ++this.#seq,
        ts: new Date(this.rig.clock.now).toISOString(),
        jobId: job.jobId,
        status: 'succeeded',
        version: job.version,
        bytesUploaded: job.totalBytes,
      });
      if (!ended) throw new Error(`the cloud refused the result of job ${job.jobId}`);
      this.inFlight.delete(job.jobId);
      this.#perGateway.set(job.gatewayId, this.#perGateway.get(job.gatewayId)! - 1);
      if (!job.rebooting) this.#uploadsPerGateway.set(job.gatewayId, this.#uploadsPerGateway.get(job.gatewayId)! - 1);
    }
  }
}

export interface SimOutcome {
  state: string;
  /** Simulated seconds from the rollout's first tick to the tick that ended it. */
  makespanS: number;
  ticks: number;
  jobs: number;
  /** The most uploads at once on one gateway's radio, and the most jobs at once on one gateway. */
  maxPerGateway: number;
  maxJobsPerGateway: number;
}

/** Runs a created rollout to its end in simulated time; every job the engine starts succeeds. */
export async function simulateRollout(
  rig: SimRig,
  rolloutId: string,
  radio: RadioModel,
  maxTicks = 10_000,
): Promise<SimOutcome> {
  const tickMs = radio.tickSeconds * 1000;
  const t0 = rig.clock.now;
  const gateways = new SimulatedGateways(rig, radio);
  for (let ticks = 1; ticks <= maxTicks; ticks++) {
    await rig.rollouts.engine.tick();
    const view = (await rig.rollouts.rollouts.get(rolloutId))!;
    if (!ACTIVE.has(view.state)) {
      const { jobs, maxPerGateway, maxJobsPerGateway } = gateways;
      const makespanS = (rig.clock.now - t0) / 1000;
      return { state: view.state, makespanS, ticks, jobs, maxPerGateway, maxJobsPerGateway };
    }
    await gateways.takeNew(rolloutId);
    const next = nextEvent(view, gateways.inFlight, rig.clock.now);
    if (next === null) throw new Error(`rollout stalled at tick ${ticks}: ${JSON.stringify(view.counts)}`);
    // The first tick of the engine's period at or after the event, and never the same instant twice.
    const period = Math.round((rig.clock.now - t0) / tickMs);
    rig.clock.now = t0 + Math.max(period + 1, Math.ceil((next - t0) / tickMs)) * tickMs;
    await gateways.reboot(rig.clock.now);
    await gateways.finish(gateways.due(rig.clock.now));
  }
  throw new Error(`rollout ${rolloutId} did not end within ${maxTicks} ticks`);
}

/** The rollout's active update jobs, with the gateway and address its reports come from. */
async function activeJobs(rig: SimRig, rolloutId: string) {
  return rowsOf<Omit<Running, 'endsAt'> & { dispatched: boolean }>(
    await rig.cloud.db.execute(sql`
      select j.id as "jobId", d.gateway_id as "gatewayId", d.address, j.total_bytes as "totalBytes", r.version,
        (j.dispatched_at is not null) as dispatched
      from update_jobs j join devices d on d.id = j.device_id join releases r on r.id = j.release_id
      where j.rollout_id = ${rolloutId} and j.state in ('queued', 'waiting', 'running')
      order by j.created_at, j.id`),
  );
}

/** The earliest job end or soak end still ahead; null when nothing would ever happen again. */
function nextEvent(view: RolloutView, inFlight: Map<string, Running>, now: number): number | null {
  const times = [...inFlight.values()].map((j) => (j.rebooting ? j.endsAt : j.uploadEndsAt));
  view.stages.forEach((s, i) => {
    if (s.state === 'soaking' && s.successMetAt) {
      times.push(new Date(s.successMetAt).getTime() + view.spec.stages[i]!.soakSeconds * 1000);
    }
  });
  if (times.length === 0) return null;
  return Math.max(now, Math.min(...times));
}

/**
 * The makespan's lower bound: the busiest gateway's bytes ÷ (link rate × its per-gateway cap), plus
 * every stage's soak. Also the bound an engine would have if the per-switch overhead held the radio
 * as the bytes do (each switch's upload and overhead in turn), as context.
 */
export function lowerBound(view: RolloutView, size: number, radio: Omit<RadioModel, 'tickSeconds'>) {
  const targeted = view.gateways.map((g) => Object.values(g.counts).reduce((a, b) => a + b, 0) - g.counts.skipped);
  const busiest = Math.max(0, ...targeted);
  const soak = view.spec.stages.reduce((t, s) => t + s.soakSeconds, 0);
  const cap = view.spec.caps.perGateway;
  return {
    busiestSwitches: busiest,
    boundS: (busiest * size) / (radio.linkBytesPerSecond * cap) + soak,
    withOverheadS: (busiest * (size / radio.linkBytesPerSecond + radio.perDeviceOverheadSeconds)) / cap + soak,
    soakS: soak,
  };
}
