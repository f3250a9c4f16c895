/**
 * The batched device-report write: ONE statement per batch, whatever its size. The reports travel as
 * one array parameter per column, expanded with unnest (one bind parameter per value would overflow
 * PostgreSQL's 65535-parameter limit on big batches), the switches' identities, one per switch, as a
 * small json parameter. In order, the statement
 *  1. registers each switch into the home of the gateway that hears it (a gateway not provisioned,
 *     or not yet claimed into a home, matches no row, so its reports are not written), as long as
 *     the gateway stays within its device cap: the reports of a switch new to a gateway that already
 *     has that many are refused, while its known switches go on as before;
 *  2. appends every report to device_state_history; its key holds the outbox's identity of a report
 *     (gateway_id, seq, ts), so a report the gateway's outbox delivers twice lands once, and only
 *     reports that were new go on (see writeOnce for how duplicates are told apart cheaply);
 *  3. folds the new reports to the newest per device and upserts the shadow's reported side, unless
 *     what is stored is newer: from the same gateway a higher seq wins, otherwise (another gateway,
 *     or a gateway that restarted its counter) the later observation time;
 *  4. announces the shadows it moved on the event bus (NOTIFY, sent at commit).
 */
import { sql } from 'drizzle-orm';
import { DEFAULT_GATEWAY_MAX_DEVICES } from '../config.ts';
import { rowsOf, type Db } from '../db/database.ts';
import { notifyStateEventsSql } from '../events/bus.ts';
import { columns, type Columns } from './columns.ts';
import type { ReportRow } from './report-row.ts';

export type { ReportRow } from './report-row.ts';

export interface BatchOutcome {
  /** Addresses whose switch is registered (its gateway is known and claimed). */
  registered: Set<string>;
  /** Reports appended to history (new, not redeliveries), per address. */
  stored: Map<string, number>;
  /** Addresses whose shadow's reported side changed (and was announced on the event bus). */
  moved: Set<string>;
  /** Addresses of switches new to their gateway, not registered: the gateway is at its device cap. */
  overCap: Set<string>;
}

interface OutRow {
  address: string;
  stored: number | null;
  moved: boolean;
  over_cap: boolean;
}

export async function writeDeviceReports(
  db: Db,
  rows: ReportRow[],
  maxDevices = DEFAULT_GATEWAY_MAX_DEVICES,
): Promise<BatchOutcome> {
  const outcome = await writeOnce(db, rows, maxDevices);
  // A gateway claimed into its home while this statement ran is invisible to its snapshot, so its
  // switches were not registered: write those reports again, once, under a fresh snapshot. Reports of
  // unknown or unclaimed gateways take this path too and stay out.
  const missed = rows.filter((r) => !outcome.registered.has(r.address) && !outcome.overCap.has(r.address));
  if (missed.length === 0) return outcome;
  return mergeOutcomes(outcome, await writeOnce(db, missed, maxDevices));
}

/** `into` with `more` added to it (the outcomes of two writes of different reports). */
export function mergeOutcomes<T extends BatchOutcome>(into: T, more: BatchOutcome): T {
  for (const address of more.registered) into.registered.add(address);
  for (const [address, n] of more.stored) into.stored.set(address, (into.stored.get(address) ?? 0) + n);
  for (const address of more.moved) into.moved.add(address);
  for (const address of more.overCap) into.overCap.add(address);
  return into;
}

/** The history key's constraint (schema.ts). */
const HISTORY_KEY = 'device_state_history_pkey';

/**
 * Redeliveries are rare (a gateway's outbox after a lost connection), so the batch is first written
 * with a plain INSERT into history: ON CONFLICT DO NOTHING makes PostgreSQL probe the key before every
 * row and insert speculatively, a tenth of the statement. The plain insert still fails on a stored
 * report (unique_violation, SQLSTATE 23505, on the history key), which rolls the whole statement back;
 * the batch is then written again with ON CONFLICT DO NOTHING. Copies inside one batch are removed
 * before either.
 */
async function writeOnce(db: Db, rows: ReportRow[], maxDevices: number): Promise<BatchOutcome> {
  const c = columns(rows);
  try {
    return await writeColumns(db, c, maxDevices, false);
  } catch (e) {
    if (!violates(e, HISTORY_KEY)) throw e;
    return await writeColumns(db, c, maxDevices, true);
  }
}

