/**
 * Gateway → cloud traffic. Every message on an "up" topic is decoded against the topic map; a bad
 * one is logged, counted and dropped, and the messages around it go on. Decoded messages are applied
 * in arrival order by one drain loop; runs of consecutive device reports are written as one batched
 * upsert (one JSON parameter, expanded by jsonb_to_recordset), which is far cheaper than a statement
 * per report.
 */
import { decodePayload, parseTopic, topicMap, type CommandResult, type DeviceReport, type GatewayStatus } from '@switchfleet/protocol';
import type { Logger } from 'pino';
import type { CommandService } from './commands.ts';
import type { GatewayService } from './gateways.ts';
import { upsertDeviceReports, type ReportRow } from './ingest-sql.ts';
import type { Db } from '../db/database.ts';

/** The topic filters ingest consumes: every "up" entry of the topic map. */
export const INGEST_FILTERS: readonly string[] = Object.values(topicMap)
  .filter((t) => t.direction === 'up')
  .map((t) => t.filter);

export interface IngestStats {
  received: number;
  deviceStates: number;
  commandResults: number;
  gatewayStatuses: number;
  /** Not JSON, too large, or not matching the topic's schema. */
  malformed: number;
  /** Well-formed but not applicable: unknown topic or gateway, mismatched address, unknown command. */
  rejected: number;
  /** Reports whose seq is not newer than one already applied for that gateway and device. */
  stale: number;
  /** Dropped because the database write failed. */
  failed: number;
}

type Message =
  | { name: 'deviceState'; gatewayId: string; address: string; value: DeviceReport }
  | { name: 'commandResult'; gatewayId: string; address: string; value: CommandResult }
  | { name: 'gatewayStatus'; gatewayId: string; value: GatewayStatus };

export interface IngestDeps {
  db: Db;
  gateways: GatewayService;
  commands: CommandService;
  logger: Logger;
  /** Most messages applied per drain step. */
  batchMax?: number;
}

