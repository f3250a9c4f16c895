/**
 * The rollout engine's tick, run by every cloud instance: it leases the rollouts with work (one
 * instance at a time, see RolloutStore.claim), follows their update jobs into their devices, judges
 * their stages, and starts what the caps allow. Everything it knows is in the database, so a tick of
 * another instance, or of this one after a restart, carries on where the last one stopped.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ReleaseError } from '../releases/errors.ts';
import { DeviceBusyError, DowngradeError, HardwareMismatchError } from '../updates/errors.ts';
import type { UpdateService } from '../updates/jobs.ts';
import { holdForApproval } from './approval-hold.ts';
import type { Lifecycle } from './lifecycle.ts';
import { rollbackSpec } from './rollback.ts';
import { evaluateStage, type StageCounts } from './rules/evaluate.ts';
import { healthVerdict, type HealthSample } from './rules/health.ts';
import { selectStarts, type RolloutDeviceState } from './rules/select.ts';
import type { ResolvedRolloutSpec } from './rules/spec.ts';
import type { RolloutService } from './service.ts';
import { emptyCounts } from './counts.ts';
import type { OpenDevice, RolloutRow, RolloutStore, StageRow } from './store.ts';

/** Telemetry the health gate compares: the updated switches against those not yet updated. */
export interface HealthSource {
  sample(deviceIds: string[], since: Date, until: Date): Promise<HealthSample>;
}
/** A source with no telemetry: the health gate never finds a degradation in it. */
export const NO_HEALTH_DATA: HealthSource = {
  sample: async () => ({ commandsOk: 0, commandsFailed: 0, disconnects: 0, reboots: 0, deviceHours: 0 }),
};

export interface EngineOptions {
  /** How long a claim holds; an instance that stops without letting go is taken over after it. */
  leaseMs?: number | undefined;
  /** This instance's name in the lease; default a random one. */
  owner?: string | undefined;
  /**
   * The time each tick judges by (soaks, backoffs, windows), in epoch ms; default Date.now. A
   * simulation drives it to replay hours of rollout in minutes.
   */
  clock?: (() => number) | undefined;
}

type DeviceChange = Parameters<RolloutStore['moveDevice']>[3];
const OPEN_STAGE = new Set(['running', 'soaking', 'awaiting_approval', 'passed']);
const JUDGED_STAGE = new Set(['running', 'soaking', 'awaiting_approval']);
const ACTIVE_JOB = new Set(['queued', 'waiting', 'running']);
/** Candidates read beyond twice the fleet cap's room, for those that turn out to wait. */
const START_SLACK = 100;

export class RolloutEngine {
  readonly owner: string;
  readonly #leaseMs: number;
  readonly #clock: () => number;

  constructor(
    private readonly deps: {
      store: RolloutStore;
      lifecycle: Lifecycle;
      service: RolloutService;
      updates: Pick<UpdateService, 'create'>;
      health: HealthSource;
      logger: Logger;
    },
    options: EngineOptions = {},
  ) {
    this.owner = options.owner ?? `engine-${randomUUID()}`;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#clock = options.clock ?? Date.now;
  }

