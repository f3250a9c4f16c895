/**
 * The main thread's side of the ingest worker (worker.ts): starts it, answers it, and starts
 * it again when it dies. The worker holds its own MQTT subscription and database handle; this side
 * only sees its counts, its logs, the statuses and command results it hands over in arrival order
 * (answered with `applied` once done, so the worker's order holds), and the health snapshots.
 *
 * The worker runs the module its entry names (worker-entry.ts: bundled from the sources at run time,
 * or prebuilt); loading it still takes a few hundred milliseconds, so the cloud boots it first and
 * starts it once database and broker are up.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import type { GatewayHealth } from '@switchfleet/protocol';
import type { ClientLogger } from '../broker/client.ts';
import type { SharedDatabase } from '../db/database.ts';
import type { AppliedMessage } from './messages.ts';
import type { IngestStats } from './pipeline.ts';
import type { IngestWorkerEntry } from './worker-entry.ts';

export interface WorkerStart {
  mqtt: {
    url: string;
    username?: string | undefined;
    password?: string | undefined;
    filters: string[];
    /** Client id of the persistent session to keep at the broker (client.ts); unset for a clean one. */
    sessionId?: string | undefined;
  };
  database: SharedDatabase;
  /** How long a batch is written again while the database is unavailable (pipeline.ts). */
  retryForMs?: number | undefined;
  /** How many switches a gateway may have (sql.ts). */
  maxDevicesPerGateway?: number | undefined;
}

export type ToWorker =
  | { type: 'start'; config: WorkerStart }
  | { type: 'applied'; id: number }
  | { type: 'idle'; id: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'booted' }
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'counts'; counts: [kind: string, outcome: keyof IngestStats, n: number][] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string }
  | { type: 'apply'; id: number; message: AppliedMessage }
  | { type: 'health'; gatewayId: string; value: GatewayHealth }
  | { type: 'connected'; up: boolean }
  | { type: 'idle'; id: number }
  | { type: 'stopped'; error?: string };

/** What the main thread does with the worker's reports (its logs go to `logger`). */
export interface IngestHost {
  counts(counts: [kind: string, outcome: keyof IngestStats, n: number][]): void;
  apply(message: AppliedMessage): Promise<void>;
  health(gatewayId: string, value: GatewayHealth): void;
}

export interface IngestThreadOptions {
  host: IngestHost;
  /** The worker's module (worker-entry.ts), asked for once: restarted workers run the same one. */
  entry: IngestWorkerEntry;
  logger: ClientLogger & { error(fields: object, message: string): void };
  /** Pause before a worker that died is started again; default 1000 ms. */
  restartMs?: number;
}

export class IngestWorkerError extends Error {
  readonly code = 'INGEST_WORKER';
  constructor(message: string) {
    super(message);
    this.name = 'IngestWorkerError';
  }
}

/** One booted worker thread, up to its end. */
class Booted {
  readonly worker: Worker;
  readonly booted: Promise<void>;
  readonly ended: Promise<void>;
  readonly #waiting = new Map<string, { resolve(message: FromWorker): void; reject(e: Error): void }>();
  #nextIdle = 1;
  /** Why the worker is gone, once it is. */
  #gone: Error | undefined;
  up = false;

  constructor(
    private readonly options: IngestThreadOptions,
    readonly entry: URL,
  ) {
    this.worker = new Worker(entry);
    let exited!: () => void;
    this.ended = new Promise((resolve) => (exited = resolve));
    this.booted = this.#expect('booted').then(() => undefined);
    // A rejection nobody awaits yet (the cloud awaits `booted` later) is not an unhandled one.
    this.booted.catch(() => {});
    this.worker.on('message', (message: FromWorker) => this.#receive(message));
    this.worker.on('error', (e) => this.#end(new IngestWorkerError(`ingest worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => {
      this.#end(new IngestWorkerError(`ingest worker exited (${code})`));
      exited();
    });
  }

  async start(config: WorkerStart): Promise<void> {
    await this.booted;
    const ready = this.#expect('ready');
    const transfer = config.database.kind === 'pglite' ? [config.database.port] : [];
    this.#post({ type: 'start', config }, transfer);
    await ready;
    this.up = true;
  }

