/** An update job as the services hand it out, and its announcement on the event bus. */
import type { InferSelectModel } from 'drizzle-orm';
import { inArray } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { devices, type updateJobs } from '../db/schema.ts';
import type { EventBus } from '../events/bus.ts';

export type UpdateJobRow = InferSelectModel<typeof updateJobs>;
export const ACTIVE_STATES = ['queued', 'waiting', 'running'] as const;
export const isActive = (state: string) => (ACTIVE_STATES as readonly string[]).includes(state);

export interface UpdateJobRecord
  extends Omit<UpdateJobRow, 'progressSeq' | 'dispatchedAt' | 'traceparent' | 'cancelPending'> {
  /** The release's version, the one the switch must report after its reboot. */
  targetVersion: string;
  /** 0..1 while the switch's bytes move; null before that. */
  progress: number | null;
}

export function toRecord(row: UpdateJobRow, targetVersion: string): UpdateJobRecord {
  const { progressSeq: _s, dispatchedAt: _d, traceparent: _t, cancelPending: _c, ...rest } = row;
  const progress =
    row.state === 'succeeded'
      ? 1
      : row.bytes !== null && row.totalBytes
        ? Math.min(1, row.bytes / row.totalBytes)
        : null;
  return { ...rest, targetVersion, progress };
}

/** Tells every instance's listeners (operator and household streams) that these jobs changed. */
export async function announceJobs(db: Db, bus: EventBus, rows: readonly UpdateJobRow[]): Promise<void> {
  if (rows.length === 0) return;
  const homes = await db
    .select({ id: devices.id, homeId: devices.homeId })
    .from(devices)
    .where(inArray(devices.id, [...new Set(rows.map((r) => r.deviceId))]));
  const homeOf = new Map(homes.map((h) => [h.id, h.homeId]));
  await bus.publish(
    rows.map((r) => ({
      type: 'update' as const,
      jobId: r.id,
      deviceId: r.deviceId,
      homeId: homeOf.get(r.deviceId) ?? '',
      state: r.state,
      phase: r.phase,
      bytes: r.bytes,
      totalBytes: r.totalBytes,
      reason: r.reason,
    })),
  );
}
