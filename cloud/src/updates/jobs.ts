/**
 * Update jobs: one firmware update of one switch, from the operator's request to the switch's
 * confirmed new version. The database row is the truth every instance shares; the gate
 * (ReleaseService.assertShippable) is checked when a job is made, and the gateway's reports move it
 * (progress forward only, one terminal result that is final).
 */
import { firmware, type UpdateProgress, type UpdateResult } from '@switchfleet/protocol';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/database.ts';
import { violatedUniqueKey } from '../db/constraint-errors.ts';
import { devices, releases, updateJobs } from '../db/schema.ts';
import { NotFoundError } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import { isUuid } from '../ids.ts';
import type { ReleaseService } from '../releases/index.ts';
import type { UpdateDispatcher } from './dispatch.ts';
import {
  DeviceBusyError,
  DowngradeError,
  DeviceUpdatingError,
  HardwareMismatchError,
  UnknownReleaseError,
  UpdateEndedError,
} from './errors.ts';
import { gatewayOnline, ownedBy } from './where.ts';
import { ACTIVE_STATES, announceJobs, isActive, toRecord, type UpdateJobRecord, type UpdateJobRow } from './record.ts';

/** How long a job may take, waiting included, before it fails `timeout`; default 1 hour. */
export const DEFAULT_UPDATE_DEADLINE_MS = 60 * 60 * 1000;

export interface CreateUpdateOptions {
  /** The operator who asked (their id); null for jobs the cloud made itself. */
  createdBy?: string | null;
  deadlineMs?: number;
  rolloutId?: string | null;
  /** Set by a rollback rollout only: the release may be older than what the switch runs. */
  allowDowngrade?: boolean;
}

/** Whether the release is older than the version the device last reported (unknown or unparsable: no). */
function isOlder(target: string, running: string | null): boolean {
  if (running === null) return false;
  try {
    return firmware.compareVersions(target, running) < 0;
  } catch {
    return false;
  }
}

