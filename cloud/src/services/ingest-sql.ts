/**
 * The batched device-report write: ONE statement per batch, whatever its size. The batch travels as
 * one json parameter (parsed once, lazily: json, not jsonb) (one bind parameter per value would overflow PostgreSQL's 65535-parameter
 * limit on big batches) and is expanded with json_to_recordset. In order, the statement
 *  1. registers each switch into the home of the gateway that hears it (a gateway not provisioned,
 *     or not yet claimed into a home, matches no row, so its reports are not written);
 *  2. appends every report to device_state_history; the key (gateway_id, seq, ts) makes a report the
 *     gateway's outbox delivers twice land once (ON CONFLICT DO NOTHING), and only reports that were
 *     new go on;
 *  3. folds the new reports to the newest per device and upserts the shadow's reported side, unless
 *     what is stored is newer: from the same gateway a higher seq wins, otherwise (another gateway,
 *     or a gateway that restarted its counter) the later observation time.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/database.ts';

/** One device report, flattened; keys are the json_to_recordset column names below. */
export interface ReportRow {
  gateway_id: string;
  seq: number;
  address: string;
  model: string;
  name: string | null;
  firmware_version: string | null;
  hardware_id: string | null;
  serial: string | null;
  online: boolean;
  on: boolean | null;
  battery: number | null;
  rssi: number | null;
  /** The gateway's ISO timestamp of the observation. */
  seen_at: string;
}

export interface WrittenState {
  deviceId: string;
  homeId: string;
  address: string;
  online: boolean;
  on: boolean | null;
  battery: number | null;
  rssi: number | null;
  version: number;
}

export interface BatchOutcome {
  /** Addresses whose switch is registered (its gateway is known and claimed). */
  registered: Set<string>;
  /** Reports appended to history (new, not redeliveries), per address. */
  stored: Map<string, number>;
  /** Shadows whose reported side changed. */
  written: WrittenState[];
}

interface OutRow {
  kind: 'r' | 'h' | 'w';
  device_id: string | null;
  home_id: string | null;
  address: string | null;
  online: boolean | null;
  on: boolean | null;
  battery: number | null;
  rssi: number | null;
  n: number | null;
}

export async function writeDeviceReports(db: Db, rows: ReportRow[]): Promise<BatchOutcome> {
  const outcome = await writeOnce(db, rows);
  // A switch another instance registered while this statement ran is left alone by the upsert (its
  // row is as reported) yet invisible to this statement's snapshot: write those reports again, once,
  // under a fresh snapshot. Reports of unknown or unclaimed gateways take this path too and stay out.
  const missed = rows.filter((r) => !outcome.registered.has(r.address));
  if (missed.length === 0) return outcome;
  const again = await writeOnce(db, missed);
  for (const address of again.registered) outcome.registered.add(address);
  for (const [address, n] of again.stored) outcome.stored.set(address, (outcome.stored.get(address) ?? 0) + n);
  outcome.written.push(...again.written);
  return outcome;
}

