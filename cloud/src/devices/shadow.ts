/**
 * Device shadows in the manner of AWS IoT Device Shadow (developerguide: "Device Shadow service
 * documents"): `state.desired`, `state.reported`, `state.delta` (desired fields that differ from
 * reported), `metadata` with a timestamp per field, and a `version` bumped on every write. A desired
 * update may carry the version it was based on; a stale one is refused (optimistic concurrency).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/database.ts';
import { devices, deviceState, homeMembers } from '../db/schema.ts';
import { NotFoundError, VersionConflictError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { notifyStateEventsSql, type EventBus } from '../events/bus.ts';

type Stamp = { timestamp: string };

export interface Shadow {
  deviceId: string;
  version: number;
  state: {
    desired: { on?: boolean };
    reported: { on?: boolean; online: boolean; battery?: number; rssi?: number };
    /** Present only when desired and reported differ. */
    delta?: { on: boolean };
  };
  metadata: {
    desired: { on?: Stamp };
    reported: { on?: Stamp; online?: Stamp; battery?: Stamp; rssi?: Stamp };
  };
  /** When the shadow was last written. */
  timestamp: string;
}

type Row = typeof deviceState.$inferSelect;

export class ShadowService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  async getForUser(userId: string, deviceId: string): Promise<Shadow | null> {
    const owned = await this.ownedDevice(userId, deviceId);
    if (!owned) return null;
    const [row] = await this.db.select().from(deviceState).where(eq(deviceState.deviceId, owned.id));
    return toShadow(owned.id, row);
  }

  /**
   * Sets desired.on for a device of the user. When `expectedVersions` (the If-Match list) is given,
   * the current version must be one of them, else VersionConflictError (an empty list never matches);
   * the check and the write are one statement.
   */
  async setDesiredForUser(
    userId: string,
    deviceId: string,
    on: boolean,
    expectedVersions?: readonly number[],
  ): Promise<Shadow> {
    const owned = await this.ownedDevice(userId, deviceId);
    if (!owned) throw new NotFoundError('device');
    const now = new Date();
    // A switch never reported has no row yet; it starts at version 0 so that If-Match: 0 can create it.
    await this.db.insert(deviceState).values({ deviceId: owned.id, version: 0 }).onConflictDoNothing();
    const [updated] = await this.db
      .update(deviceState)
      .set({ desiredOn: on, desiredOnAt: now, version: sql`${deviceState.version} + 1`, updatedAt: now })
      .where(
        and(
          eq(deviceState.deviceId, owned.id),
          expectedVersions === undefined ? undefined : inArray(deviceState.version, [...expectedVersions]),
        ),
      )
      .returning();
    if (!updated) {
      const [current] = await this.db
        .select({ version: deviceState.version })
        .from(deviceState)
        .where(eq(deviceState.deviceId, owned.id));
      throw new VersionConflictError(current?.version ?? 0, expectedVersions ?? []);
    }
    return toShadow(owned.id, updated);
  }

  /** desired.on from a command (on/off): no precondition, the command itself is the user's intent. */
  async recordDesired(deviceId: string, on: boolean): Promise<void> {
    const now = new Date();
    await this.db
      .insert(deviceState)
      .values({ deviceId, desiredOn: on, desiredOnAt: now })
      .onConflictDoUpdate({
        target: deviceState.deviceId,
        set: { desiredOn: on, desiredOnAt: now, version: sql`${deviceState.version} + 1`, updatedAt: now },
      });
  }

  /**
   * reported.on carried by a command result: an observation of the switch at the gateway, which has
   * just reached it, so the switch was also seen (lastSeen) and is reachable (online).
   */
  async recordReported(deviceId: string, on: boolean): Promise<void> {
    const now = new Date();
    const seen = { on, onAt: now, lastSeen: now, online: true, onlineAt: now };
    const [row] = await this.db
      .insert(deviceState)
      .values({ deviceId, ...seen })
      .onConflictDoUpdate({
        target: deviceState.deviceId,
        set: { ...seen, version: sql`${deviceState.version} + 1`, updatedAt: now },
      })
      .returning();
    const [device] = await this.db.select({ homeId: devices.homeId }).from(devices).where(eq(devices.id, deviceId));
    if (row && device) {
      await this.bus.publish([
        {
          type: 'state',
          deviceId,
          homeId: device.homeId,
          online: row.online,
          state: row.on === null ? null : { on: row.on },
          battery: row.battery,
          rssi: row.rssi,
          version: row.version,
        },
      ]);
    }
  }

  /**
   * Takes every switch not heard for `afterMs` offline: a gateway may vanish, or lose a switch,
   * without saying so, and the switch would otherwise show online for ever. Announced on the event
   * bus like any state change (at commit); a later report that hears the switch brings it back.
   * Returns how many went offline.
   */
  async markSilentOffline(afterMs: number): Promise<number> {
    const result = await this.db.execute(sql`
      with gone as (
        update device_state s set online = false, online_at = now(), version = s.version + 1, updated_at = now()
        where s.online and s.last_seen < now() - make_interval(secs => ${afterMs / 1000})
        returning s.device_id, s.online, s."on", s.battery, s.rssi, s.version
      ), announced as (
        ${notifyStateEventsSql(sql`select g.*, d.home_id from gone g join devices d on d.id = g.device_id`)}
      )
      select (select count(*) from gone)::integer as n, (select count(*) from announced)::integer as notified`);
    return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
  }

  private async ownedDevice(userId: string, deviceId: string): Promise<{ id: string; gatewayId: string } | null> {
    if (!isUuid(userId) || !isUuid(deviceId)) return null;
    const [row] = await this.db
      .select({ id: devices.id, gatewayId: devices.gatewayId })
      .from(devices)
      .innerJoin(homeMembers, and(eq(homeMembers.homeId, devices.homeId), eq(homeMembers.userId, userId)))
      .where(eq(devices.id, deviceId));
    return row ?? null;
  }
}

function toShadow(deviceId: string, row: Row | undefined): Shadow {
  const stamp = (d: Date | null | undefined): Stamp | undefined => (d ? { timestamp: d.toISOString() } : undefined);
  const shadow: Shadow = {
    deviceId,
    version: row?.version ?? 0,
    state: { desired: {}, reported: { online: row?.online ?? false } },
    metadata: { desired: {}, reported: {} },
    timestamp: (row?.updatedAt ?? new Date(0)).toISOString(),
  };
  if (!row) return shadow;
  if (row.desiredOn !== null) shadow.state.desired.on = row.desiredOn;
  if (row.on !== null) shadow.state.reported.on = row.on;
  if (row.battery !== null) shadow.state.reported.battery = row.battery;
  if (row.rssi !== null) shadow.state.reported.rssi = row.rssi;
  if (row.desiredOn !== null && row.desiredOn !== row.on) shadow.state.delta = { on: row.desiredOn };
  const m = shadow.metadata;
  const set = <K extends string>(target: Partial<Record<K, Stamp>>, key: K, d: Date | null) => {
    const s = stamp(d);
    if (s) target[key] = s;
  };
  set(m.desired, 'on', row.desiredOnAt);
  set(m.reported, 'on', row.onAt);
  set(m.reported, 'online', row.onlineAt);
  set(m.reported, 'battery', row.batteryAt);
  set(m.reported, 'rssi', row.rssiAt);
  return shadow;
}