  /** One pass over every rollout this instance can lease. */
  async tick(): Promise<void> {
    for (const row of await this.deps.store.claim(this.owner, this.#leaseMs)) {
      try {
        await this.work(row);
      } catch (e) {
        this.deps.logger.error({ err: e, rolloutId: row.id }, 'rollout tick failed');
      }
    }
  }

  /** Lets go of this instance's leases (on a clean stop), so another instance carries on at once. */
  unlease(): Promise<void> {
    return this.deps.store.unlease(this.owner);
  }

  private async work(row: RolloutRow): Promise<void> {
    const { store, lifecycle } = this.deps;
    const spec = row.spec as ResolvedRolloutSpec;
    const now = this.#clock();
    // Only the devices in flight are read to follow their jobs; starts read their own few candidates.
    const open = await store.updatingDevices(row.id);
    let changed = await this.follow(row, spec, open, now);
    const updating = open.some((d) => d.state === 'updating');
    if (row.draining) {
      // Whatever was not started when the rollout stopped (or came back from a start cut short) ends
      // now, not when the last upload does: a halted rollout has nothing left to start.
      if ((await store.cancelUnstarted(row.id, row.reason)) > 0) changed = true;
      if (updating) return void (changed && (await lifecycle.announce(row.id)));
      return this.finishDrain(row, spec);
    }
    if (row.state === 'paused') return void (changed && (await lifecycle.announce(row.id)));
    const stages = await store.stages(row.id);
    const judged = await this.judge(row, spec, stages, now);
    if (judged === 'aborted') return;
    changed ||= judged === 'changed';
    const current = (await store.get(row.id))!;
    const after = judged === 'changed' ? await store.stages(row.id) : stages;
    if (after.every((s) => s.state === 'passed') && !updating && !(await store.hasOpen(row.id))) {
      return lifecycle.complete(current);
    }
    if (current.state === 'running' || current.state === 'awaiting_approval') {
      const openStages = after.filter((s) => OPEN_STAGE.has(s.state) && s.startedAt).map((s) => s.index);
      changed = (await this.start(current, spec, openStages, now)) || changed;
    }
    if (changed) await lifecycle.announce(row.id);
  }

  /** Moves devices whose jobs ended; retries failures with backoff. Updates `open` in place. */
  private async follow(row: RolloutRow, spec: ResolvedRolloutSpec, open: OpenDevice[], now: number) {
    const { store, lifecycle } = this.deps;
    let changed = false;
    for (const d of open) {
      if (d.state !== 'updating') continue;
      if (d.jobId === null) {
        // A start this engine marked but stopped before writing its job: the job, if it was made, is
        // adopted (never made again); if not, the device goes back to pending as if never started.
        // A draining rollout starts nothing again: such a device ends cancelled with the rollout's reason.
        const jobId = await store.jobOf(row.id, d.deviceId, d.markedAt);
        const back = row.draining
          ? { state: 'cancelled' as const, reason: row.reason, attempts: d.attempts - 1 }
          : { state: 'pending' as const, attempts: d.attempts - 1 };
        if (jobId) await store.moveDevice(row.id, d.deviceId, ['updating'], { jobId });
        else if (await store.moveDevice(row.id, d.deviceId, ['updating'], back)) d.state = back.state;
        continue;
      }
      if (d.jobState === null || ACTIVE_JOB.has(d.jobState)) {
        if (row.draining && d.jobState !== null && !d.cancelRequested) await lifecycle.cancelJob(d.jobId);
        continue;
      }
      const set = this.ended(row, spec, d, now);
      if (await store.moveDevice(row.id, d.deviceId, ['updating'], set)) {
        d.state = set.state;
        d.retryAt = set.retryAt ?? null;
        changed = true;
      }
    }
    return changed;
  }

  /** How a device's ended job leaves it: succeeded, retried later, or failed by kind. */
  private ended(
    row: RolloutRow,
    spec: ResolvedRolloutSpec,
    d: OpenDevice,
    now: number,
  ): DeviceChange & {
    state: RolloutDeviceState;
  } {
    if (d.jobState === 'succeeded') return { state: 'succeeded' as const, waitReason: null };
    if (d.jobState === 'cancelled') return { state: 'cancelled' as const, reason: d.jobReason };
    const kind =
      d.jobReason === 'reverted' ? 'reverted' : d.jobReason === 'timeout' ? ('timeout' as const) : ('failed' as const);
    const reason = d.jobDetail ? `${d.jobReason}: ${d.jobDetail}` : d.jobReason;
    // A reverted image failed its own test boot: trying it again would fail the same way.
    if (!row.draining && kind !== 'reverted' && d.attempts <= spec.retry.max) {
      const backoffMs = spec.retry.backoffSeconds * 1000 * 2 ** (d.attempts - 1);
      return { state: 'pending' as const, jobId: null, reason, retryAt: new Date(now + backoffMs) };
    }
    return { state: kind === 'reverted' ? ('reverted' as const) : ('failed' as const), failKind: kind, reason };
  }

  /** Judges each open stage; returns whether a state changed, or that the rollout was aborted. */
  private async judge(row: RolloutRow, spec: ResolvedRolloutSpec, stages: StageRow[], now: number) {
    const { store, lifecycle } = this.deps;
    const { byStage } = await store.counts(row.id);
    let result: 'same' | 'changed' = 'same';
    // A stage not started (the first one, waiting for its approval) has nothing to judge yet.
    for (const s of stages.filter((x) => JUDGED_STAGE.has(x.state) && x.startedAt)) {
      const next = stages[s.index + 1];
      const nextSpec = spec.stages[s.index + 1];
      const counts: StageCounts = byStage.get(s.index) ?? { ...emptyCounts(), total: 0 };
      // Approval belongs to the stage that waits for it; the stage before it holds once its soak is over.
      const gate = { ...spec.stages[s.index]!, approval: nextSpec?.approval ?? false };
      const timing = { now, successMetAt: s.successMetAt?.getTime() ?? null };
      const verdict = evaluateStage(gate, counts, timing, next?.approvedAt != null);
      if (verdict.kind === 'failed') {
        await lifecycle.abort(row, s.index, verdict.reason, verdict.detail);
        return 'aborted' as const;
      }
      if (verdict.kind === 'soak') {
        const health = await this.healthOf(row, spec, s, now);
        if (health) {
          await lifecycle.abort(row, s.index, 'health', health);
          return 'aborted' as const;
        }
        if (s.state !== 'soaking') {
          await store.setStage(row.id, s.index, { state: 'soaking', successMetAt: s.successMetAt ?? new Date(now) });
          result = 'changed';
        }
      } else if (verdict.kind === 'await_approval') {
        if (await holdForApproval(store.db, row.id, s.index)) result = 'changed';
      } else if (verdict.kind === 'passed') {
        // One transaction: never a passed stage without the next one running.
        await store.atomically(async (t) => {
          await t.setStage(row.id, s.index, { state: 'passed', endedAt: new Date(now), successMetAt: s.successMetAt });
          if (next) {
            await t.setStage(row.id, next.index, { state: 'running', startedAt: new Date(now) });
            await t.setRollout(row.id, { currentStage: next.index });
          }
        });
        result = 'changed';
      }
    }
    return result;
  }

  /** During a soak: the stage's updated switches against the target's not yet updated ones. */
  private async healthOf(row: RolloutRow, spec: ResolvedRolloutSpec, s: StageRow, now: number) {
    if (!spec.health.enabled) return null;
    const { store, health } = this.deps;
    const updated = await store.deviceIdsIn(row.id, ['succeeded'], s.index);
    const baseline = await store.deviceIdsIn(row.id, ['pending', 'waiting']);
    if (updated.length === 0 || baseline.length === 0) return null;
    const since = s.successMetAt ?? s.startedAt ?? new Date(now);
    const until = new Date(now);
    const [u, b] = await Promise.all([health.sample(updated, since, until), health.sample(baseline, since, until)]);
    const verdict = healthVerdict(u, b, spec.health.confidence);
    return verdict.degraded ? `${verdict.metric ?? 'health'} degraded: ${verdict.detail}` : null;
  }

  /** Starts what the caps, windows and batteries allow; records why the rest wait. */
  private async start(row: RolloutRow, spec: ResolvedRolloutSpec, openStages: number[], now: number) {
    const { store, updates, lifecycle, logger } = this.deps;
    const busy = await store.busy([]);
    const room = spec.caps.fleet - busy.fleet;
    // With the fleet cap full nothing can start: no candidate is read, and every device keeps the
    // reason it was last given (see docs/rollouts.md on wait reasons).
    if (room <= 0) return false;
    const fullGateways = [...busy.byGateway].filter(([, n]) => n >= spec.caps.perGateway).map(([g]) => g);
    // A few more than the fleet's room: some of those read wait for their window or their home's cap.
    const waiting = await store.startCandidates(row.id, {
      stages: openStages,
      fullGateways,
      batteryMin: spec.batteryMin,
      now,
      limit: 2 * room + START_SLACK,
    });
    if (waiting.length === 0) return false;
    const homeSize = await store.homeSizes([...new Set(waiting.map((d) => d.homeId))]);
    const selection = selectStarts({
      spec,
      now,
      openStages,
      devices: waiting.map((d) => ({ ...d, retryAt: d.retryAt?.getTime() ?? null })),
      busyByGateway: busy.byGateway,
      busyByHome: busy.byHome,
      homeSize,
      fleetBusy: busy.fleet,
    });
    const byId = new Map(waiting.map((d) => [d.deviceId, d]));
    // Only the reasons that moved go to the database: most of a large rollout waits tick after tick
    // for the same reason (its cap), and rewriting those rows would cost a scan per chunk each tick.
    const moved = selection.waiting.filter((w) => {
      const d = byId.get(w.deviceId);
      return d?.state !== 'waiting' || d.waitReason !== w.reason;
    });
    await store.markWaiting(row.id, moved);
    for (const deviceId of selection.start) {
      const d = byId.get(deviceId)!;
      const marked = {
        state: 'updating' as const,
        waitReason: null,
        jobId: null,
        attempts: d.attempts + 1,
        retryAt: null,
      };
      if (!(await store.moveDevice(row.id, deviceId, ['pending', 'waiting'], marked))) continue;
      const back = (set: Parameters<RolloutStore['moveDevice']>[3]) =>
        store.moveDevice(row.id, deviceId, ['updating'], set);
      try {
        const job = await updates.create(deviceId, row.releaseId, {
          deadlineMs: spec.deviceTimeoutSeconds * 1000,
          rolloutId: row.id,
          createdBy: row.createdBy,
          allowDowngrade: row.parentId !== null,
        });
        await back({ jobId: job.id });
      } catch (e) {
        if (e instanceof DeviceBusyError) await back({ state: 'waiting', waitReason: 'cap', attempts: d.attempts });
        else if (e instanceof HardwareMismatchError || e instanceof DowngradeError)
          await back({ state: 'failed', failKind: 'failed', reason: e.message });
        else if (e instanceof ReleaseError) {
          await back({ state: 'pending', attempts: d.attempts });
          await lifecycle.abort(row, row.currentStage, 'release_refused', e.message);
          return true;
        } else {
          await back({ state: 'pending', attempts: d.attempts });
          logger.error({ err: e, rolloutId: row.id, deviceId }, 'rollout could not start an update');
        }
      }
    }
    return selection.start.length > 0 || moved.length > 0;
  }

  /** A halted or cancelled rollout whose jobs all ended: its devices are free; a rollback starts if asked. */
  private async finishDrain(row: RolloutRow, spec: ResolvedRolloutSpec): Promise<void> {
    const { store, lifecycle, service, logger } = this.deps;
    if (!(await store.setRollout(row.id, { draining: false }))) return;
    await store.release(row.id);
    if (row.state === 'halted' && spec.onAbort === 'rollback') {
      const updated = await store.deviceIdsIn(row.id, ['succeeded']);
      const previous = updated.length > 0 ? await store.previousRelease(row.releaseId) : null;
      if (updated.length > 0 && !previous) {
        await store.setRollout(row.id, { detail: `${row.detail ?? ''}; no earlier passed release to roll back to` });
      } else if (previous?.counterBelow) {
        // MCUBOOT_HW_ROLLBACK_PROT: the updated switches store this release's counter once confirmed
        // and refuse a lower one (MCUboot design.md, "Hardware-based downgrade prevention").
        const why = 'no rollback: the earlier passed release has a lower security counter, which the switches refuse';
        await store.setRollout(row.id, { detail: `${row.detail ?? ''}; ${why}` });
      } else if (previous) {
        try {
          const rollback = rollbackSpec(spec, previous.id, updated);
          await service.create(rollback, { createdBy: row.createdBy, parentId: row.id });
        } catch (e) {
          logger.error({ err: e, rolloutId: row.id }, 'rollback could not be created');
        }
      }
    }
    await lifecycle.announce(row.id);
  }
}