export class UpdateService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly releases: Pick<ReleaseService, 'assertShippable'>,
    private readonly dispatcher: UpdateDispatcher,
  ) {}

  async create(deviceId: string, releaseId: string, options: CreateUpdateOptions = {}): Promise<UpdateJobRecord> {
    if (!isUuid(deviceId)) throw new NotFoundError('device');
    const [device] = await this.db
      .select({ id: devices.id, hardwareId: devices.hardwareId, firmwareVersion: devices.firmwareVersion })
      .from(devices)
      .where(eq(devices.id, deviceId));
    if (!device) throw new NotFoundError('device');
    const release = await this.gate(releaseId);
    if (device.hardwareId !== release.hardwareId)
      throw new HardwareMismatchError(device.hardwareId, release.hardwareId);
    if (!options.allowDowngrade && isOlder(release.version, device.firmwareVersion))
      throw new DowngradeError(device.firmwareVersion!, release.version);
    let created: UpdateJobRow | undefined;
    try {
      [created] = await this.db
        .insert(updateJobs)
        .values({
          deviceId,
          releaseId: release.id,
          sha256: release.sha256,
          totalBytes: release.size,
          deadline: new Date(Date.now() + (options.deadlineMs ?? DEFAULT_UPDATE_DEADLINE_MS)),
          createdBy: options.createdBy ?? null,
          rolloutId: options.rolloutId ?? null,
        })
        .returning();
    } catch (e) {
      if (violatedUniqueKey(e) !== 'update_jobs_active_device_uq') throw e;
      const active = await this.activeFor(deviceId);
      throw new DeviceBusyError(active?.id ?? 'unknown');
    }
    await announceJobs(this.db, this.bus, [created!]);
    await this.dispatcher.dispatch({ jobId: created!.id });
    return (await this.get(created!.id))!;
  }

  async get(jobId: string): Promise<UpdateJobRecord | null> {
    if (!isUuid(jobId)) return null;
    const [row] = await this.db
      .select({ job: updateJobs, version: releases.version })
      .from(updateJobs)
      .innerJoin(releases, eq(releases.id, updateJobs.releaseId))
      .where(eq(updateJobs.id, jobId));
    return row ? toRecord(row.job, row.version) : null;
  }

  /** A device's jobs, newest first. */
  async list(deviceId: string, limit = 100): Promise<UpdateJobRecord[]> {
    if (!isUuid(deviceId)) return [];
    const rows = await this.db
      .select({ job: updateJobs, version: releases.version })
      .from(updateJobs)
      .innerJoin(releases, eq(releases.id, updateJobs.releaseId))
      .where(eq(updateJobs.deviceId, deviceId))
      .orderBy(desc(updateJobs.createdAt))
      .limit(limit);
    return rows.map((r) => toRecord(r.job, r.version));
  }

  /** The device's active job, if any. */
  async activeFor(deviceId: string): Promise<UpdateJobRow | null> {
    const [row] = await this.db
      .select()
      .from(updateJobs)
      .where(and(eq(updateJobs.deviceId, deviceId), inArray(updateJobs.state, [...ACTIVE_STATES])));
    return row ?? null;
  }

  /** The active jobs of these devices, by device id (for device views). */
  async activeOf(deviceIds: readonly string[]): Promise<Map<string, UpdateJobRecord>> {
    if (deviceIds.length === 0) return new Map();
    const rows = await this.db
      .select({ job: updateJobs, version: releases.version })
      .from(updateJobs)
      .innerJoin(releases, eq(releases.id, updateJobs.releaseId))
      .where(and(inArray(updateJobs.deviceId, [...deviceIds]), inArray(updateJobs.state, [...ACTIVE_STATES])));
    return new Map(rows.map((r) => [r.job.deviceId, toRecord(r.job, r.version)]));
  }

  /**
   * Refuses a command to a switch whose update is running: the radio link is the update's, and a
   * prompt 409 beats a command that waits out its TTL. Queued or waiting jobs do not block commands.
   */
  async assertNotUpdating(deviceId: string): Promise<void> {
    const active = await this.activeFor(deviceId);
    if (active?.state === 'running') throw new DeviceUpdatingError(active.id);
  }

  /**
   * Cancels a job. A gateway that holds the job and is online is asked, and the job ends with its
   * answer (a switch already confirmed on the new image ends `succeeded`); the cloud ends it
   * `cancelled` at once when no reachable gateway holds it, and the cancel goes down whenever the
   * gateway is back (cancelPending). Either way the switch stays bootable on its old or new image.
   */
  async cancel(jobId: string): Promise<UpdateJobRecord> {
    const job = await this.get(jobId);
    if (!job) throw new NotFoundError('update job');
    if (!isActive(job.state)) throw new UpdateEndedError(job.id, job.state);
    const asked = await this.db
      .update(updateJobs)
      .set({ cancelRequestedAt: sql`coalesce(${updateJobs.cancelRequestedAt}, now())` })
      .where(
        and(
          eq(updateJobs.id, job.id),
          inArray(updateJobs.state, [...ACTIVE_STATES]),
          sql`${updateJobs.dispatchedAt} is not null`,
          gatewayOnline(),
        ),
      )
      .returning({ id: updateJobs.id });
    if (asked.length > 0) await this.dispatcher.cancel(job.id);
    else {
      await this.end(eq(updateJobs.id, job.id), { ...CANCELLED_BY_CLOUD, detail: 'cancelled in the cloud' });
      await this.dispatcher.dispatch({ jobId: job.id });
    }
    return (await this.get(job.id))!;
  }

  /**
   * Ends `cancelled` the jobs whose gateway was asked to cancel more than `afterMs` ago and has not
   * answered: the operator's cancel is bounded, and the cancel goes down again when the gateway is
   * back.
   */
  async endUnansweredCancels(afterMs: number): Promise<number> {
    const ended = await this.end(
      sql`${updateJobs.cancelRequestedAt} < now() - make_interval(secs => ${afterMs / 1000})`,
      { ...CANCELLED_BY_CLOUD, detail: 'the gateway did not answer the cancel' },
    );
    return ended.length;
  }

  /** True while any job is active: the update tick has nothing to do otherwise. */
  async anyActive(): Promise<boolean> {
    const rows = rowsOf<{ any: boolean }>(
      await this.db.execute(
        sql`select exists (select 1 from update_jobs where state in ('queued', 'waiting', 'running')) as any`,
      ),
    );
    return rows[0]?.any === true;
  }

  /** Applies a gateway's progress report; only its own switches' jobs, only forward, never after the end. */
  async applyProgress(gatewayId: string, address: string, p: UpdateProgress): Promise<boolean> {
    if (!isUuid(p.jobId)) return false;
    const running = p.state === 'running';
    const [row] = await this.db
      .update(updateJobs)
      .set({
        state: p.state,
        phase: p.phase ?? null,
        waitingReason: p.state === 'waiting' ? (p.waitReason ?? null) : null,
        ...(p.bytes !== undefined ? { bytes: p.bytes } : {}),
        ...(p.totalBytes !== undefined ? { totalBytes: p.totalBytes } : {}),
        rate: p.bytesPerSecond ?? null,
        progressSeq: p.seq,
        startedAt: running ? sql`coalesce(${updateJobs.startedAt}, now())` : updateJobs.startedAt,
      })
      .where(
        and(
          eq(updateJobs.id, p.jobId),
          inArray(updateJobs.state, [...ACTIVE_STATES]),
          sql`(${updateJobs.progressSeq} is null or ${updateJobs.progressSeq} < ${p.seq})`,
          ownedBy(gatewayId, address),
        ),
      )
      .returning();
    if (row) await announceJobs(this.db, this.bus, [row]);
    return row !== undefined;
  }

  /**
   * Applies a gateway's terminal result. Success counts only when the switch reports, after its
   * reboot, exactly the release's version; anything else is `device_error`, whatever the gateway said.
   */
  async applyResult(gatewayId: string, address: string, r: UpdateResult): Promise<boolean> {
    const job = isUuid(r.jobId) ? await this.get(r.jobId) : null;
    if (!job) return false;
    if (!isActive(job.state)) return this.applyLateResult(gatewayId, address, r);
    let end: { state: 'succeeded' | 'failed' | 'cancelled'; reason: string | null; detail?: string | null };
    if (r.status === 'succeeded') {
      end =
        r.version === job.targetVersion
          ? { state: 'succeeded', reason: null }
          : {
              state: 'failed',
              reason: 'device_error',
              detail: `the switch reports version ${r.version ?? '(none)'}, not ${job.targetVersion}`,
            };
    } else if (r.reason === 'cancelled') end = { state: 'cancelled', reason: 'cancelled', detail: r.detail ?? null };
    else end = { state: 'failed', reason: r.reason ?? 'device_error', detail: r.detail ?? null };
    const ended = await this.end(and(eq(updateJobs.id, job.id), ownedBy(gatewayId, address)), {
      ...end,
      version: r.version ?? null,
      ...(r.bytesUploaded !== undefined && end.state === 'succeeded' ? { bytes: job.totalBytes } : {}),
    });
    return ended.length > 0;
  }

  /**
   * A result for a job the cloud already cancelled: kept as its detail, the state stays (a switch
   * that finished anyway reports its version through its own state reports). Taken once.
   */
  private async applyLateResult(gatewayId: string, address: string, r: UpdateResult): Promise<boolean> {
    const what =
      r.status === 'succeeded' ? 'succeeded' : r.reason === 'cancelled' ? 'cancelled' : `failed ${r.reason ?? ''}`;
    const version = r.version ? `; the switch reports version ${r.version}` : '';
    const rows = await this.db
      .update(updateJobs)
      .set({ cancelPending: false, detail: `after the cancel the gateway ended it ${what.trim()}${version}` })
      .where(
        and(
          eq(updateJobs.id, r.jobId),
          eq(updateJobs.state, 'cancelled'),
          eq(updateJobs.cancelPending, true),
          ownedBy(gatewayId, address),
        ),
      )
      .returning({ id: updateJobs.id });
    return rows.length > 0;
  }

  /** Fails every active job past its deadline with `timeout`; returns how many. */
  async expireDue(): Promise<number> {
    return (await this.end(sql`${updateJobs.deadline} <= now()`, { state: 'failed', reason: 'timeout' })).length;
  }

  private async gate(releaseId: string) {
    try {
      return await this.releases.assertShippable(releaseId);
    } catch (e) {
      // The gate's own refusals (RELEASE_NOT_PASSED, RELEASE_REVOKED) carry their status and pass as they are.
      if (e instanceof NotFoundError) throw new UnknownReleaseError();
      throw e;
    }
  }

  /** Ends the active jobs `where` selects (a terminal state is final) and announces them. */
  private async end(
    where: ReturnType<typeof and>,
    set: Partial<
      Pick<UpdateJobRow, 'state' | 'reason' | 'detail' | 'version' | 'bytes' | 'cancelPending' | 'dispatchedAt'>
    >,
  ): Promise<UpdateJobRow[]> {
    const rows = await this.db
      .update(updateJobs)
      .set({ ...set, endedAt: new Date(), waitingReason: null, rate: null })
      .where(and(inArray(updateJobs.state, [...ACTIVE_STATES]), where))
      .returning();
    // A switch confirmed on its new version after the reboot: the device row says so before its next
    // report, and before the announcement makes device views read it again.
    for (const row of rows.filter((r) => r.state === 'succeeded' && r.version !== null)) {
      await this.db.update(devices).set({ firmwareVersion: row.version }).where(eq(devices.id, row.deviceId));
    }
    await announceJobs(this.db, this.bus, rows);
    return rows;
  }
}

/** The cloud's own cancel: its gateway may still hold the job, so the cancel is still to go down. */
const CANCELLED_BY_CLOUD = {
  state: 'cancelled',
  reason: 'cancelled',
  cancelPending: true,
  dispatchedAt: null,
} as const;
