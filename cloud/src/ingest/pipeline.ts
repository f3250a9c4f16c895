/**
 * The ingest pipeline: what happens to every message on an "up" topic, wherever it runs (the ingest
 * worker thread, see thread.ts). Each message is decoded against the topic map; a bad one is
 * counted, logged and dropped, and the messages around it go on. Decoded messages are applied in
 * arrival order by one drain loop; runs of consecutive device reports are written by ONE batched
 * statement (sql.ts), never an INSERT per message. Redelivered reports (same gateway, seq and
 * time) are stored once and reordered ones never overwrite newer state; both are decided in the
 * database, so they hold across restarts and across cloud instances. Gateway statuses and command
 * results are handed to `sink.apply` in their place in that order, and the loop waits for them.
 * A message handed in with a ticket is announced `handled` once its outcome is settled (stored,
 * applied, or counted as dropped), so that its delivery is acknowledged only then (ordered-acks.ts).
 */
import { decodePayload, parseTopic, topicMap, type GatewayHealth } from '@switchfleet/protocol';
import type { Db } from '../db/database.ts';
import { isTransientDbError } from '../db/transient-errors.ts';
import { NO_TICKET, toMessage, type AppliedMessage, type IngestStats, type Message } from './messages.ts';
import { writeIsolating } from './retry.ts';
import type { ReportRow } from './report-row.ts';

/**
 * How long a drain step under load keeps gathering arriving messages. A statement has a fixed cost
 * whatever its size plus a small cost per report, so under sustained load bigger batches leave more
 * CPU to everything else (the ingest bench, `npm run bench -- ingest`, is where the two settings below
 * were chosen and where their effect shows as `ingest.vs_broker`). A step stops gathering once no message arrived for QUIET_MS, so the end of a burst is written soon after
 * it; a lone report (an app's toggle) arriving to an idle ingest is not held, and neither is a command
 * result or a gateway status (see `handle`).
 */
const LINGER_MS = 100;
const QUIET_MS = 10;
/** Most messages applied per drain step: bounds one statement's time, so a step never holds the loop long. */
const BATCH_MAX = 2000;
/**
 * How far ahead of this cloud's clock a report may be dated. A report further ahead comes from a
 * gateway clock that is wrong (a report cannot be observed in the future), and kept, it would sit
 * at the end of the switch's history for years; it is counted malformed and dropped. Within the
 * allowance it is stored as dated, and the shadow orders it by its time clamped to the cloud's
 * (sql.ts), so it never outranks a report that comes after it.
 */
export const MAX_AHEAD_MS = 5 * 60_000;

export type { IngestStats } from './messages.ts';

/** Where the pipeline's outcomes go. */
export interface IngestSink {
  /** `kind` is the topic map's name ("unknown" for a topic not in it). */
  count(kind: string, outcome: keyof IngestStats, n: number): void;
  log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string): void;
  /** Applies (and counts) a status or a command result; resolves when done, never rejects. */
  apply(message: AppliedMessage): Promise<void>;
  /** The latest health snapshot of a gateway (kept, not stored). */
  health(gatewayId: string, value: GatewayHealth): void;
  /** A batch's outcomes are all counted: the moment to pass counts on. */
  settled(): void;
  /** The message handed in with this ticket is handled: its outcome is settled and counted. */
  handled(ticket: number): void;
  /**
   * The database stayed unavailable past the retry budget and the pipeline left what it had not
   * written to the broker (`leaveToBroker`): it has stopped, and takes no more messages.
   */
  leftToBroker(error: unknown, unwritten: number): void;
}

export interface IngestPipelineOptions {
  /** How long a batch is written again while the database is unavailable; default 60 s (5 s once stopping). */
  retryForMs?: number | undefined;
  /**
   * The broker keeps what this pipeline does not acknowledge (a persistent session): a batch the
   * database cannot take within the budget is then left unacknowledged, with everything after it,
   * for the broker to send again, instead of being counted failed and dropped.
   */
  leaveToBroker?: boolean | undefined;
  /** How long a step under load gathers messages, and the pause in arrivals that ends it early; default LINGER_MS, QUIET_MS. */
  lingerMs?: number | undefined;
  quietMs?: number | undefined;
  /** How many switches a gateway may have; default DEFAULT_GATEWAY_MAX_DEVICES (config.ts). */
  maxDevicesPerGateway?: number | undefined;
}

