/**
 * The user's view of devices: the devices of every home the user is a member of, joined with their
 * last known state. A device that does not exist and a device of someone else's home look the same
 * (null), so the API cannot be used to probe for ids.
 */
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { devices, deviceState, gateways, homeMembers } from '../db/schema.ts';
import { isUuid } from '../ids.ts';

export interface DeviceView {
  id: string;
  name: string;
  model: string;
  firmwareVersion: string | null;
  /** Reachable now: the gateway hears the switch AND the gateway itself is connected. */
  online: boolean;
  /** Null until the relay state has been reported. */
  state: { on: boolean } | null;
  battery: number | null;
  rssi: number | null;
  lastSeen: string | null;
}

/** Where a command for a device goes. */
export interface DeviceRoute {
  deviceId: string;
  gatewayId: string;
  address: string;
}

export class DeviceService {
  constructor(private readonly db: Db) {}

  listForUser(userId: string): Promise<DeviceView[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.query(eq(homeMembers.userId, userId));
  }

  async getForUser(userId: string, deviceId: string): Promise<DeviceView | null> {
    if (!isUuid(userId) || !isUuid(deviceId)) return null;
    const [view] = await this.query(and(eq(homeMembers.userId, userId), eq(devices.id, deviceId))!);
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
      })
      .from(devices)
      .innerJoin(homeMembers, eq(homeMembers.homeId, devices.homeId))
      .innerJoin(gateways, eq(gateways.id, devices.gatewayId))
      .leftJoin(deviceState, eq(deviceState.deviceId, devices.id))
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
    }));
  }
}
