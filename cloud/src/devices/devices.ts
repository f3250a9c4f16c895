/**
 * The user's view of devices: the devices of every home the user is a member of, joined with their
 * last known state. A device that does not exist and a device of someone else's home look the same
 * (null), so the API cannot be used to probe for ids.
 */
import { and, asc, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { devices, deviceState, deviceStateHistory, gateways, homeMembers, rooms, updateJobs } from '../db/schema.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { DeviceView } from './device-view.ts';
import { DeviceViewCache } from './view-cache.ts';

export type { DeviceView } from './device-view.ts';

export interface HistoryEntry {
  ts: string;
  online: boolean;
  state: { on: boolean } | null;
  battery: number | null;
  rssi: number | null;
}

export const MAX_HISTORY_ENTRIES = 1000;

/** Where a command for a device goes. */
export interface DeviceRoute {
  deviceId: string;
  gatewayId: string;
  address: string;
}

export class DeviceService {
  constructor(
    private readonly db: Db,
    readonly cache = new DeviceViewCache(),
  ) {}

  listForUser(userId: string): Promise<DeviceView[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.query(eq(homeMembers.userId, userId));
  }

  async getForUser(userId: string, deviceId: string): Promise<DeviceView | null> {
    if (!isUuid(userId) || !isUuid(deviceId)) return null;
    const cached = this.cache.get(userId, deviceId);
    if (cached) return cached;
    const token = this.cache.token(deviceId);
    const [view] = await this.query(and(eq(homeMembers.userId, userId), eq(devices.id, deviceId))!);
    if (view) this.cache.set(userId, deviceId, view, token);
    return view ?? null;
  }

  /** The gateway and address of a device the user may command, or null. */
  async routeForUser(userId: string, deviceId: string): Promise<DeviceRoute | null> {
    if (!isUuid(userId) || !isUuid(deviceId)) return null;
    const [row] = await this.db
      .select({ deviceId: devices.id, gatewayId: devices.gatewayId, address: devices.address })
      .from(devices)
      .innerJoin(homeMembers, eq(homeMembers.homeId, devices.homeId))
      .where(and(eq(homeMembers.userId, userId), eq(devices.id, deviceId)));
    return row ?? null;
  }

  /**
   * Reports of a device in [from, to), oldest first, at most MAX_HISTORY_ENTRIES; null when the
   * device is not the user's. Served by the leading (device_id, ts) of the history key, in its order.
   */
  async historyForUser(userId: string, deviceId: string, from: Date, to: Date): Promise<HistoryEntry[] | null> {
    if (!(await this.routeForUser(userId, deviceId))) return null;
    if (from.getTime() > to.getTime()) throw new InvalidInputError('from', 'from must not be after to');
    const rows = await this.db
      .select({
        ts: deviceStateHistory.ts,
        online: deviceStateHistory.online,
        on: deviceStateHistory.on,
        battery: deviceStateHistory.battery,
        rssi: deviceStateHistory.rssi,
      })
      .from(deviceStateHistory)
      .where(
        and(eq(deviceStateHistory.deviceId, deviceId), gte(deviceStateHistory.ts, from), lt(deviceStateHistory.ts, to)),
      )
      .orderBy(asc(deviceStateHistory.ts), asc(deviceStateHistory.seq))
      .limit(MAX_HISTORY_ENTRIES);
    return rows.map((r) => ({
      ts: r.ts.toISOString(),
      online: r.online,
      state: r.on === null ? null : { on: r.on },
      battery: r.battery,
      rssi: r.rssi,
    }));
  }

  /** Renames a device and/or moves it to a room of its own home (roomId null takes it out). */
  async updateForUser(
    userId: string,
    deviceId: string,
    changes: { name?: string; roomId?: string | null },
  ): Promise<DeviceView> {
    const owned = isUuid(userId) && isUuid(deviceId) ? await this.homeOf(userId, deviceId) : null;
    if (!owned) throw new NotFoundError('device');
    const set: { name?: string; roomId?: string | null } = {};
    if (changes.name !== undefined) {
      const name = changes.name.trim();
      if (name.length === 0 || name.length > 64)
        throw new InvalidInputError('name', 'name must have 1 to 64 characters');
      set.name = name;
    }
    if (changes.roomId !== undefined) {
      if (changes.roomId !== null) {
        const [room] = isUuid(changes.roomId)
          ? await this.db
              .select({ id: rooms.id })
              .from(rooms)
              .where(and(eq(rooms.id, changes.roomId), eq(rooms.homeId, owned)))
          : [];
        if (!room) throw new InvalidInputError('roomId', "no such room in the device's home");
      }
      set.roomId = changes.roomId;
    }
    if (Object.keys(set).length > 0) {
      await this.db.update(devices).set(set).where(eq(devices.id, deviceId));
      this.cache.forgetDevice(deviceId);
    }
    return (await this.getForUser(userId, deviceId))!;
  }

  private async homeOf(userId: string, deviceId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ homeId: devices.homeId })
      .from(devices)
      .innerJoin(homeMembers, and(eq(homeMembers.homeId, devices.homeId), eq(homeMembers.userId, userId)))
      .where(eq(devices.id, deviceId));
    return row?.homeId ?? null;
  }

  private async query(where: SQL): Promise<DeviceView[]> {
    const rows = await this.db
      .select({
        id: devices.id,
        name: devices.name,
        model: devices.model,
        firmwareVersion: devices.firmwareVersion,
        deviceOnline: deviceState.online,
        gatewayOnline: gateways.online,
        on: deviceState.on,
        battery: deviceState.battery,
        rssi: deviceState.rssi,
        lastSeen: deviceState.lastSeen,
        roomId: devices.roomId,
        updateState: updateJobs.state,
        updateBytes: updateJobs.bytes,
        updateTotal: updateJobs.totalBytes,
      })
      .from(devices)
      .innerJoin(homeMembers, eq(homeMembers.homeId, devices.homeId))
      .innerJoin(gateways, eq(gateways.id, devices.gatewayId))
      .leftJoin(deviceState, eq(deviceState.deviceId, devices.id))
      // At most one active job per switch (update_jobs_active_device_uq): the join adds no row.
      .leftJoin(
        updateJobs,
        and(eq(updateJobs.deviceId, devices.id), inArray(updateJobs.state, ['queued', 'waiting', 'running'])),
      )
      .where(where)
      .orderBy(asc(devices.name), asc(devices.id));
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      model: r.model,
      firmwareVersion: r.firmwareVersion,
      online: r.deviceOnline === true && r.gatewayOnline,
      state: r.on === null ? null : { on: r.on },
      battery: r.battery,
      rssi: r.rssi,
      lastSeen: r.lastSeen ? r.lastSeen.toISOString() : null,
      roomId: r.roomId,
      firmware: {
        version: r.firmwareVersion,
        update:
          r.updateState === null
            ? null
            : {
                state: r.updateState,
                progress: r.updateBytes !== null && r.updateTotal ? Math.min(1, r.updateBytes / r.updateTotal) : null,
              },
      },
    }));
  }
}
