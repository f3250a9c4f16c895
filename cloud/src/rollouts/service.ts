/**
 * Rollouts as operators ask for them: plan one (nothing written), create one (the release's gate,
 * the plan, its rows), read one with its counts, list them, page through a rollout's devices. The
 * lifecycle actions (pause, resume, cancel, approve) live in lifecycle.ts, the tick in engine.ts.
 */
import { desc, and, eq, gt, asc } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { violatedUniqueKey } from '../db/constraint-errors.ts';
import { rolloutDevices, rollouts, rolloutStages } from '../db/schema.ts';
import { NotFoundError } from '../errors.ts';
import type { ReleaseService } from '../releases/releases.ts';
import { UnknownReleaseError } from '../updates/errors.ts';
import type { Lifecycle } from './lifecycle.ts';
import { RolloutError } from './rules/errors.ts';
import { planRollout, type RolloutPlan } from './rules/plan.ts';
import { resolveSpec, type ResolvedRolloutSpec, type RolloutSpec } from './rules/spec.ts';
import { emptyCounts, RolloutStore, type Counts, type DeviceRow, type RolloutRow, type StageRow } from './store.ts';
import type { StageCounts } from './rules/evaluate.ts';

export interface PlanOptions {
  /** Bytes per second one switch's BLE link carries during an upload; the plan's radio time. */
  linkBytesPerSecond: number;
  /** Seconds per switch besides the bytes: connect, test boot, confirm. */
  perDeviceOverheadSeconds: number;
}
export const DEFAULT_PLAN_OPTIONS: PlanOptions = { linkBytesPerSecond: 4000, perDeviceOverheadSeconds: 30 };

export interface RolloutView {
  id: string;
  releaseId: string;
  state: string;
  reason: string | null;
  detail: string | null;
  parentId: string | null;
  currentStage: number;
  createdBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  spec: ResolvedRolloutSpec;
  stages: (Omit<StageRow, 'rolloutId'> & { counts: Counts & { total: number } })[];
  counts: Counts;
  gateways: { gatewayId: string; counts: Counts }[];
  report: { plannedMakespanSeconds: number; lowerBoundSeconds: number; actualMakespanSeconds: number | null };
}

export interface DevicePage {
  items: Omit<DeviceRow, 'rolloutId' | 'active'>[];
  next: string | null;
}

export class RolloutService {
  readonly store: RolloutStore;
  constructor(
    private readonly db: Db,
    private readonly releases: Pick<ReleaseService, 'assertShippable'>,
    private readonly lifecycle: Lifecycle,
    private readonly options: PlanOptions = DEFAULT_PLAN_OPTIONS,
  ) {
    this.store = new RolloutStore(db);
  }

  /** The plan a rollout of this spec would follow now; writes nothing. */
  async plan(body: RolloutSpec): Promise<RolloutPlan> {
    return (await this.prepare(body)).plan;
  }

  /**
   * Creates a rollout: running at once, or awaiting approval when its first stage needs one. A
   * device another active rollout holds is skipped (`in_other_rollout`); should a concurrent
   * creation take one between the plan and the insert, the database refuses it (DEVICE_IN_ROLLOUT).
   */
  async create(body: RolloutSpec, options: { createdBy?: string | null; parentId?: string | null } = {}) {
    const { spec, plan, previous } = await this.prepare(body);
    const approval = spec.stages[0]!.approval;
    const now = new Date();
    let row: RolloutRow | undefined;
    try {
      row = await this.db.transaction(async (tx) => {
        const [r] = await tx
          .insert(rollouts)
          .values({
            releaseId: spec.releaseId,
            spec,
            state: approval ? 'awaiting_approval' : 'running',
            createdBy: options.createdBy ?? null,
            parentId: options.parentId ?? null,
            startedAt: approval ? null : now,
            plannedMakespanSeconds: Math.round(plan.estimate.makespanSeconds),
            lowerBoundSeconds: Math.round(plan.estimate.lowerBoundSeconds),
          })
          .returning();
        await tx.insert(rolloutStages).values(
          spec.stages.map((_, index) => ({
            rolloutId: r!.id,
            index,
            state: index > 0 ? ('pending' as const) : approval ? ('awaiting_approval' as const) : ('running' as const),
            startedAt: index === 0 && !approval ? now : null,
          })),
        );
        await this.store.insertDevices(tx, [
          ...plan.stages.flatMap((s, stage) =>
            s.devices.map((deviceId) => ({
              rolloutId: r!.id,
              deviceId,
              stage,
              state: 'pending' as const,
              active: true,
              previousVersion: previous.get(deviceId) ?? null,
            })),
          ),
          ...plan.skipped.map((s) => ({
            rolloutId: r!.id,
            deviceId: s.deviceId,
            state: 'skipped' as const,
            active: false,
            reason: s.reason,
          })),
        ]);
        return r!;
      });
    } catch (e) {
      if (violatedUniqueKey(e) !== 'rollout_devices_active_device_uq') throw e;
      throw new RolloutError(
        'DEVICE_IN_ROLLOUT',
        'a targeted device joined another active rollout meanwhile; try again',
      );
    }
    await this.lifecycle.announce(row.id);
    return (await this.get(row.id))!;
  }

