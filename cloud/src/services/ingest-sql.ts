/**
 * The batched device-report write. The whole batch travels as ONE jsonb parameter (one bind parameter
 * per value would overflow PostgreSQL's 65535-parameter limit on big batches) and is expanded with
 * jsonb_to_recordset. A device is registered into the home of the gateway that hears it; reports from
 * a gateway that is not provisioned match no row and are not written.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/database.ts';

/** One device report, flattened; keys are the jsonb_to_recordset column names below. */
export interface ReportRow {
  gateway_id: string;
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

/** Writes the rows (at most one per address) and returns the addresses that were written. */
export async function upsertDeviceReports(db: Db, rows: ReportRow[]): Promise<string[]> {
  const result = await db.execute(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
        gateway_id text, address text, model text, name text, firmware_version text, hardware_id text,
        serial text, online boolean, "on" boolean, battery integer, rssi integer, seen_at timestamptz)
    ), registered as (
      insert into devices (gateway_id, address, home_id, name, model, firmware_version, hardware_id, serial)
      select i.gateway_id, i.address, g.home_id, coalesce(i.name, i.model || ' ' || right(i.address, 4)),
             i.model, i.firmware_version, i.hardware_id, i.serial
      from input i join gateways g on g.id = i.gateway_id
      on conflict (address) do update set
        gateway_id = excluded.gateway_id,
        home_id = excluded.home_id,
        model = excluded.model,
        firmware_version = coalesce(excluded.firmware_version, devices.firmware_version),
        hardware_id = coalesce(excluded.hardware_id, devices.hardware_id),
        serial = coalesce(excluded.serial, devices.serial)
      returning id, address
    ), written as (
      insert into device_state (device_id, "on", battery, rssi, online, last_seen, version, updated_at)
      select r.id, i."on", i.battery, i.rssi, i.online,
             -- a report of a lost switch is not a sighting; a gateway clock ahead of ours is clamped
             case when i.online then least(i.seen_at, now()) end,
             1, now()
      from registered r join input i on i.address = r.address
      on conflict (device_id) do update set
        "on" = coalesce(excluded."on", device_state."on"),
        battery = coalesce(excluded.battery, device_state.battery),
        rssi = coalesce(excluded.rssi, device_state.rssi),
        online = excluded.online,
        last_seen = coalesce(excluded.last_seen, device_state.last_seen),
        version = device_state.version + 1,
        updated_at = now()
      returning device_id
    )
    -- rows written by a CTE are invisible to the rest of the statement except through RETURNING
    select r.address from written w join registered r on r.id = w.device_id
  `);
  return rowsOf<{ address: string }>(result).map((r) => r.address);
}
