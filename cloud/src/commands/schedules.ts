/**
 * Schedules per switch: a cron expression (5 fields, or 6 with seconds) in an IANA time zone and an
 * action, firing at most once a minute (a 6-field expression names one second). Every cloud
 * instance polls for due schedules, but an occurrence runs once: the row (schedule_id,
 * occurrence_at) in schedule_runs is inserted with ON CONFLICT DO NOTHING in the same transaction
 * that makes the command and advances next_run_at, and only the instance whose insert succeeded
 * goes on (the due rows are also taken FOR UPDATE SKIP LOCKED, so instances do not even contend).
 * Occurrences missed while no instance ran are skipped, not replayed late.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Db } from '../db/database.ts';
import { devices, homeMembers, schedules } from '../db/schema.ts';
import { InvalidInputError, NotFoundError, ScheduleTooFrequentError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { CommandDispatcher } from './dispatch.ts';
import type { DeviceService } from '../devices/devices.ts';
import type { ShadowService } from '../devices/shadow.ts';
import { runEvery } from '../periodic.ts';

export const SCHEDULE_ACTIONS = ['on', 'off', 'toggle', 'press'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];
/** A scheduled command may wait this long for an offline gateway. */
const SCHEDULED_COMMAND_TTL_MS = 60_000;
/** The shortest time between two occurrences of a schedule: its switch is a motor that wears. */
export const MIN_SCHEDULE_INTERVAL_S = 60;
/** An occurrence later than this behind schedule is skipped (the cloud was down). */
const LATE_GRACE_MS = 60_000;

export interface Schedule {
  id: string;
  deviceId: string;
  cron: string;
  timeZone: string;
  action: ScheduleAction;
  enabled: boolean;
  nextRunAt: string;
}

export interface ScheduleDeps {
  db: Db;
  devices: DeviceService;
  shadows: ShadowService;
  dispatcher: CommandDispatcher;
  logger: Logger;
  onRun?: () => void;
}

export class ScheduleService {
  constructor(private readonly deps: ScheduleDeps) {}

  async create(
    userId: string,
    deviceId: string,
    input: { cron: string; timeZone: string; action: ScheduleAction },
  ): Promise<Schedule> {
    const route = await this.deps.devices.routeForUser(userId, deviceId);
    if (!route) throw new NotFoundError('device');
    if (!SCHEDULE_ACTIONS.includes(input.action))
      throw new InvalidInputError('action', `action must be one of ${SCHEDULE_ACTIONS.join(', ')}`);
    const next = nextOccurrence(input.cron, input.timeZone, new Date());
    // A cron expression fires at most once a minute unless its seconds field names several seconds.
    if (parseCron(input.cron, input.timeZone, next).fields.second.values.length > 1) {
      throw new ScheduleTooFrequentError(MIN_SCHEDULE_INTERVAL_S);
    }
    const [row] = await this.deps.db
      .insert(schedules)
      .values({
        deviceId: route.deviceId,
        cron: input.cron,
        timeZone: input.timeZone,
        action: input.action,
        nextRunAt: next,
        createdBy: userId,
      })
      .returning();
    return view(row!);
  }

  async list(userId: string, deviceId: string): Promise<Schedule[] | null> {
    if (!(await this.deps.devices.routeForUser(userId, deviceId))) return null;
    const rows = await this.deps.db
      .select()
      .from(schedules)
      .where(eq(schedules.deviceId, deviceId))
      .orderBy(asc(schedules.createdAt));
    return rows.map(view);
  }

  /** One schedule of a device in the user's homes; NotFoundError otherwise. */
  async get(userId: string, scheduleId: string): Promise<Schedule> {
    if (!isUuid(userId) || !isUuid(scheduleId)) throw new NotFoundError('schedule');
    const [row] = await this.deps.db
      .select()
      .from(schedules)
      .where(and(eq(schedules.id, scheduleId), sql`${schedules.deviceId} in ${this.devicesOf(userId)}`));
    if (!row) throw new NotFoundError('schedule');
    return view(row);
  }

  /** The ids of the devices in the user's homes, as a subquery. */
  private devicesOf(userId: string) {
    return this.deps.db
      .select({ id: devices.id })
      .from(devices)
      .innerJoin(homeMembers, and(eq(homeMembers.homeId, devices.homeId), eq(homeMembers.userId, userId)));
  }

  async remove(userId: string, scheduleId: string): Promise<void> {
    if (!isUuid(userId) || !isUuid(scheduleId)) throw new NotFoundError('schedule');
    const mine = this.devicesOf(userId);
    const removed = await this.deps.db
      .delete(schedules)
      .where(and(eq(schedules.id, scheduleId), sql`${schedules.deviceId} in ${mine}`))
      .returning({ id: schedules.id });
    if (removed.length === 0) throw new NotFoundError('schedule');
  }