/** The PostgreSQL error under drizzle's wrapper (DrizzleQueryError keeps it as `cause`) names this unique key. */
function violates(e: unknown, constraint: string): boolean {
  for (
    let err = e as { code?: unknown; constraint?: unknown; cause?: unknown } | undefined;
    err;
    err = err.cause as typeof err
  ) {
    if (err.code === '23505') return err.constraint === constraint;
  }
  return false;
}

async function writeColumns(db: Db, c: Columns, maxDevices: number, redeliveries: boolean): Promise<BatchOutcome> {
  const result = await db.execute(sql`
    with input as (
      select * from unnest(
        ${c.gatewayIds}::text[], ${c.seqs}::bigint[], ${c.addresses}::text[],
        ${c.online}::boolean[], ${c.on}::boolean[], ${c.battery}::integer[],
        ${c.rssi}::integer[], ${c.ms}::bigint[], ${c.newest}::boolean[]
      ) as x(gateway_id, seq, address, online, "on", battery, rssi, ms, newest)
    ), ident as (
      select * from json_to_recordset(${c.identities}::json) as x(
        gateway_id text, address text, model text, name text, firmware_version text, hardware_id text, serial text)
    ), claimed as (
      -- switches whose gateway is provisioned and claimed into a home, with that home
      select i.*, g.home_id from ident i join gateways g on g.id = i.gateway_id and g.home_id is not null
    ), fresh as (
      -- switches new to the gateway that reports them (never registered, or registered under another)
      select c.gateway_id, c.address, row_number() over (partition by c.gateway_id order by c.address) as n
      from claimed c left join devices d on d.address = c.address
      where d.id is null or d.gateway_id <> c.gateway_id
    ), over_cap as (
      -- those past their gateway's device cap stay unregistered; the count runs only for new switches
      select f.address from fresh f
      where (select count(*) from devices x where x.gateway_id = f.gateway_id) + f.n > ${maxDevices}
    ), changed as (
      -- only new or changed switches go through the upsert: INSERT … ON CONFLICT locks every row it
      -- meets, and most batches change no switch at all
      select c.* from claimed c left join devices d on d.address = c.address
      where not exists (select 1 from over_cap o where o.address = c.address) and (d.id is null
         or d.gateway_id is distinct from c.gateway_id
         or d.home_id is distinct from c.home_id
         or d.model is distinct from c.model
         or (c.firmware_version is not null and c.firmware_version is distinct from d.firmware_version)
         or (c.hardware_id is not null and c.hardware_id is distinct from d.hardware_id)
         or (c.serial is not null and c.serial is distinct from d.serial))
    ), upserted as (
      insert into devices (gateway_id, address, home_id, name, model, firmware_version, hardware_id, serial)
      select c.gateway_id, c.address, c.home_id, coalesce(c.name, c.model || ' ' || right(c.address, 4)),
             c.model, c.firmware_version, c.hardware_id, c.serial
      from changed c
      on conflict (address) do update set
        gateway_id = excluded.gateway_id,
        home_id = excluded.home_id,
        model = excluded.model,
        firmware_version = coalesce(excluded.firmware_version, devices.firmware_version),
        hardware_id = coalesce(excluded.hardware_id, devices.hardware_id),
        serial = coalesce(excluded.serial, devices.serial)
      -- a row another instance inserted or changed alike since this statement's snapshot is written
      -- again with the same values, so it is returned (registered) like the rest
      returning id, address, home_id
    ), registered as (
      select id, address, home_id from upserted
      union all
      -- switches already registered exactly as reported (rows the upsert did not write)
      select d.id, d.address, d.home_id
      from claimed c join devices d on d.address = c.address and d.gateway_id = c.gateway_id and d.home_id = c.home_id
      where not exists (select 1 from upserted u where u.address = d.address)
    ), hist as (
      insert into device_state_history (gateway_id, seq, ts, device_id, online, "on", battery, rssi)
      select i.gateway_id, i.seq, timestamptz 'epoch' + i.ms * interval '1 millisecond', r.id, i.online, i."on", i.battery, i.rssi
      from input i join registered r on r.address = i.address
      ${redeliveries ? sql`on conflict do nothing returning gateway_id, seq, ts, device_id, online, "on", battery, rssi` : sql``}
    ), latest as (
      ${redeliveries ? LATEST_STORED : LATEST_SENT}
    ), written as (
      insert into device_state as s (device_id, "on", battery, rssi, online, last_seen, on_at, battery_at, rssi_at,
                                online_at, reported_at, last_gateway_id, last_seq, version, updated_at)
      select l.device_id, l."on", l.battery, l.rssi, l.online,
             -- a report of a lost switch is not a sighting; a gateway clock ahead of ours is clamped,
             -- the ordering time too: a report dated ahead would otherwise outrank every report
             -- after it until that date
             case when l.online then l.seen end,
             case when l."on" is not null then l.seen end,
             case when l.battery is not null then l.seen end,
             case when l.rssi is not null then l.seen end,
             l.seen, l.seen, l.gateway_id, l.seq, 1, now()
      from latest l
      on conflict (device_id) do update set
        "on" = coalesce(excluded."on", s."on"),
        on_at = coalesce(excluded.on_at, s.on_at),
        battery = coalesce(excluded.battery, s.battery),
        battery_at = coalesce(excluded.battery_at, s.battery_at),
        rssi = coalesce(excluded.rssi, s.rssi),
        rssi_at = coalesce(excluded.rssi_at, s.rssi_at),
        online = excluded.online,
        online_at = excluded.online_at,
        last_seen = coalesce(excluded.last_seen, s.last_seen),
        reported_at = excluded.reported_at,
        last_gateway_id = excluded.last_gateway_id,
        last_seq = excluded.last_seq,
        version = s.version + 1,
        updated_at = now()
      where case
        when s.last_gateway_id = excluded.last_gateway_id and s.last_seq is not null then excluded.last_seq > s.last_seq
        else s.reported_at is null or excluded.reported_at >= s.reported_at
      end
      returning device_id, online, "on", battery, rssi, version
    ), announced as (
      -- every cloud instance hears the new states (events/bus.ts), delivered when this statement commits
      ${notifyStateEventsSql(sql`select w.device_id, r.home_id, w.online, w."on", w.battery, w.rssi, w.version from written w join registered r on r.id = w.device_id`)}
    )${redeliveries ? sql`, stored as (select device_id, count(*)::integer as n from hist group by device_id)` : sql``}
    -- rows written by a CTE are invisible to the rest of the statement except through RETURNING;
    -- one row per registered switch; "announced" is read so that its NOTIFY runs
    select r.address, ${redeliveries ? sql`coalesce(s.n, 0)` : sql`null::integer`} as stored,
           w.device_id is not null as moved, false as over_cap
    from registered r
    ${redeliveries ? sql`left join stored s on s.device_id = r.id` : sql``}
    left join written w on w.device_id = r.id
    cross join (select count(*) from announced) a
    union all
    select address, null, false, true from over_cap
  `);
  const outcome: BatchOutcome = { registered: new Set(), stored: new Map(), moved: new Set(), overCap: new Set() };
  for (const row of rowsOf<OutRow>(result)) {
    if (row.over_cap) {
      outcome.overCap.add(row.address);
      continue;
    }
    outcome.registered.add(row.address);
    // Without redeliveries every report of a registered switch was stored (and not counted in SQL).
    const stored = row.stored === null ? c.reports.get(row.address)! : Number(row.stored);
    if (stored > 0) outcome.stored.set(row.address, stored);
    if (row.moved) outcome.moved.add(row.address);
  }
  return outcome;
}

/** The newest stored report per switch, from what the insert returned (some reports were already stored). */
const LATEST_STORED = sql`select distinct on (device_id) *, least(ts, now()) as seen from hist order by device_id, ts desc, seq desc`;
/**
 * The newest report per switch when all of them were stored, as `columns` marked it: the insert then
 * returns nothing, and nothing is buffered and sorted (a tenth of the statement's time on PGlite).
 */
const LATEST_SENT = sql`
  select r.id as device_id, i.gateway_id, i.seq, t.ts, i.online, i."on", i.battery, i.rssi, least(t.ts, now()) as seen
  from input i join registered r on r.address = i.address
  cross join lateral (select timestamptz 'epoch' + i.ms * interval '1 millisecond' as ts) t
  where i.newest`;

/** A gateway that announces itself again may have restarted its seq counter: order by time until it reports anew. */
export async function forgetGatewaySeq(db: Db, gatewayId: string): Promise<void> {
  await db.execute(sql`
    update device_state set last_seq = null
    where last_gateway_id = ${gatewayId} and last_seq is not null`);
}
