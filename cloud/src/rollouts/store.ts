/**
 * The rollouts' rows: what a rollout is made of (its stages and devices), the candidates it is
 * planned from, the counts its views and verdicts read, and the engine's lease. The database is the
 * only state: an instance that stops loses nothing the next tick (of any instance) needs.
 */
import { and, eq, sql, type InferSelectModel } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/database.ts';
import { rolloutDevices, rollouts, rolloutStages } from '../db/schema.ts';
import { isUuid } from '../ids.ts';
import type { StageCounts } from './rules/evaluate.ts';
import type { Candidate } from './rules/plan.ts';
import type { RolloutDeviceState } from './rules/select.ts';
import type { ResolvedRolloutSpec } from './rules/spec.ts';
import { emptyCounts, type Counts } from './counts.ts';

export type RolloutRow = InferSelectModel<typeof rollouts>;
export type StageRow = InferSelectModel<typeof rolloutStages>;
export type DeviceRow = InferSelectModel<typeof rolloutDevices>;

/** A device of a rollout not yet ended, with what the engine needs to start it and follow its job. */
export interface OpenDevice {
  deviceId: string;
  stage: number;
  state: RolloutDeviceState;
  attempts: number;
  retryAt: Date | null;
  jobId: string | null;
  /** Why it waits, as last written (null when pending or updating). */
  waitReason: string | null;
  /** When it last changed state (the database's clock): a job made for its current start is not older. */
  markedAt: Date;
  homeId: string;
  gatewayId: string;
  gatewayOnline: boolean;
  online: boolean;
  battery: number | null;
  timeZone: string;
  jobState: string | null;
  jobReason: string | null;
  jobDetail: string | null;
  cancelRequested: boolean;
}

/** A device's count key: a timeout is its own kind of failure, counted apart from `failed`. */
const countKey = sql<string>`case when ${rolloutDevices.failKind} = 'timeout' then 'timeout'
  else ${rolloutDevices.state} end`;

/** Rows of device state changes are written this many at a time (well under the 65,535 parameters). */
const CHUNK = 1000;
export const ids = (values: readonly string[]) => sql`${sql.param([...values])}::uuid[]`;

export class RolloutStore {
  constructor(readonly db: Db) {}