  /** Runs every due occurrence this instance can claim; returns how many it ran. */
  async runDue(now = new Date()): Promise<number> {
    const made = await this.deps.db.transaction(async (tx) => {
      const due = rowsOf<{
        id: string;
        device_id: string;
        cron: string;
        time_zone: string;
        action: ScheduleAction;
        next_run_at: string | Date;
        created_by: string | null;
      }>(
        await tx.execute(sql`
          select id, device_id, cron, time_zone, action, next_run_at, created_by from schedules
          where enabled and next_run_at <= ${now} order by next_run_at limit 100 for update skip locked`),
      );
      const commands: { id: string; deviceId: string; action: ScheduleAction }[] = [];
      for (const s of due) {
        const occurrence = new Date(s.next_run_at);
        const next = nextAllowed(s.cron, s.time_zone, occurrence, now);
        if (!next) {
          // A stored expression this version cannot read (written by an older one) must not hold up
          // every other schedule's due run: it is switched off, and its owner sees it disabled.
          await tx.update(schedules).set({ enabled: false }).where(eq(schedules.id, s.id));
          this.deps.logger.warn({ scheduleId: s.id }, 'schedule disabled: its stored cron expression cannot be read');
          continue;
        }
        await tx.update(schedules).set({ nextRunAt: next }).where(eq(schedules.id, s.id));
        if (now.getTime() - occurrence.getTime() > LATE_GRACE_MS) continue;
        const claimed = rowsOf(
          await tx.execute(sql`
            insert into schedule_runs (schedule_id, occurrence_at) values (${s.id}, ${occurrence})
            on conflict do nothing returning schedule_id`),
        );
        if (claimed.length === 0) continue;
        const [command] = rowsOf<{ id: string }>(
          await tx.execute(sql`
            insert into commands (device_id, action, status, expires_at, user_id, source)
            values (${s.device_id}, ${s.action}, 'pending', ${new Date(now.getTime() + SCHEDULED_COMMAND_TTL_MS)}, ${s.created_by}, 'schedule')
            returning id`),
        );
        await tx.execute(
          sql`update schedule_runs set command_id = ${command!.id} where schedule_id = ${s.id} and occurrence_at = ${occurrence}`,
        );
        commands.push({ id: command!.id, deviceId: s.device_id, action: s.action });
      }
      return commands;
    });
    for (const c of made) {
      this.deps.onRun?.();
      this.deps.logger.info({ commandId: c.id, deviceId: c.deviceId, action: c.action }, 'schedule occurrence ran');
      if (c.action === 'on' || c.action === 'off') await this.deps.shadows.recordDesired(c.deviceId, c.action === 'on');
      await this.deps.dispatcher.dispatch({ commandId: c.id });
    }
    return made.length;
  }

  /** Polls for due schedules every `intervalMs` (never two at once); returns the stop function. */
  start(intervalMs: number): () => void {
    return runEvery(intervalMs, () => this.runDue(), this.deps.logger, 'schedule run');
  }
}

/**
 * The occurrence to run after `occurrence`: the first one after `now` that is also at least the
 * minimum interval after it. Schedules stored before that minimum was checked on creation (an
 * expression naming every second) are held to it here too. Null when the stored expression or time
 * zone cannot be read.
 */
function nextAllowed(cron: string, timeZone: string, occurrence: Date, now: Date): Date | null {
  const earliest = new Date(Math.max(now.getTime(), occurrence.getTime() + MIN_SCHEDULE_INTERVAL_S * 1000 - 1));
  try {
    return nextOccurrence(cron, timeZone, earliest);
  } catch (e) {
    if (e instanceof InvalidInputError) return null;
    throw e;
  }
}

/** The first occurrence strictly after `after`; InvalidInputError for a bad expression or zone. */
export function nextOccurrence(cron: string, timeZone: string, after: Date): Date {
  const expression = parseCron(cron, timeZone, after);
  try {
    return expression.next().toDate();
  } catch (e) {
    throw new InvalidInputError('cron', `invalid cron expression: ${(e as Error).message}`);
  }
}

function parseCron(cron: string, timeZone: string, after: Date): CronExpression {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new InvalidInputError('timeZone', `"${timeZone}" is not an IANA time zone`);
  }
  try {
    return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: after, strict: false });
  } catch (e) {
    throw new InvalidInputError('cron', `invalid cron expression: ${(e as Error).message}`);
  }
}

function view(row: typeof schedules.$inferSelect): Schedule {
  return {
    id: row.id,
    deviceId: row.deviceId,
    cron: row.cron,
    timeZone: row.timeZone,
    action: row.action as ScheduleAction,
    enabled: row.enabled,
    nextRunAt: row.nextRunAt.toISOString(),
  };
}
