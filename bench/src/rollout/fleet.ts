/**
 * A simulated fleet written straight into the cloud's tables: one owner, one home per gateway (each
 * with its IANA time zone), gateways online, and switches with their state (online, battery, firmware
 * version, hardware id) as the ingest would have recorded them. Rows go in as a few statements, each
 * carrying its rows as one JSON parameter (json_to_recordset): one statement per 10,000 rows instead
 * of one per row keeps 100,000 switches to seconds.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '@switchfleet/cloud';

/** A few zones on both sides of UTC: windows are read in each home's own. */
const TIME_ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Australia/Sydney', 'America/Denver'];
const ROWS_PER_STATEMENT = 10_000;

export interface FleetShape {
  gateways: number;
  switchesPerGateway: number;
  hardwareId: string;
  /** The version every switch runs now. */
  version: string;
  /** Makes ids unique across fleets in one database. */
  prefix: string;
}

export interface SeededSwitch {
  deviceId: string;
  address: string;
  gatewayId: string;
  homeId: string;
}

export interface SeededFleet {
  ownerId: string;
  gatewayIds: string[];
  homeIds: string[];
  switches: SeededSwitch[];
}

export async function seedFleet(db: Db, shape: FleetShape): Promise<SeededFleet> {
  const ownerId = randomUUID();
  await db.execute(sql`insert into users (id, email, password_hash)
    values (${ownerId}, ${`${shape.prefix}-owner@bench.local`}, 'not-a-login')`);
  const homes = Array.from({ length: shape.gateways }, (_, g) => ({
    id: randomUUID(),
    name: `${shape.prefix} home ${g}`,
    time_zone: TIME_ZONES[g % TIME_ZONES.length]!,
  }));
  const gateways = homes.map((h, g) => ({ id: `${shape.prefix}-gw-${g}`, home_id: h.id }));
  const switches: SeededSwitch[] = [];
  let serial = 0;
  for (const gw of gateways) {
    for (let s = 0; s < shape.switchesPerGateway; s++) {
      // 12 hex digits, unique in the fleet: the prefix's hash in the high half, a counter in the low.
      const address = `${hash24(shape.prefix)}${(serial++).toString(16).padStart(6, '0')}`;
      switches.push({ deviceId: randomUUID(), address, gatewayId: gw.id, homeId: gw.home_id });
    }
  }
  await inChunks(homes, (rows) =>
    db.execute(sql`insert into homes (id, name, owner_id, time_zone)
      select r.id, r.name, ${ownerId}::uuid, r.time_zone
      from json_to_recordset(${JSON.stringify(rows)}::json) as r(id uuid, name text, time_zone text)`),
  );
  await inChunks(homes, (rows) =>
    db.execute(sql`insert into home_members (home_id, user_id, role)
      select r.id, ${ownerId}::uuid, 'owner' from json_to_recordset(${JSON.stringify(rows)}::json) as r(id uuid)`),
  );
  await inChunks(gateways, (rows) =>
    db.execute(sql`insert into gateways (id, home_id, secret_hash, claimed_at, last_seen, online)
      select r.id, r.home_id, 'not-a-secret', now(), now(), true
      from json_to_recordset(${JSON.stringify(rows)}::json) as r(id text, home_id uuid)`),
  );
  await inChunks(switches, (rows) =>
    db.execute(sql`insert into devices (id, gateway_id, address, home_id, name, model, firmware_version, hardware_id)
      select r."deviceId", r."gatewayId", r.address, r."homeId", 'switch ' || r.address, 'WoHand',
        ${shape.version}, ${shape.hardwareId}
      from json_to_recordset(${JSON.stringify(rows)}::json)
        as r("deviceId" uuid, "gatewayId" text, address text, "homeId" uuid)`),
  );
  // Batteries spread over 60..99 %, all above a rollout's default minimum.
  await inChunks(switches, (rows) =>
    db.execute(sql`insert into device_state (device_id, "on", battery, online, last_seen, online_at, battery_at)
      select r."deviceId", false, 60 + (r.n % 40), true, now(), now(), now()
      from json_to_recordset(${JSON.stringify(rows.map((s, n) => ({ deviceId: s.deviceId, n })))}::json)
        as r("deviceId" uuid, n int)`),
  );
  return { ownerId, gatewayIds: gateways.map((g) => g.id), homeIds: homes.map((h) => h.id), switches };
}

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await write(rows.slice(i, i + ROWS_PER_STATEMENT));
}

function hash24(text: string): string {
  let h = 0x811c9dc5;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return (h & 0xffffff).toString(16).padStart(6, '0');
}