  async get(id: string): Promise<RolloutView | null> {
    const row = await this.store.get(id);
    if (!row) return null;
    const [stages, counts, gateways] = await Promise.all([
      this.store.stages(id),
      this.store.counts(id),
      this.store.countsByGateway(id),
    ]);
    const empty: StageCounts = { ...emptyCounts(), total: 0 };
    const ended = row.endedAt && row.startedAt ? (row.endedAt.getTime() - row.startedAt.getTime()) / 1000 : null;
    return {
      id: row.id,
      releaseId: row.releaseId,
      state: row.state,
      reason: row.reason,
      detail: row.detail,
      parentId: row.parentId,
      currentStage: row.currentStage,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      spec: row.spec as ResolvedRolloutSpec,
      stages: stages.map(({ rolloutId: _r, ...s }) => ({ ...s, counts: counts.byStage.get(s.index) ?? empty })),
      counts: counts.all,
      gateways,
      report: {
        plannedMakespanSeconds: row.plannedMakespanSeconds,
        lowerBoundSeconds: row.lowerBoundSeconds,
        actualMakespanSeconds: ended === null ? null : Math.round(ended),
      },
    };
  }

  /** Rollouts, newest first. */
  async list(limit = 100): Promise<RolloutRow[]> {
    return this.db.select().from(rollouts).orderBy(desc(rollouts.createdAt), desc(rollouts.id)).limit(limit);
  }

  /** A rollout's devices in device id order, `limit` at a time after the cursor `after` (a device id). */
  async devices(id: string, after: string | null, limit: number): Promise<DevicePage> {
    if (!(await this.store.get(id))) throw new RolloutError('NOT_FOUND', 'no such rollout');
    const where = after
      ? and(eq(rolloutDevices.rolloutId, id), gt(rolloutDevices.deviceId, after))
      : eq(rolloutDevices.rolloutId, id);
    const rows = await this.db
      .select()
      .from(rolloutDevices)
      .where(where)
      .orderBy(asc(rolloutDevices.deviceId))
      .limit(limit + 1);
    const items = rows.slice(0, limit).map(({ rolloutId: _r, active: _a, ...d }) => d);
    return { items, next: rows.length > limit ? items.at(-1)!.deviceId : null };
  }

  /** Pauses a running rollout: nothing more starts; jobs in flight finish and are counted. */
  pause(id: string): Promise<RolloutView> {
    return this.after(this.lifecycle.pause(id));
  }

  resume(id: string): Promise<RolloutView> {
    return this.after(this.lifecycle.resume(id));
  }

  cancel(id: string): Promise<RolloutView> {
    return this.after(this.lifecycle.cancel(id));
  }

  approve(id: string, operatorId: string | null): Promise<RolloutView> {
    return this.after(this.lifecycle.approve(id, operatorId));
  }

  private async after(action: Promise<RolloutRow>): Promise<RolloutView> {
    return (await this.get((await action).id))!;
  }

  private async prepare(body: RolloutSpec) {
    const spec = resolveSpec(body);
    const release = await this.releases.assertShippable(spec.releaseId).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new UnknownReleaseError() : e;
    });
    const candidates = await this.store.candidates(spec.target);
    const plan = planRollout(spec, release, candidates, this.options);
    const previous = new Map(candidates.map((c) => [c.deviceId, c.version]));
    return { spec: { ...spec, releaseId: release.id }, plan, previous };
  }
}
