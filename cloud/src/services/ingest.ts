/**
 * Gateway → cloud traffic. Every message on an "up" topic is decoded against the topic map; a bad
 * one is logged, counted and dropped, and the messages around it go on. Decoded messages are applied
 * in arrival order by one drain loop; runs of consecutive device reports are written by ONE batched
 * statement (ingest-sql.ts), never an INSERT per message. Redelivered reports (same gateway, seq and
 * time) are stored once and reordered ones never overwrite newer state; both are decided in the
 * database, so they hold across restarts and across cloud instances.
 */
import { decodePayload, parseTopic, topicMap, type CommandResult, type DeviceReport, type GatewayHealth, type GatewayStatus } from '@switchfleet/protocol';
import type { Logger } from 'pino';
import type { CommandService } from './commands.ts';
import type { GatewayService } from './gateways.ts';
import { forgetGatewaySeq, writeDeviceReports, type ReportRow } from './ingest-sql.ts';
import type { Db } from '../db/database.ts';
import type { CloudMetrics } from '../metrics.ts';

/** The topic filters ingest consumes: every "up" entry of the topic map. */
export const INGEST_FILTERS: readonly string[] = Object.values(topicMap)
  .filter((t) => t.direction === 'up')
  .map((t) => t.filter);

/**
 * How long a drain step under load keeps gathering arriving messages. A statement costs a few
 * milliseconds of database time whatever its size, plus a little per report (PGlite: ~45 µs per
 * report in batches of 200, ~25 in batches of 1000), so under sustained load bigger batches leave more
 * CPU to everything else. A step stops gathering once no message arrived for QUIET_MS, so the end of
 * a burst is written at once; a lone report (an app's toggle) arriving to an idle ingest is not held.
 */
const LINGER_MS = 30;
const QUIET_MS = 2;

export interface IngestStats {
  received: number;
  deviceStates: number;
  commandResults: number;
  gatewayStatuses: number;
  /** Health snapshots (not stored; the latest per gateway is kept in memory, see latestHealth). */
  gatewayHealth: number;
  /** Not JSON, too large, or not matching the topic's schema. */
  malformed: number;
  /** Well-formed but not applicable: unknown topic or gateway, mismatched address, unknown command. */
  rejected: number;
  /** Reports stored in history but older than the state already applied for that switch. */
  stale: number;
  /** Reports already stored (the gateway's outbox delivered them again). */
  duplicates: number;
  /** Dropped because the database write failed. */
  failed: number;
  /** Batched device-report writes (one statement each, see ingest-sql.ts), whatever their outcome. */
  reportBatches: number;
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
  metrics?: CloudMetrics;
  /** Most messages applied per drain step (1000: a statement of that many reports runs in tens of milliseconds). */
  batchMax?: number;
}

