/**
 * The operators' read-only view of the fleet: switches and gateways as hardware, never as a
 * household's things. No query here selects a name (of a device, room or home), an e-mail address or
 * anything else a household typed; ids, addresses, models, versions and presence are fleet data.
 *
 * Pages are keyset pages in id order (the primary keys): a page starts after the last id of the one
 * before, so rows added or removed meanwhile never make a later page repeat or skip one. Each page is
 * one query; per-gateway counts are correlated subqueries served by devices_gateway_idx and the partial
 * unique index of active update jobs, so a page costs the same whatever the fleet's size.
 */
import { Compile } from 'typebox/compile';
import { GatewayId } from '@switchfleet/protocol';
import { and, asc, eq, gt, inArray, not, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { devices, deviceState, gateways, updateJobs, type UpdateJobState } from '../db/schema.ts';
import { InvalidInputError } from '../errors.ts';
import { isUuid } from '../ids.ts';

export const MAX_FLEET_PAGE = 200;
const ACTIVE: UpdateJobState[] = ['queued', 'waiting', 'running'];
/** What no gateway id can be (a NUL above all, which PostgreSQL's text refuses) never reaches a statement. */
const validGatewayId = Compile(GatewayId);
const isGatewayId = (id: string) => validGatewayId.Check(id);

export interface FleetUpdateSummary {
  id: string;
  releaseId: string;
  state: UpdateJobState;
  phase: string | null;
  /** Share of the image's bytes moved in the current phase; null before any. */
  progress: number | null;
}

export interface FleetDevice {
  id: string;
  homeId: string;
  gatewayId: string;
  address: string;
  hardwareId: string | null;
  model: string;
  firmware: { version: string | null; update: FleetUpdateSummary | null };
  /** The gateway hears the switch and is itself connected (as households see it). */
  online: boolean;
  lastSeen: Date | null;
  battery: number | null;
  rssi: number | null;
  createdAt: Date;
}

export interface FleetGateway {
  id: string;
  /** Null while unclaimed. */
  homeId: string | null;
  online: boolean;
  lastSeen: Date | null;
  version: string | null;
  devices: { total: number; online: number };
  activeUpdates: number;
  createdAt: Date;
}

export interface FleetGatewayDetail extends FleetGateway {
  /** The update jobs on this gateway's switches that have not ended, oldest first. */
  updates: (FleetUpdateSummary & { deviceId: string })[];
}

export interface FleetDeviceQuery {
  hardwareId?: string | undefined;
  version?: string | undefined;
  gatewayId?: string | undefined;
  homeId?: string | undefined;
  online?: boolean | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface FleetGatewayQuery {
  online?: boolean | undefined;
  homeId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface FleetPage<T> {
  items: T[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/** Reachable now: the switch is heard and its gateway connected. */
const deviceOnline = sql<boolean>`(coalesce(${deviceState.online}, false) and ${gateways.online})`;
const progress = (bytes: number | null, total: number | null) =>
  bytes !== null && total ? Math.min(1, bytes / total) : null;

export class FleetService {
  constructor(private readonly db: Db) {}

  async listDevices(query: FleetDeviceQuery): Promise<FleetPage<FleetDevice>> {
    const limit = pageSize(query.limit);
    const where: SQL[] = [];
    if (query.cursor !== undefined) where.push(gt(devices.id, decodeCursor(query.cursor, 'd', isUuid)));
    if (query.homeId !== undefined) {
      // Not a home id: nothing matches, and it must not reach a uuid cast.
      if (!isUuid(query.homeId)) return { items: [], nextCursor: null };
      where.push(eq(devices.homeId, query.homeId));
    }
    if (query.hardwareId !== undefined) where.push(eq(devices.hardwareId, query.hardwareId));
    if (query.version !== undefined) where.push(eq(devices.firmwareVersion, query.version));
    if (query.gatewayId !== undefined) {
      if (!isGatewayId(query.gatewayId)) return { items: [], nextCursor: null };
      where.push(eq(devices.gatewayId, query.gatewayId));
    }
    if (query.online !== undefined) where.push(query.online ? deviceOnline : not(deviceOnline));
    const rows = await this.deviceRows(and(...where), limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor('d', last.id) : null };
  }

  async getDevice(id: string): Promise<FleetDevice | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.deviceRows(eq(devices.id, id), 1);
    return row ?? null;
  }

  async listGateways(query: FleetGatewayQuery): Promise<FleetPage<FleetGateway>> {
    const limit = pageSize(query.limit);
    const where: SQL[] = [];
    if (query.cursor !== undefined) where.push(gt(gateways.id, decodeCursor(query.cursor, 'g', isGatewayId)));
    if (query.online !== undefined) where.push(eq(gateways.online, query.online));
    if (query.homeId !== undefined) {
      if (!isUuid(query.homeId)) return { items: [], nextCursor: null };
      where.push(eq(gateways.homeId, query.homeId));
    }
    const rows = await this.gatewayRows(and(...where), limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor('g', last.id) : null };
  }

  async getGateway(id: string): Promise<FleetGatewayDetail | null> {
    if (!isGatewayId(id)) return null;
    const [gateway] = await this.gatewayRows(eq(gateways.id, id), 1);
    if (!gateway) return null;
    const jobs = await this.db
      .select({
        id: updateJobs.id,
        deviceId: updateJobs.deviceId,
        releaseId: updateJobs.releaseId,
        state: updateJobs.state,
        phase: updateJobs.phase,
        bytes: updateJobs.bytes,
        totalBytes: updateJobs.totalBytes,
      })
      .from(updateJobs)
      .innerJoin(devices, eq(devices.id, updateJobs.deviceId))
      .where(and(eq(devices.gatewayId, id), inArray(updateJobs.state, ACTIVE)))
      .orderBy(asc(updateJobs.createdAt), asc(updateJobs.id));
    return {
      ...gateway,
      updates: jobs.map(({ bytes, totalBytes, ...j }) => ({ ...j, progress: progress(bytes, totalBytes) })),
    };
  }

  private async deviceRows(where: SQL | undefined, limit: number): Promise<FleetDevice[]> {
    const rows = await this.db
      .select({
        id: devices.id,
        homeId: devices.homeId,
        gatewayId: devices.gatewayId,
        address: devices.address,
        hardwareId: devices.hardwareId,
        model: devices.model,
        version: devices.firmwareVersion,
        online: deviceOnline,
        lastSeen: deviceState.lastSeen,
        battery: deviceState.battery,
        rssi: deviceState.rssi,
        createdAt: devices.createdAt,
        jobId: updateJobs.id,
        jobRelease: updateJobs.releaseId,
        jobState: updateJobs.state,
        jobPhase: updateJobs.phase,
        jobBytes: updateJobs.bytes,
        jobTotal: updateJobs.totalBytes,
      })
      .from(devices)
      .innerJoin(gateways, eq(gateways.id, devices.gatewayId))
      .leftJoin(deviceState, eq(deviceState.deviceId, devices.id))
      // At most one active job per switch (update_jobs_active_device_uq): the join adds no row.
      .leftJoin(updateJobs, and(eq(updateJobs.deviceId, devices.id), inArray(updateJobs.state, ACTIVE)))
      .where(where)
      .orderBy(asc(devices.id))
      .limit(limit);
    return rows.map((r) => ({
      id: r.id,
      homeId: r.homeId,
      gatewayId: r.gatewayId,
      address: r.address,
      hardwareId: r.hardwareId,
      model: r.model,
      firmware: {
        version: r.version,
        update:
          r.jobId === null || r.jobRelease === null || r.jobState === null
            ? null
            : {
                id: r.jobId,
                releaseId: r.jobRelease,
                state: r.jobState,
                phase: r.jobPhase,
                progress: progress(r.jobBytes, r.jobTotal),
              },
      },
      online: r.online === true,
      lastSeen: r.lastSeen,
      battery: r.battery,
      rssi: r.rssi,
      createdAt: r.createdAt,
    }));
  }

  private async gatewayRows(where: SQL | undefined, limit: number): Promise<FleetGateway[]> {
    const count = (filter: SQL) => sql<number>`(select count(*) from ${devices} d ${filter})`.mapWith(Number);
    const rows = await this.db
      .select({
        id: gateways.id,
        homeId: gateways.homeId,
        online: gateways.online,
        lastSeen: gateways.lastSeen,
        version: gateways.version,
        createdAt: gateways.createdAt,
        total: count(sql`where d.gateway_id = ${gateways.id}`),
        devicesOnline: count(
          sql`join ${deviceState} s on s.device_id = d.id where d.gateway_id = ${gateways.id} and s.online`,
        ),
        activeUpdates: count(
          sql`join ${updateJobs} j on j.device_id = d.id
              where d.gateway_id = ${gateways.id} and j.state in ('queued', 'waiting', 'running')`,
        ),
      })
      .from(gateways)
      .where(where)
      .orderBy(asc(gateways.id))
      .limit(limit);
    return rows.map(({ total, devicesOnline, ...g }) => ({
      ...g,
      // A switch is reachable only while its gateway is connected (deviceOnline above).
      devices: { total, online: g.online ? devicesOnline : 0 },
    }));
  }
}

function pageSize(limit: number): number {
  return Math.max(1, Math.min(MAX_FLEET_PAGE, Math.trunc(limit)));
}

/** Opaque to clients: a kind letter and the last id of the page, so the next starts after it. */
function encodeCursor(kind: 'd' | 'g', id: string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string, kind: 'd' | 'g', valid: (id: string) => boolean): string {
  const text = Buffer.from(cursor, 'base64url').toString();
  const id = text.startsWith(`${kind}:`) ? text.slice(2) : '';
  if (!valid(id) || Buffer.from(text).toString('base64url') !== cursor) {
    throw new InvalidInputError('cursor', 'cursor is not one this API returned');
  }
  return id;
}