export class IngestService {
  readonly #stats: IngestStats = {
    received: 0,
    deviceStates: 0,
    commandResults: 0,
    gatewayStatuses: 0,
    malformed: 0,
    rejected: 0,
    stale: 0,
    failed: 0,
  };
  readonly #queue: Message[] = [];
  /**
   * Last applied seq per "gateway/address". In memory only: the cheap guard against reordered or
   * redelivered reports; full dedupe across restarts is later work.
   */
  readonly #lastSeq = new Map<string, number>();
  #draining: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly deps: IngestDeps) {}

  stats(): IngestStats {
    return { ...this.#stats };
  }

  /** Entry point for every MQTT message; never throws. */
  handle(topic: string, payload: Buffer): void {
    if (this.#stopped) return;
    this.#stats.received += 1;
    const parsed = parseTopic(topic);
    if (!parsed || topicMap[parsed.name].direction !== 'up') {
      this.#stats.rejected += 1;
      this.deps.logger.warn({ topic }, 'ingest: topic not in the up map');
      return;
    }
    const decoded = decodePayload(parsed.name, payload);
    if (!decoded.ok) {
      this.#stats.malformed += 1;
      this.deps.logger.warn({ topic, code: decoded.error.code, field: decoded.error.field, err: decoded.error.message }, 'ingest: malformed payload dropped');
      return;
    }
    const message = this.toMessage(parsed.name, parsed.gatewayId, parsed.address, decoded.value);
    if (!message) {
      this.#stats.rejected += 1;
      this.deps.logger.warn({ topic }, 'ingest: payload does not match its topic');
      return;
    }
    this.#queue.push(message);
    this.kick();
  }

  /** Starts the drain loop unless it runs; a message queued while it was finishing restarts it. */
  private kick(): void {
    if (this.#draining) return;
    this.#draining = this.drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.kick();
    });
  }

  /** Resolves once every message handed to `handle` so far has been applied (or dropped). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Stops accepting messages and waits for the queue to drain. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.idle();
  }

  private toMessage(name: keyof typeof topicMap, gatewayId: string, address: string | undefined, value: unknown): Message | null {
    switch (name) {
      case 'gatewayStatus':
        return { name, gatewayId, value: value as GatewayStatus };
      case 'deviceState': {
        const report = value as DeviceReport;
        // The topic's address level and the payload's identity must name the same switch.
        if (!address || report.device.address !== address) return null;
        return { name, gatewayId, address, value: report };
      }
      case 'commandResult':
        return address ? { name, gatewayId, address, value: value as CommandResult } : null;
      default:
        return null;
    }
  }

  private async drain(): Promise<void> {
    const max = this.deps.batchMax ?? 500;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, max);
      let reports: Extract<Message, { name: 'deviceState' }>[] = [];
      for (const message of batch) {
        if (message.name === 'deviceState') {
          reports.push(message);
          continue;
        }
        // Keep arrival order: reports received before this message are written before it.
        await this.applyReports(reports);
        reports = [];
        await this.applyOne(message);
      }
      await this.applyReports(reports);
    }
  }

  private async applyOne(message: Exclude<Message, { name: 'deviceState' }>): Promise<void> {
    try {
      if (message.name === 'gatewayStatus') {
        // A gateway that (re)announces itself may have restarted its seq counter.
        if (message.value.online) this.forgetSeq(message.gatewayId);
        const known = await this.deps.gateways.recordStatus(message.gatewayId, message.value.online, new Date());
        this.#stats[known ? 'gatewayStatuses' : 'rejected'] += 1;
      } else {
        const done = await this.deps.commands.complete(message.gatewayId, message.address, message.value);
        this.#stats[done ? 'commandResults' : 'rejected'] += 1;
      }
    } catch (e) {
      this.#stats.failed += 1;
      this.deps.logger.error({ err: e, gatewayId: message.gatewayId, name: message.name }, 'ingest: write failed');
    }
  }

  private async applyReports(reports: Extract<Message, { name: 'deviceState' }>[]): Promise<void> {
    if (reports.length === 0) return;
    // Newest report per address wins: an address has one row, and one statement may touch a row once.
    // Reports folded into a newer one count as applied with it.
    const latest = new Map<string, { row: ReportRow; count: number }>();
    for (const { gatewayId, address, value } of reports) {
      const key = `${gatewayId}/${address}`;
      const last = this.#lastSeq.get(key);
      if (last !== undefined && value.seq <= last) {
        this.#stats.stale += 1;
        continue;
      }
      this.#lastSeq.set(key, value.seq);
      latest.set(address, { row: toRow(gatewayId, value), count: (latest.get(address)?.count ?? 0) + 1 });
    }
    if (latest.size === 0) return;
    try {
      const written = new Set(await upsertDeviceReports(this.deps.db, [...latest.values()].map((l) => l.row)));
      for (const [address, { count }] of latest) this.#stats[written.has(address) ? 'deviceStates' : 'rejected'] += count;
    } catch (e) {
      for (const { count } of latest.values()) this.#stats.failed += count;
      this.deps.logger.error({ err: e, count: latest.size }, 'ingest: device report batch failed');
    }
  }

  private forgetSeq(gatewayId: string): void {
    const prefix = `${gatewayId}/`;
    for (const key of this.#lastSeq.keys()) if (key.startsWith(prefix)) this.#lastSeq.delete(key);
  }
}

function toRow(gatewayId: string, r: DeviceReport): ReportRow {
  return {
    gateway_id: gatewayId,
    address: r.device.address,
    model: r.device.model,
    name: r.device.name ?? null,
    firmware_version: r.device.firmwareVersion ?? null,
    hardware_id: r.device.hardwareId ?? null,
    serial: r.device.serial ?? null,
    online: r.online,
    on: r.state?.on ?? null,
    battery: r.battery ?? null,
    rssi: r.rssi ?? null,
    seen_at: r.ts,
  };
}