async function writeOnce(db: Db, rows: ReportRow[]): Promise<BatchOutcome> {
  const result = await db.execute(sql`
    with input as (
      select * from json_to_recordset(${JSON.stringify(rows)}::json) as x(
        gateway_id text, seq bigint, address text, model text, name text, firmware_version text, hardware_id text,
        serial text, online boolean, "on" boolean, battery integer, rssi integer, seen_at timestamptz)
    ), ident as (
      -- one statement may touch a row once, so each switch is registered from its newest report
      select distinct on (address collate "C") * from input order by address collate "C", seen_at desc, seq desc
    ), upserted as (
      insert into devices (gateway_id, address, home_id, name, model, firmware_version, hardware_id, serial)
      select i.gateway_id, i.address, g.home_id, coalesce(i.name, i.model || ' ' || right(i.address, 4)),
             i.model, i.firmware_version, i.hardware_id, i.serial
      from ident i join gateways g on g.id = i.gateway_id and g.home_id is not null
      on conflict (address) do update set
        gateway_id = excluded.gateway_id,
        home_id = excluded.home_id,
        model = excluded.model,
        firmware_version = coalesce(excluded.firmware_version, devices.firmware_version),
        hardware_id = coalesce(excluded.hardware_id, devices.hardware_id),
        serial = coalesce(excluded.serial, devices.serial)
      -- rewriting an unchanged row costs a new tuple and index entries per switch per batch
      where devices.gateway_id is distinct from excluded.gateway_id
         or devices.home_id is distinct from excluded.home_id
         or devices.model is distinct from excluded.model
         or (excluded.firmware_version is not null and excluded.firmware_version is distinct from devices.firmware_version)
         or (excluded.hardware_id is not null and excluded.hardware_id is distinct from devices.hardware_id)
         or (excluded.serial is not null and excluded.serial is distinct from devices.serial)
      returning id, address, home_id
    ), registered as (
      select id, address, home_id from upserted
      union all
      -- switches already registered exactly as reported (a row the upsert left alone)
      select d.id, d.address, d.home_id
      from ident i join gateways g on g.id = i.gateway_id and g.home_id is not null
      join devices d on d.address = i.address and d.gateway_id = i.gateway_id and d.home_id = g.home_id
      where not exists (select 1 from upserted u where u.address = d.address)
    ), hist as (
      insert into device_state_history (gateway_id, seq, ts, device_id, online, "on", battery, rssi)
      select i.gateway_id, i.seq, i.seen_at, r.id, i.online, i."on", i.battery, i.rssi
      from input i join registered r on r.address = i.address
      on conflict do nothing
      returning gateway_id, seq, ts, device_id, online, "on", battery, rssi
    ), latest as (
      select distinct on (device_id) *, least(ts, now()) as seen from hist order by device_id, ts desc, seq desc
    ), written as (
      insert into device_state as s (device_id, "on", battery, rssi, online, last_seen, on_at, battery_at, rssi_at,
                                online_at, reported_at, last_gateway_id, last_seq, version, updated_at)
      select l.device_id, l."on", l.battery, l.rssi, l.online,
             -- a report of a lost switch is not a sighting; a gateway clock ahead of ours is clamped
             case when l.online then l.seen end,
             case when l."on" is not null then l.seen end,
             case when l.battery is not null then l.seen end,
             case when l.rssi is not null then l.seen end,
             l.seen, l.ts, l.gateway_id, l.seq, 1, now()
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
    )
    -- rows written by a CTE are invisible to the rest of the statement except through RETURNING
    select 'r' as kind, null::uuid as device_id, null::uuid as home_id, address, null::boolean as online,
           null::boolean as "on", null::integer as battery, null::integer as rssi, null::integer as n from registered
    union all
    select 'h', null, null, r.address, null, null, null, null, count(*)::integer
    from hist h join registered r on r.id = h.device_id group by r.address
    union all
    select 'w', w.device_id, r.home_id, r.address, w.online, w."on", w.battery, w.rssi, w.version
    from written w join registered r on r.id = w.device_id
  `);
  const outcome: BatchOutcome = { registered: new Set(), stored: new Map(), written: [] };
  for (const row of rowsOf<OutRow>(result)) {
    if (row.kind === 'r' && row.address) outcome.registered.add(row.address);
    else if (row.kind === 'h' && row.address) outcome.stored.set(row.address, Number(row.n ?? 0));
    else if (row.kind === 'w' && row.device_id && row.home_id && row.address) {
      outcome.written.push({
        deviceId: row.device_id,
        homeId: row.home_id,
        address: row.address,
        online: row.online === true,
        on: row.on,
        battery: row.battery,
        rssi: row.rssi,
        version: Number(row.n ?? 0),
      });
    }
  }
  return outcome;
}

/** A gateway that announces itself again may have restarted its seq counter: order by time until it reports anew. */
export async function forgetGatewaySeq(db: Db, gatewayId: string): Promise<void> {
  await db.execute(sql`
    update device_state set last_seq = null
    where last_gateway_id = ${gatewayId} and last_seq is not null`);
}
