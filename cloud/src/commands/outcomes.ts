/**
 * Terminal transitions of commands. Only an open (pending/sent) command can change status, so a late
 * result never overwrites an expiry and vice versa; every transition is announced on the event bus
 * (waiters, live streams, all instances) and counted.
 */
import type { FailureReason } from '@switchfleet/protocol';
import { and, eq, inArray, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { commands, devices } from '../db/schema.ts';
import { OPEN_STATUSES, type CommandRecord } from './record.ts';
import type { EventBus } from '../events/bus.ts';

export interface Outcome {
  status: 'succeeded' | 'failed' | 'expired';
  reason?: FailureReason | null;
  detail?: string | null;
}

export class CommandOutcomes {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    /** Called once per terminal transition (metrics). */
    private readonly onTerminal: (status: Outcome['status']) => void = () => {},
  ) {}

  /** Makes one open command terminal; `guard` narrows further (e.g. only its own gateway may). */
  async finish(commandId: string, outcome: Outcome, guard?: SQL): Promise<CommandRecord | null> {
    const [updated] = await this.db
      .update(commands)
      .set({
        status: outcome.status,
        reason: outcome.reason ?? (outcome.status === 'expired' ? 'expired' : null),
        detail: outcome.detail ?? null,
        completedAt: new Date(),
      })
      .where(and(eq(commands.id, commandId), inArray(commands.status, [...OPEN_STATUSES]), guard))
      .returning();
    if (updated) await this.announce([updated]);
    return updated ?? null;
  }

  /** Expires every open command past its expiry; returns how many. */
  async expireDue(now = new Date()): Promise<number> {
    const expired = await this.db
      .update(commands)
      .set({ status: 'expired', reason: 'expired', completedAt: now })
      .where(and(inArray(commands.status, [...OPEN_STATUSES]), lte(commands.expiresAt, now)))
      .returning();
    if (expired.length > 0) await this.announce(expired);
    return expired.length;
  }

  private async announce(records: CommandRecord[]): Promise<void> {
    const homes = await this.db
      .select({ id: devices.id, homeId: devices.homeId })
      .from(devices)
      .where(inArray(devices.id, [...new Set(records.map((r) => r.deviceId))]));
    const homeOf = new Map(homes.map((h) => [h.id, h.homeId]));
    for (const r of records) this.onTerminal(r.status as Outcome['status']);
    await this.bus.publish(
      records.map((r) => ({
        type: 'command' as const,
        commandId: r.id,
        deviceId: r.deviceId,
        homeId: homeOf.get(r.deviceId) ?? '',
        status: r.status,
        reason: r.reason,
      })),
    );
  }
}
