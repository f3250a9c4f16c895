/**
 * Telemetry of a set of switches over an interval, for a staged rollout's health gate: what their
 * commands did, how often they dropped off the air, how often they came up again on an old image,
 * and for how long they were watched. Two statements, each over the whole set at once (the ids go
 * in as one JSON parameter, so 10,000 switches are one bind value), each reading only its own
 * switches' rows through an index led by device_id.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/database.ts';
import type { HealthSample } from '../rollouts/rules/health.ts';

/**
 * Failure reasons the switch itself caused (protocol FailureReason). Left out: `expired` and
 * expired commands (nobody acted in time: a waiting, not a degraded switch), `device_updating` (the
 * rollout's own doing), `unsupported` (what was asked), `unknown_device` and `gateway_error`.
 */
export const DEVICE_FAILURE_REASONS = [
  'no_effect',
  'device_error',
  'busy',
  'timeout',
  'out_of_range',
  'low_battery',
] as const;

export type FleetHealthErrorCode = 'INVALID_INTERVAL' | 'INVALID_DEVICE_ID';

export class FleetHealthError extends Error {
  readonly statusCode = 422;
  constructor(
    readonly code: FleetHealthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FleetHealthError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface CommandRow {
  ok: number | string | null;
  failed: number | string | null;
  reboots: number | string | null;
}

interface HistoryRow {
  disconnects: number | string | null;
  seconds: number | string | null;
}

export class FleetHealth {
  constructor(private readonly db: Db) {}

  /** Sums over `deviceIds` and [since, until): times are compared half-open, as adjacent windows need. */
  async sample(deviceIds: string[], since: Date, until: Date): Promise<HealthSample> {
    if (!(since.getTime() < until.getTime()))
      throw new FleetHealthError(
        'INVALID_INTERVAL',
        `the interval must end after it starts: ${since.toISOString()}..${until.toISOString()}`,
      );
    // A device id is a uuid; anything else would fail the cast inside the statement as a database error.
    const bad = deviceIds.find((id) => !UUID.test(id));
    if (bad !== undefined) throw new FleetHealthError('INVALID_DEVICE_ID', `"${bad}" is not a device id`);
    const ids = JSON.stringify([...new Set(deviceIds)]);
    const [outcomes, history] = await Promise.all([this.outcomes(ids, since, until), this.history(ids, since, until)]);
    return {
      commandsOk: Number(outcomes?.ok ?? 0),
      commandsFailed: Number(outcomes?.failed ?? 0),
      disconnects: Number(history?.disconnects ?? 0),
      reboots: Number(outcomes?.reboots ?? 0),
      deviceHours: Number(history?.seconds ?? 0) / 3600,
    };
  }

  /**
   * Commands by when they ended (commands_device_completed_idx). Reboots the cloud learns of: an
   * update that ended `reverted` (the switch booted the new image and came back up on the old one,
   * MCUboot's revert on the reset after an unconfirmed test boot), one unintended boot each; the
   * boot an update means to cause is not counted. update_jobs_device_idx leads with device_id. A
   * switch reports no boot count (bot.md's commands and broadcast have none, nor has Zephyr's SMP OS
   * group), so a reboot on its own shows only as a disconnect once its silence outlasts the gateway's
   * availability window.
   */
  private async outcomes(ids: string, since: Date, until: Date): Promise<CommandRow | undefined> {
    const reasons = JSON.stringify(DEVICE_FAILURE_REASONS);
    const [from, to] = [since.toISOString(), until.toISOString()];
    const result = await this.db.execute(sql`
      with ids as (select distinct value::uuid as id from jsonb_array_elements_text(${ids}::jsonb))
      select
        c.ok, c.failed,
        (select count(*) from update_jobs j join ids on j.device_id = ids.id
          where j.ended_at >= ${from}::timestamptz and j.ended_at < ${to}::timestamptz and j.state = 'failed'
            and j.reason = 'reverted') as reboots
      from (
        select count(*) filter (where c.status = 'succeeded') as ok,
               count(*) filter (where c.status = 'failed' and c.reason in (
                 select value from jsonb_array_elements_text(${reasons}::jsonb))) as failed
          from commands c join ids on c.device_id = ids.id
         where c.completed_at >= ${from}::timestamptz and c.completed_at < ${to}::timestamptz
      ) c
    `);
    return rowsOf<CommandRow>(result)[0];
  }

  /**
   * From device_state_history (its key leads with device_id, ts): each switch's last report before
   * `since` gives its state at the start, then every report inside. A disconnect is a report
   * offline right after one online; device-hours are the time spent online, each state lasting
   * until the next report or `until`.
   */
  private async history(ids: string, since: Date, until: Date): Promise<HistoryRow | undefined> {
    const [from, to] = [since.toISOString(), until.toISOString()];
    const result = await this.db.execute(sql`
      with ids as (select distinct value::uuid as id from jsonb_array_elements_text(${ids}::jsonb)),
      rows as (
        select ids.id as device_id, ${from}::timestamptz as ts, 0 as k, 0::bigint as seq, b.online
          from ids cross join lateral (
            select h.online from device_state_history h
             where h.device_id = ids.id and h.ts < ${from}::timestamptz
             order by h.ts desc limit 1) b
        union all
        select h.device_id, h.ts, 1 as k, h.seq, h.online
          from device_state_history h join ids on h.device_id = ids.id
         where h.ts >= ${from}::timestamptz and h.ts < ${to}::timestamptz
      ),
      steps as (
        select online,
               lag(online) over w as prev,
               extract(epoch from coalesce(lead(ts) over w, ${to}::timestamptz) - ts) as lasted
          from rows
        window w as (partition by device_id order by ts, k, seq)
      )
      select count(*) filter (where prev and not online) as disconnects,
             coalesce(sum(lasted) filter (where online), 0) as seconds
        from steps
    `);
    return rowsOf<HistoryRow>(result)[0];
  }
}