  /**
   * Runs `fn` in one transaction, on a store bound to it: a transition's writes (rollout, stages,
   * devices) land together or not at all, so no instance ever reads half of one.
   */
  atomically<T>(fn: (store: RolloutStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new RolloutStore(tx)));
  }

  /** The switches a target names (an empty list names all), each with what the plan judges it by. */
  async candidates(target: ResolvedRolloutSpec['target']): Promise<Candidate[]> {
    const homeIds = target.homeIds.filter(isUuid);
    const deviceIds = target.deviceIds.filter(isUuid);
    const none =
      (target.homeIds.length > 0 && homeIds.length === 0) || (target.deviceIds.length > 0 && !deviceIds.length);
    if (none) return [];
    const where = [sql`true`];
    if (homeIds.length > 0) where.push(sql`d.home_id = any(${ids(homeIds)})`);
    if (deviceIds.length > 0) where.push(sql`d.id = any(${ids(deviceIds)})`);
    if (target.gatewayIds.length > 0) where.push(sql`d.gateway_id = any(${sql.param(target.gatewayIds)}::text[])`);
    return rowsOf<Candidate>(
      await this.db.execute(sql`
        select d.id as "deviceId", d.home_id as "homeId", d.gateway_id as "gatewayId",
          d.hardware_id as "hardwareId", d.firmware_version as "version", coalesce(s.online, false) as "online",
          g.online as "gatewayOnline", s.battery, h.time_zone as "timeZone", rd.rollout_id as "activeRolloutId"
        from devices d join gateways g on g.id = d.gateway_id join homes h on h.id = d.home_id
          left join device_state s on s.device_id = d.id
          left join rollout_devices rd on rd.device_id = d.id and rd.active
        where ${sql.join(where, sql` and `)}`),
    );
  }

  async insertDevices(tx: Db, rows: (typeof rolloutDevices.$inferInsert)[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) await tx.insert(rolloutDevices).values(rows.slice(i, i + CHUNK));
  }

  async get(id: string): Promise<RolloutRow | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.select().from(rollouts).where(eq(rollouts.id, id));
    return row ?? null;
  }

  async stages(id: string): Promise<StageRow[]> {
    return this.db.select().from(rolloutStages).where(eq(rolloutStages.rolloutId, id)).orderBy(rolloutStages.index);
  }

  /** Counts by stage (-1 for the skipped, which belong to none) and in all. */
  async counts(id: string): Promise<{ byStage: Map<number, StageCounts>; all: Counts }> {
    const rows = rowsOf<{ stage: number | null; key: keyof Counts; n: number }>(
      await this.db.execute(sql`
        select ${rolloutDevices.stage} as stage, ${countKey} as key, count(*)::int as n from ${rolloutDevices}
        where ${rolloutDevices.rolloutId} = ${id} group by 1, 2`),
    );
    const byStage = new Map<number, StageCounts>();
    const all = emptyCounts();
    for (const r of rows) {
      const stage = r.stage ?? -1;
      const c = byStage.get(stage) ?? { ...emptyCounts(), total: 0 };
      c[r.key] += r.n;
      c.total += r.n;
      all[r.key] += r.n;
      byStage.set(stage, c);
    }
    return { byStage, all };
  }

  async countsByGateway(id: string): Promise<{ gatewayId: string; counts: Counts }[]> {
    const rows = rowsOf<{ gatewayId: string; key: keyof Counts; n: number }>(
      await this.db.execute(sql`
        select d.gateway_id as "gatewayId", ${countKey} as key, count(*)::int as n
        from ${rolloutDevices} join devices d on d.id = ${rolloutDevices.deviceId}
        where ${rolloutDevices.rolloutId} = ${id} group by 1, 2 order by 1`),
    );
    const by = new Map<string, Counts>();
    for (const r of rows) {
      const c = by.get(r.gatewayId) ?? emptyCounts();
      c[r.key] += r.n;
      by.set(r.gatewayId, c);
    }
    return [...by].map(([gatewayId, counts]) => ({ gatewayId, counts }));
  }

  /** The rollout's devices now updating, with their switch, gateway, home and job as they are now. */
  async updatingDevices(id: string): Promise<OpenDevice[]> {
    return this.#devices(sql`rd.rollout_id = ${id} and rd.state = 'updating'`);
  }

  /**
   * The pending and waiting devices of open stages that might start now, at most `limit` of them:
   * none behind a gateway already at its cap, and none whose written wait reason still holds
   * (offline, low battery, in backoff), so such a device is read once when it starts waiting and
   * again once its reason has gone. The rules (selectStarts) still judge every one read.
   */
  async startCandidates(
    id: string,
    q: { stages: number[]; fullGateways: string[]; batteryMin: number; now: number; limit: number },
  ): Promise<OpenDevice[]> {
    if (q.stages.length === 0 || q.limit <= 0) return [];
    return this.#devices(sql`rd.rollout_id = ${id} and rd.state in ('pending', 'waiting')
      and rd.stage = any(${sql.param(q.stages)}::int[])
      and d.gateway_id <> all(${sql.param(q.fullGateways)}::text[])
      and not (rd.state = 'waiting' and coalesce(
        (rd.wait_reason = 'gateway_offline' and not g.online)
        or (rd.wait_reason = 'device_offline' and not coalesce(s.online, false))
        or (rd.wait_reason = 'battery' and s.battery < ${q.batteryMin})
        or (rd.wait_reason = 'backoff' and rd.retry_at > ${new Date(q.now).toISOString()}::timestamptz), false))
      limit ${q.limit}`);
  }

  /** Whether any device of the rollout has not ended yet. */
  async hasOpen(id: string): Promise<boolean> {
    const rows = rowsOf(
      await this.db.execute(sql`select 1 from rollout_devices
        where rollout_id = ${id} and state in ('pending', 'waiting', 'updating') limit 1`),
    );
    return rows.length > 0;
  }

  /** Switches per home (all of a home's, not only a rollout's). */
  async homeSizes(homeIds: readonly string[]): Promise<Map<string, number>> {
    if (homeIds.length === 0) return new Map();
    const sizes = rowsOf<{ homeId: string; n: number }>(
      await this.db.execute(sql`select home_id as "homeId", count(*)::int as n from devices
        where home_id = any(${ids(homeIds)}) group by 1`),
    );
    return new Map(sizes.map((s) => [s.homeId, s.n]));
  }

  async #devices(where: ReturnType<typeof sql>): Promise<OpenDevice[]> {
    return rowsOf<OpenDevice>(
      await this.db.execute(sql`
        select rd.device_id as "deviceId", rd.stage, rd.state, rd.attempts, rd.retry_at as "retryAt",
          rd.wait_reason as "waitReason",
          rd.job_id as "jobId", rd.updated_at as "markedAt", d.home_id as "homeId", d.gateway_id as "gatewayId", g.online as "gatewayOnline",
          coalesce(s.online, false) as online, s.battery, h.time_zone as "timeZone", j.state as "jobState",
          j.reason as "jobReason", j.detail as "jobDetail", (j.cancel_requested_at is not null) as "cancelRequested"
        from rollout_devices rd join devices d on d.id = rd.device_id join gateways g on g.id = d.gateway_id
          join homes h on h.id = d.home_id left join device_state s on s.device_id = d.id
          left join update_jobs j on j.id = rd.job_id
        where ${where}`),
    ).map((r) => ({ ...r, retryAt: r.retryAt === null ? null : new Date(r.retryAt), markedAt: new Date(r.markedAt) }));
  }

  /** The job a rollout made for a device's start at `markedAt`, for a start whose job id was not written. */
  async jobOf(rolloutId: string, deviceId: string, markedAt: Date): Promise<string | null> {
    const [row] = rowsOf<{ id: string }>(
      await this.db.execute(sql`select id from update_jobs where rollout_id = ${rolloutId} and device_id = ${deviceId}
        and created_at >= ${markedAt.toISOString()}::timestamptz order by created_at desc limit 1`),
    );
    return row?.id ?? null;
  }

  /** The rollout's devices in these states (of one stage, if given). */
  async deviceIdsIn(rolloutId: string, states: readonly RolloutDeviceState[], stage?: number): Promise<string[]> {
    const rows = await this.db
      .select({ id: rolloutDevices.deviceId })
      .from(rolloutDevices)
      .where(
        and(
          eq(rolloutDevices.rolloutId, rolloutId),
          sql`${rolloutDevices.state} = any(${sql.param([...states])}::text[])`,
          stage === undefined ? undefined : eq(rolloutDevices.stage, stage),
        ),
      );
    return rows.map((r) => r.id);
  }

  /** The newest passed release of the same hardware made before this one: what a rollback goes back to. */
  /**
   * The passed release before this one for its hardware, and whether its security counter is below
   * this one's (a switch that confirmed this one refuses it then; unknown counters are not compared).
   */
  async previousRelease(releaseId: string): Promise<{ id: string; counterBelow: boolean } | null> {
    const [row] = rowsOf<{ id: string; counterBelow: boolean | null }>(
      await this.db.execute(sql`select p.id, p.security_counter < r.security_counter as "counterBelow"
        from releases p join releases r on r.id = ${releaseId}
        where p.state = 'passed' and p.hardware_id = r.hardware_id and p.created_at < r.created_at
          and p.version <> r.version
        order by p.created_at desc limit 1`),
    );
    return row ? { id: row.id, counterBelow: row.counterBelow === true } : null;
  }

  /**
   * Active update jobs (every rollout's and single ones) per home and fleet-wide, and the homes' sizes.
   * Per gateway only the jobs that still need its radio for bytes count: past the upload (MCUboot's
   * swap and reboot, then the confirm) the switch's link is down or light and the gateway's radio
   * carries the next switch's image, while the switch itself stays unavailable to its household.
   */
  async busy(homeIds: readonly string[]) {
    const jobs = rowsOf<{ gatewayId: string; homeId: string; n: number; radio: number }>(
      await this.db.execute(sql`
        select d.gateway_id as "gatewayId", d.home_id as "homeId", count(*)::int as n,
          (count(*) filter (where j.phase is null or j.phase not in ('rebooting', 'confirming')))::int as radio
        from update_jobs j join devices d on d.id = j.device_id
        where j.state in ('queued', 'waiting', 'running') group by 1, 2`),
    );
    const sizes = rowsOf<{ homeId: string; n: number }>(
      await this.db.execute(sql`select home_id as "homeId", count(*)::int as n from devices
        where home_id = any(${ids(homeIds)}) group by 1`),
    );
    const byGateway = new Map<string, number>();
    const byHome = new Map<string, number>();
    let fleet = 0;
    for (const j of jobs) {
      byGateway.set(j.gatewayId, (byGateway.get(j.gatewayId) ?? 0) + j.radio);
      byHome.set(j.homeId, (byHome.get(j.homeId) ?? 0) + j.n);
      fleet += j.n;
    }
    return { byGateway, byHome, fleet, homeSize: new Map(sizes.map((s) => [s.homeId, s.n])) };
  }

  /** Moves one device from `from` states to `set`; false when it was no longer in one of them. */
  async moveDevice(
    rolloutId: string,
    deviceId: string,
    from: readonly RolloutDeviceState[],
    set: Partial<typeof rolloutDevices.$inferInsert>,
  ): Promise<boolean> {
    const rows = await this.db
      .update(rolloutDevices)
      .set({ ...set, updatedAt: sql`now()` })
      .where(
        and(
          eq(rolloutDevices.rolloutId, rolloutId),
          eq(rolloutDevices.deviceId, deviceId),
          sql`${rolloutDevices.state} = any(${sql.param([...from])}::text[])`,
        ),
      )
      .returning({ id: rolloutDevices.deviceId });
    return rows.length > 0;
  }

  /** Sets why these devices wait (only those still pending or waiting). */
  async markWaiting(rolloutId: string, waiting: { deviceId: string; reason: string }[]): Promise<void> {
    for (let i = 0; i < waiting.length; i += CHUNK) {
      const part = waiting.slice(i, i + CHUNK);
      await this.db.execute(sql`
        update rollout_devices rd set state = 'waiting', wait_reason = w.reason, updated_at = now()
        from unnest(${ids(part.map((w) => w.deviceId))}, ${sql.param(part.map((w) => w.reason))}::text[])
          as w(device_id, reason)
        where rd.rollout_id = ${rolloutId} and rd.device_id = w.device_id and rd.state in ('pending', 'waiting')
          and rd.wait_reason is distinct from w.reason`);
    }
  }

  /** Ends every device of the rollout not yet started as `cancelled`, with why the rollout stopped. */
  async cancelUnstarted(rolloutId: string, reason: string | null): Promise<number> {
    const rows = await this.db
      .update(rolloutDevices)
      .set({ state: 'cancelled', reason, waitReason: null, retryAt: null, updatedAt: new Date() })
      .where(and(eq(rolloutDevices.rolloutId, rolloutId), sql`${rolloutDevices.state} in ('pending', 'waiting')`))
      .returning({ id: rolloutDevices.deviceId });
    return rows.length;
  }

  /** Lets go of the rollout's devices: another rollout may hold them now. */
  async release(rolloutId: string): Promise<void> {
    await this.db
      .update(rolloutDevices)
      .set({ active: false })
      .where(and(eq(rolloutDevices.rolloutId, rolloutId), eq(rolloutDevices.active, true)));
  }

  async setRollout(id: string, set: Partial<typeof rollouts.$inferInsert>, fromStates?: readonly string[]) {
    if (!isUuid(id)) return null;
    const where = fromStates
      ? and(eq(rollouts.id, id), sql`${rollouts.state} = any(${sql.param([...fromStates])}::text[])`)
      : eq(rollouts.id, id);
    const rows = await this.db
      .update(rollouts)
      .set({ ...set, updatedAt: new Date() })
      .where(where)
      .returning();
    return rows[0] ?? null;
  }

  async setStage(id: string, index: number, set: Partial<typeof rolloutStages.$inferInsert>): Promise<void> {
    await this.db
      .update(rolloutStages)
      .set(set)
      .where(and(eq(rolloutStages.rolloutId, id), eq(rolloutStages.index, index)));
  }

  /**
   * Leases every rollout with work to `owner`, unless another live instance holds any of them: one
   * instance at a time starts updates, so caps counted across rollouts hold. The advisory lock makes
   * two instances' claims take turns (each then sees the other's committed leases).
   */
  async claim(owner: string, leaseMs: number): Promise<RolloutRow[]> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('switchfleet.rollouts.engine'))`);
      const held = rowsOf(
        await tx.execute(sql`select 1 from rollouts where lease_owner <> ${owner} and lease_until > now()
          and (state in ('awaiting_approval', 'running', 'paused') or draining) limit 1`),
      );
      if (held.length > 0) return [];
      return tx
        .update(rollouts)
        .set({ leaseOwner: owner, leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'` })
        .where(sql`${rollouts.state} in ('awaiting_approval', 'running', 'paused') or ${rollouts.draining}`)
        .returning();
    });
  }

  async unlease(owner: string): Promise<void> {
    await this.db.update(rollouts).set({ leaseOwner: null, leaseUntil: null }).where(eq(rollouts.leaseOwner, owner));
  }
}