export class IngestService {
  readonly #stats: IngestStats = {
    received: 0,
    deviceStates: 0,
    commandResults: 0,
    gatewayStatuses: 0,
    gatewayHealth: 0,
    malformed: 0,
    rejected: 0,
    stale: 0,
    duplicates: 0,
    failed: 0,
    reportBatches: 0,
  };
  readonly #queue: Message[] = [];
  readonly #health = new Map<string, GatewayHealth>();
  #draining: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly deps: IngestDeps) {}

  /** The last health snapshot a gateway published to this instance, if any. */
  latestHealth(gatewayId: string): GatewayHealth | undefined {
    return this.#health.get(gatewayId);
  }

  stats(): IngestStats {
    return { ...this.#stats };
  }

  private count(kind: string, outcome: keyof IngestStats, n = 1): void {
    if (n <= 0) return;
    this.#stats[outcome] += n;
    this.deps.metrics?.ingestMessages.inc({ kind, outcome }, n);
  }

  /** Entry point for every MQTT message; never throws. */
  handle(topic: string, payload: Buffer): void {
    if (this.#stopped) return;
    this.#stats.received += 1;
    const parsed = parseTopic(topic);
    if (!parsed || topicMap[parsed.name].direction !== 'up') {
      this.count('unknown', 'rejected');
      this.deps.logger.warn({ topic }, 'ingest: topic not in the up map');
      return;
    }
    const decoded = decodePayload(parsed.name, payload);
    if (!decoded.ok) {
      this.count(parsed.name, 'malformed');
      this.deps.logger.warn({ topic, code: decoded.error.code, field: decoded.error.field, err: decoded.error.message }, 'ingest: malformed payload dropped');
      return;
    }
    if (parsed.name === 'gatewayHealth') {
      this.count(parsed.name, 'gatewayHealth');
      this.#health.set(parsed.gatewayId, decoded.value as GatewayHealth);
      return;
    }
    const message = this.toMessage(parsed.name, parsed.gatewayId, parsed.address, decoded.value);
    if (!message) {
      this.count(parsed.name, 'rejected');
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
    const max = this.deps.batchMax ?? 1000;
    // Every step after the first found messages waiting when the one before it ended: load.
    for (let loaded = false; this.#queue.length > 0; loaded = true) {
      await this.gather(max, loaded);
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

  /**
   * Lets the messages already on their way be parsed first: event-loop turns while the queue grows.
   * Under load (messages were waiting when the previous step ended) turns go on until QUIET_MS pass
   * without one, up to LINGER_MS; otherwise until a turn brings nothing.
   */
  private async gather(max: number, loaded: boolean): Promise<void> {
    const start = performance.now();
    const linger = start + LINGER_MS;
    let seen = -1;
    let grew = start;
    while (this.#queue.length < max) {
      const now = performance.now();
      if (this.#queue.length > seen) {
        seen = this.#queue.length;
        grew = now;
      } else if (!loaded || now - grew >= QUIET_MS) {
        break;
      }
      if (now >= linger) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async applyOne(message: Exclude<Message, { name: 'deviceState' }>): Promise<void> {
    try {
      if (message.name === 'gatewayStatus') {
        const { online } = message.value;
        const known = await this.deps.gateways.recordStatus(message.gatewayId, online, new Date());
        this.count(message.name, known ? 'gatewayStatuses' : 'rejected');
        if (known && online) {
          // A gateway that (re)announces itself may have restarted its seq counter; it is also the
          // moment to send it the shadow delta and the commands that waited for it.
          await forgetGatewaySeq(this.deps.db, message.gatewayId);
          await this.deps.commands.reconcileGateway(message.gatewayId);
        }
      } else {
        const done = await this.deps.commands.complete(message.gatewayId, message.address, message.value);
        this.count(message.name, done ? 'commandResults' : 'rejected');
      }
    } catch (e) {
      this.count(message.name, 'failed');
      this.deps.logger.error({ err: e, gatewayId: message.gatewayId, name: message.name }, 'ingest: write failed');
    }
  }

  private async applyReports(reports: Extract<Message, { name: 'deviceState' }>[]): Promise<void> {
    if (reports.length === 0) return;
    const rows = reports.map(({ gatewayId, value }) => toRow(gatewayId, value));
    this.#stats.reportBatches += 1;
    try {
      const outcome = await writeDeviceReports(this.deps.db, rows);
      const accepted = rows.filter((r) => outcome.registered.has(r.address)).length;
      const stored = [...outcome.stored.values()].reduce((a, b) => a + b, 0);
      this.count('deviceState', 'rejected', rows.length - accepted);
      this.count('deviceState', 'duplicates', accepted - stored);
      this.count('deviceState', 'deviceStates', stored);
      // A switch with new reports whose shadow did not move: its newest report was older than the stored state.
      // (The statement itself announced the shadows that moved on the event bus.)
      this.count('deviceState', 'stale', [...outcome.stored.keys()].filter((a) => !outcome.moved.has(a)).length);
    } catch (e) {
      this.count('deviceState', 'failed', rows.length);
      this.deps.logger.error({ err: e, count: rows.length }, 'ingest: device report batch failed');
    }
  }
}

function toRow(gatewayId: string, r: DeviceReport): ReportRow {
  return {
    gateway_id: gatewayId,
    seq: r.seq,
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