/** Thrown through the drain loop when a batch is left to the broker. */
class LeftToBroker extends Error {
  constructor(
    readonly reason: unknown,
    readonly batch: number,
  ) {
    super('left to the broker');
  }
}

export class IngestPipeline {
  readonly #queue: Message[] = [];
  #draining: Promise<void> | undefined;
  #stopped = false;
  /** Set while `gather` waits: ends the wait (the batch is full, or a message must not wait). */
  #full: (() => void) | undefined;
  /** A command result or a gateway status is queued: the next step gathers nothing more. */
  #urgent = false;

  constructor(
    private readonly db: Db,
    private readonly sink: IngestSink,
    private readonly options: IngestPipelineOptions = {},
  ) {}

  /** False once `stop` was called: messages handed in are then dropped, not applied. */
  get accepting(): boolean {
    return !this.#stopped;
  }

  /** Entry point for every MQTT message; never throws. */
  handle(topic: string, payload: Buffer, ticket = NO_TICKET): void {
    if (this.#stopped) return;
    const message = this.decode(topic, payload);
    if (!message) {
      this.handled(ticket);
      return;
    }
    message.ticket = ticket;
    this.#queue.push(message);
    // A full batch is written at once, and so is what waits in front of a command result or a gateway
    // status: someone may be waiting for its outcome (a toggle with ?wait=true).
    if (message.name !== 'deviceState') this.#urgent = true;
    if (this.#queue.length >= BATCH_MAX || this.#urgent) this.#full?.();
    this.kick();
  }

  private handled(ticket: number): void {
    if (ticket !== NO_TICKET) this.sink.handled(ticket);
  }

  /** The message to queue, or null when it was dealt with here (counted and dropped, or health). */
  private decode(topic: string, payload: Buffer): Message | null {
    this.sink.count('any', 'received', 1);
    const parsed = parseTopic(topic);
    if (!parsed || topicMap[parsed.name].direction !== 'up') {
      this.sink.count('unknown', 'rejected', 1);
      this.sink.log('warn', { topic }, 'ingest: topic not in the up map');
      return null;
    }
    const decoded = decodePayload(parsed.name, payload);
    if (!decoded.ok) {
      this.sink.count(parsed.name, 'malformed', 1);
      this.sink.log(
        'warn',
        { topic, code: decoded.error.code, field: decoded.error.field, err: decoded.error.message },
        'ingest: malformed payload dropped',
      );
      return null;
    }
    if (parsed.name === 'gatewayHealth') {
      this.sink.count(parsed.name, 'gatewayHealth', 1);
      this.sink.health(parsed.gatewayId, decoded.value as GatewayHealth);
      return null;
    }
    const message = toMessage(parsed.name, parsed.gatewayId, parsed.address, decoded.value);
    if (!message) {
      this.sink.count(parsed.name, 'rejected', 1);
      this.sink.log('warn', { topic }, 'ingest: payload does not match its topic');
    } else if (message.name === 'deviceState' && Date.parse(message.row.seen_at) > Date.now() + MAX_AHEAD_MS) {
      this.sink.count(parsed.name, 'malformed', 1);
      const fields = { topic, ts: message.row.seen_at };
      this.sink.log('warn', fields, "ingest: report dated ahead of the cloud's clock dropped");
      return null;
    }
    return message;
  }

  /** Starts the drain loop unless it runs; a message queued while it was finishing restarts it. */
  private kick(): void {
    if (this.#draining) return;
    this.#draining = this.drain()
      .catch((e: unknown) => this.leave(e))
      .finally(() => {
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

  private async drain(): Promise<void> {
    // Every step after the first found messages waiting when the one before it ended: load.
    for (let loaded = false; this.#queue.length > 0; loaded = true) {
      await this.gather(loaded);
      const batch = this.#queue.splice(0, BATCH_MAX);
      this.#urgent = this.#queue.some((m) => m.name !== 'deviceState');
      let reports: ReportRow[] = [];
      let first = 0;
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!;
        if (message.name === 'deviceState') {
          reports.push(message.row);
          continue;
        }
        // Keep arrival order: reports received before this message are written before it.
        await this.applyReports(reports);
        this.settle(batch, first, i);
        reports = [];
        const { ticket: _ticket, ...applied } = message;
        await this.sink.apply(applied as AppliedMessage);
        this.handled(message.ticket);
        first = i + 1;
      }
      await this.applyReports(reports);
      this.settle(batch, first, batch.length);
    }
  }

  /**
   * The drain loop gave up on a batch: it and everything queued after it stay unacknowledged (no
   * PUBACK leaves past an unhandled message), so the broker sends them again once this session
   * reconnects. The pipeline takes nothing more; its owner starts a new one.
   */
  private leave(e: unknown): void {
    if (!(e instanceof LeftToBroker)) throw e;
    this.#stopped = true;
    const unwritten = e.batch + this.#queue.length;
    this.#queue.length = 0;
    this.sink.leftToBroker(e.reason, unwritten);
  }

  /** The messages of batch[from, to) are handled. */
  private settle(batch: Message[], from: number, to: number): void {
    for (let i = from; i < to; i++) this.handled(batch[i]!.ticket);
  }

  /**
   * Lets the messages already on their way arrive first. Under load (messages were waiting when the
   * previous step ended) it waits until QUIET_MS pass without a new one, up to LINGER_MS, unless a
   * command result or a status is queued or comes; otherwise for the messages already read from the
   * socket (one event-loop turn). It waits on arrivals and a timer, not by spinning: the thread's CPU
   * is the other threads' too.
   */
  private async gather(loaded: boolean): Promise<void> {
    if (!loaded || this.#urgent) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    const linger = performance.now() + (this.options.lingerMs ?? LINGER_MS);
    const quiet = this.options.quietMs ?? QUIET_MS;
    while (this.#queue.length < BATCH_MAX && !this.#urgent) {
      const left = linger - performance.now();
      if (left <= 0) break;
      const seen = this.#queue.length;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(quiet, left));
        this.#full = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#full = undefined;
      if (this.#queue.length === seen) break;
    }
  }

  private async applyReports(rows: ReportRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.sink.count('deviceState', 'reportBatches', 1);
    try {
      const outcome = await writeIsolating(this.db, rows, {
        retryForMs: this.options.retryForMs,
        stopping: () => this.#stopped,
        log: (level, fields, message) => this.sink.log(level, fields, message),
        maxDevices: this.options.maxDevicesPerGateway,
      });
      const refused = new Set(outcome.refused.map((r) => r.row));
      for (const { row, error } of outcome.refused) {
        const err = error instanceof Error ? error.message : String(error);
        const fields = { gatewayId: row.gateway_id, address: row.address, seq: row.seq, err };
        this.sink.log('warn', fields, 'ingest: report refused by the database, dropped');
      }
      this.sink.count('deviceState', 'malformed', refused.size);
      const kept = refused.size === 0 ? rows : rows.filter((r) => !refused.has(r));
      const accepted = kept.filter((r) => outcome.registered.has(r.address)).length;
      const overCap = kept.filter((r) => outcome.overCap.has(r.address)).length;
      if (overCap > 0) {
        const fields = { count: overCap, addresses: [...outcome.overCap].slice(0, 10) };
        this.sink.log('warn', fields, "ingest: reports of new switches past their gateway's device cap refused");
      }
      const stored = [...outcome.stored.values()].reduce((a, b) => a + b, 0);
      this.sink.count('deviceState', 'overCap', overCap);
      this.sink.count('deviceState', 'rejected', kept.length - accepted - overCap);
      this.sink.count('deviceState', 'duplicates', accepted - stored);
      this.sink.count('deviceState', 'deviceStates', stored);
      // A switch with new reports whose shadow did not move: its newest report was older than the stored state.
      // (The statement itself announced the shadows that moved on the event bus.)
      this.sink.count('deviceState', 'stale', [...outcome.stored.keys()].filter((a) => !outcome.moved.has(a)).length);
    } catch (e) {
      if (this.options.leaveToBroker && isTransientDbError(e)) throw new LeftToBroker(e, rows.length);
      this.sink.count('deviceState', 'failed', rows.length);
      this.sink.log(
        'error',
        { err: e instanceof Error ? e.message : String(e), count: rows.length },
        'ingest: device report batch failed',
      );
    }
    this.sink.settled();
  }
}