  /** Resolves once the worker has applied what it received; at once when it is gone (nothing is left to wait for). */
  async idle(): Promise<void> {
    if (this.#gone) return;
    const id = this.#nextIdle++;
    const reply = this.#expect(`idle:${id}`);
    this.#post({ type: 'idle', id });
    await reply.catch(() => {});
  }

  async stop(): Promise<void> {
    if (this.#gone) return;
    const stopped = this.#expect('stopped');
    this.#post({ type: 'stop' });
    try {
      const reply = (await stopped) as Extract<FromWorker, { type: 'stopped' }>;
      if (reply.error) this.options.logger.warn({ err: reply.error }, 'ingest worker stopped with an error');
    } finally {
      await this.worker.terminate();
    }
  }

  #post(message: ToWorker, transfer: MessagePort[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /** The next reply of a kind; 'failed' and the worker's end reject it. */
  #expect(key: string): Promise<FromWorker> {
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise((resolve, reject) => this.#waiting.set(key, { resolve, reject }));
  }

  #settle(key: string, message: FromWorker): void {
    const waiter = this.#waiting.get(key);
    this.#waiting.delete(key);
    waiter?.resolve(message);
  }

  #receive(message: FromWorker): void {
    const { host } = this.options;
    switch (message.type) {
      case 'counts':
        return host.counts(message.counts);
      case 'log':
        return this.options.logger[message.level](message.fields, message.message);
      case 'apply':
        void host.apply(message.message).finally(() => this.#post({ type: 'applied', id: message.id }));
        return;
      case 'health':
        return host.health(message.gatewayId, message.value);
      case 'connected':
        this.up = message.up;
        return;
      case 'failed': {
        const error = new IngestWorkerError(`ingest worker did not start: ${message.message}`);
        for (const waiter of this.#waiting.values()) waiter.reject(error);
        this.#waiting.clear();
        return;
      }
      case 'idle':
        return this.#settle(`idle:${message.id}`, message);
      default:
        return this.#settle(message.type, message);
    }
  }

  #end(error: Error): void {
    this.#gone ??= error;
    this.up = false;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}

/**
 * The ingest worker as a lasting service: `boot` at once, `start` when the cloud is ready, and from
 * then on a worker that dies is logged and started again after `restartMs`.
 */
export class IngestThread {
  /** The running worker, once its module is at hand. */
  #current: Booted | undefined;
  readonly #booting: Promise<Booted>;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #restart: NodeJS.Timeout | undefined;
  /** The worker's settings, made anew for every start (a PGlite port serves one worker). */
  #config: (() => Promise<WorkerStart>) | undefined;

  private constructor(private readonly options: IngestThreadOptions) {
    this.#booting = options.entry().then((entry) => (this.#current = new Booted(options, entry)));
    // Awaited by start or stop; an entry that fails is reported there, not as an unhandled rejection.
    this.#booting.catch(() => {});
  }

  static boot(options: IngestThreadOptions): IngestThread {
    return new IngestThread(options);
  }

  /** Resolves once the worker is subscribed; rejects (and ends the worker) when it cannot start. */
  async start(config: () => Promise<WorkerStart>): Promise<void> {
    this.#config = config;
    await this.#startCurrent(await this.#booting);
  }

  async #startCurrent(booted: Booted): Promise<void> {
    try {
      await booted.start(await this.#config!());
    } catch (e) {
      await booted.worker.terminate();
      throw e;
    }
    this.#watch(booted);
  }

  /** True while the worker runs and its MQTT connection is up. */
  get up(): boolean {
    return this.#current?.up ?? false;
  }

  idle(): Promise<void> {
    return this.#current?.idle() ?? Promise.resolve();
  }

  /**
   * Ends the running worker at once, as a crash would: what it had queued and not yet written was
   * not acknowledged either, so the broker sends it again to a kept session (lost otherwise, as when
   * the process dies); a new worker starts after `restartMs`.
   */
  async interrupt(): Promise<void> {
    await this.#current?.worker.terminate();
  }

  /** Stops the subscription, lets the worker write what it queued, and ends it. Idempotent. */
  stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restart);
    this.#stopped ??= this.#booting.then(
      (booted) => (this.#current ?? booted).stop(),
      () => undefined,
    );
    return this.#stopped;
  }

  #watch(booted: Booted): void {
    void booted.ended.then(() => {
      if (this.#stopping || booted !== this.#current) return;
      this.options.logger.error({ restartMs: this.options.restartMs ?? 1000 }, 'ingest worker ended; starting another');
      this.#restart = setTimeout(() => {
        if (this.#stopping) return;
        const next = new Booted(this.options, booted.entry);
        this.#current = next;
        this.#startCurrent(next).catch((e: unknown) => {
          this.options.logger.error(
            { err: e instanceof Error ? e.message : String(e) },
            'ingest worker did not start again',
          );
          this.#watch(next);
        });
      }, this.options.restartMs ?? 1000);
    });
  }
}
