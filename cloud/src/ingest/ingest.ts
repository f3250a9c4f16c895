/**
 * Gateway → cloud traffic. The pipeline (pipeline.ts: decode, batch, write) runs in the ingest
 * worker thread (thread.ts), off the event loop of the broker, commands and API; this service
 * is its main-thread side: it keeps the counts and the metrics, the latest health per gateway, and
 * applies what needs the cloud's services, gateway statuses and command results, in the order the
 * worker received them.
 */
import { topicMap, type GatewayHealth } from '@switchfleet/protocol';
import type { Logger } from 'pino';
import type { CommandService } from '../commands/commands.ts';
import type { GatewayService } from '../devices/gateways.ts';
import type { UpdateDomain } from '../updates/index.ts';
import { forgetGatewaySeq } from './sql.ts';
import { IngestThread, type WorkerStart } from './thread.ts';
import type { AppliedMessage } from './messages.ts';
import type { IngestStats } from './pipeline.ts';
import type { IngestWorkerEntry } from './worker-entry.ts';
import type { Db } from '../db/database.ts';
import type { CloudMetrics } from '../metrics.ts';

export type { IngestStats } from './pipeline.ts';

/** Stats that count something other than a message's outcome, so they stay out of sf_ingest_messages_total. */
const NOT_OUTCOMES: ReadonlySet<keyof IngestStats> = new Set(['received', 'reportBatches']);

/** The outcome label values of sf_ingest_messages_total: every stat but NOT_OUTCOMES. */
export const INGEST_OUTCOMES = [
  'deviceStates',
  'commandResults',
  'updateReports',
  'gatewayStatuses',
  'gatewayHealth',
  'duplicates',
  'stale',
  'malformed',
  'rejected',
  'overCap',
  'failed',
] as const satisfies readonly (keyof IngestStats)[];
// A stat added to IngestStats must be named an outcome or a non-outcome: this fails to compile otherwise.
type Unlabelled = Exclude<keyof IngestStats, (typeof INGEST_OUTCOMES)[number] | 'received' | 'reportBatches'>;
const everyStatLabelled: [Unlabelled] extends [never] ? true : never = true;
void everyStatLabelled;

/** The topic filters ingest consumes: every "up" entry of the topic map. */
export const INGEST_FILTERS: readonly string[] = Object.values(topicMap)
  .filter((t) => t.direction === 'up')
  .map((t) => t.filter);

export interface IngestDeps {
  db: Db;
  gateways: GatewayService;
  commands: CommandService;
  updates: Pick<UpdateDomain, 'updates' | 'dispatcher'>;
  metrics?: CloudMetrics;
}

export class IngestService {
  readonly #stats: IngestStats = {
    received: 0,
    deviceStates: 0,
    commandResults: 0,
    updateReports: 0,
    gatewayStatuses: 0,
    gatewayHealth: 0,
    malformed: 0,
    rejected: 0,
    overCap: 0,
    stale: 0,
    duplicates: 0,
    failed: 0,
    reportBatches: 0,
  };
  readonly #health = new Map<string, GatewayHealth>();
  readonly #thread: IngestThread;
  #deps: IngestDeps | undefined;

  /**
   * Boots the worker at once (it takes most of a second); `start` hands it its settings once the
   * database and the broker are up. `entry` names the worker's module (worker-entry.ts).
   */
  constructor(
    private readonly logger: Logger,
    entry: IngestWorkerEntry,
  ) {
    this.#thread = IngestThread.boot({
      logger,
      entry,
      host: {
        counts: (counts) => {
          for (const [kind, outcome, n] of counts) this.count(kind, outcome, n);
        },
        apply: (message) => this.apply(message),
        health: (gatewayId, value) => this.#health.set(gatewayId, value),
      },
    });
  }

  /**
   * Starts the worker: it subscribes with `config().mqtt` and writes through `config().database`
   * (made anew for each worker, the first and any restarted one).
   */
  async start(deps: IngestDeps, config: () => Promise<WorkerStart>): Promise<void> {
    this.#deps = deps;
    await this.#thread.start(config);
  }

  /** True while the worker runs and its MQTT connection is up. */
  get up(): boolean {
    return this.#thread.up;
  }

  /** The last health snapshot a gateway published to this instance, if any. */
  latestHealth(gatewayId: string): GatewayHealth | undefined {
    return this.#health.get(gatewayId);
  }

  stats(): IngestStats {
    return { ...this.#stats };
  }

  /** Resolves once every message the worker received so far has been applied (or dropped), with its counts here. */
  idle(): Promise<void> {
    return this.#thread.idle();
  }

  /** Ends the worker abruptly, as a crash would; another one starts a second later. */
  interrupt(): Promise<void> {
    return this.#thread.interrupt();
  }

  /** Stops the subscription, writes what was queued, ends the worker. */
  stop(): Promise<void> {
    return this.#thread.stop();
  }

  private count(kind: string, outcome: keyof IngestStats, n = 1): void {
    if (n <= 0) return;
    this.#stats[outcome] += n;
    if (!NOT_OUTCOMES.has(outcome)) this.#deps?.metrics?.ingestMessages.inc({ kind, outcome }, n);
  }

  private async apply(message: AppliedMessage): Promise<void> {
    const deps = this.#deps!;
    try {
      if (message.name === 'gatewayStatus') {
        const { online, version } = message.value;
        const known = await deps.gateways.recordStatus(message.gatewayId, online, new Date(), version);
        this.count(message.name, known ? 'gatewayStatuses' : 'rejected');
        if (known && online) {
          // A gateway that (re)announces itself may have restarted its seq counter; it is also the
          // moment to send it the shadow delta and the commands that waited for it.
          await forgetGatewaySeq(deps.db, message.gatewayId);
          await deps.commands.reconcileGateway(message.gatewayId);
          await deps.updates.dispatcher.dispatch({ gatewayId: message.gatewayId });
        } else if (known) {
          await deps.updates.dispatcher.forget({ gatewayId: message.gatewayId });
        }
      } else if (message.name === 'updateProgress' || message.name === 'updateResult') {
        // Like command results: applied here, in the order the worker received them, by the gateway's own switch.
        const { updates } = deps.updates;
        const done =
          message.name === 'updateProgress'
            ? await updates.applyProgress(message.gatewayId, message.address, message.value)
            : await updates.applyResult(message.gatewayId, message.address, message.value);
        this.count(message.name, done ? 'updateReports' : 'rejected');
      } else {
        const done = await deps.commands.complete(message.gatewayId, message.address, message.value);
        this.count(message.name, done ? 'commandResults' : 'rejected');
      }
    } catch (e) {
      this.count(message.name, 'failed');
      this.logger.error({ err: e, gatewayId: message.gatewayId, name: message.name }, 'ingest: write failed');
    }
  }
}
