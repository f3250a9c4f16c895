/**
 * The parent side of the PGlite thread (thread.mjs): a client with the part of PGlite's
 * interface drizzle's pglite driver uses (`query`, `transaction`) plus `listen` and `close`,
 * each call a message to the thread. Statements run there, off this event loop.
 *
 * What crosses the thread boundary is structured-cloned, so two things are rebuilt on this side:
 * PostgreSQL errors (their code, constraint, detail… become properties of an Error again) and
 * caller-supplied type parsers (functions cannot cross; the thread returns those columns as text
 * and they are parsed here).
 *
 * The client that started the thread owns the database (LISTEN, close). It can `attach` a port for
 * another thread of this process, which opens a client of its own on it with `overPort`: queries and
 * transactions only, served by the same PGlite.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

export interface QueryOptions {
  rowMode?: 'array' | 'object';
  parsers?: Record<number, (text: string, typeId: number) => unknown>;
}

export interface QueryResult<T = Record<string, unknown>> {
  rows: T[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

/** What a transaction hands its function: queries that run inside it. */
export interface TransactionHandle {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
}

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: Record<string, unknown> & { message: string } };
type Event =
  | Reply
  | { notify: string; payload: string }
  | { ready: true }
  | { failed: Record<string, unknown> & { message: string } };

/** The database was closed, or its thread ended; every call from then on fails with this. */
export class DatabaseClosedError extends Error {
  readonly code = 'DATABASE_CLOSED';
  constructor(why: string) {
    super(why);
    this.name = 'DatabaseClosedError';
  }
}

export class PgliteThreadClient implements TransactionHandle {
  /** The thread itself (owner) or a port attached to it. */
  readonly #channel: Worker | MessagePort;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly #listeners = new Map<string, Set<(payload: string) => void>>();
  #nextId = 1;
  #closed: Error | undefined;

  private constructor(channel: Worker | MessagePort) {
    this.#channel = channel;
  }

  /** A client in another thread, on a port the owner handed out with `attach`. */
  static overPort(port: MessagePort): PgliteThreadClient {
    const client = new PgliteThreadClient(port);
    port.on('message', (event: Event) => client.#receive(event));
    // The owner closed the database, or its thread ended.
    port.on('close', () => client.#fail(new DatabaseClosedError('database thread is gone')));
    port.unref();
    return client;
  }

  /** Starts the thread and resolves once PGlite is open there (or rejects with why it is not). */
  static async start(options: { dataDir?: string | undefined; setup?: string[] }): Promise<PgliteThreadClient> {
    const worker = new Worker(new URL('./thread.mjs', import.meta.url), { workerData: options });
    const client = new PgliteThreadClient(worker);
    await new Promise<void>((resolve, reject) => {
      const early = (e: Error) => reject(e);
      worker.once('error', early);
      worker.on('message', (event: Event) => {
        if ('ready' in event) {
          worker.off('error', early);
          resolve();
        } else if ('failed' in event) {
          reject(toError(event.failed));
          void worker.terminate();
        } else client.#receive(event);
      });
    });
    worker.on('error', (e) => client.#fail(e));
    worker.on('exit', (code) => client.#fail(new DatabaseClosedError(`database thread exited (${code})`)));
    worker.unref();
    return client;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  query<T = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    options: QueryOptions = {},
    tx?: number,
  ): Promise<QueryResult<T>> {
    const parsers = options.parsers ?? {};
    const textOids = Object.keys(parsers).map(Number);
    return this.#call({ op: 'query', sql, params, rowMode: options.rowMode ?? 'object', textOids, tx }).then((raw) => {
      const result = raw as QueryResult<T>;
      if (textOids.length > 0) parseColumns(result, parsers, options.rowMode ?? 'object');
      return result;
    });
  }

  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (drizzle's
   * `tx.rollback()` throws too).
   */
  async transaction<T>(fn: (tx: TransactionHandle) => Promise<T>): Promise<T> {
    const id = (await this.#call({ op: 'begin' })) as number;
    let result: T;
    try {
      result = await fn({ query: (sql, params, options) => this.query(sql, params, options, id) });
    } catch (e) {
      await this.#call({ op: 'end', tx: id, commit: false }).catch(() => {});
      throw e;
    }
    await this.#call({ op: 'end', tx: id, commit: true });
    return result;
  }

  /** LISTEN; resolves with the function that stops this listener. */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
      try {
        await this.#call({ op: 'listen', channel });
      } catch (e) {
        // Not listening after all: the next listen on this channel asks the thread again.
        this.#listeners.delete(channel);
        throw e;
      }
    }
    set.add(onPayload);
    return async () => {
      const current = this.#listeners.get(channel);
      if (!current?.delete(onPayload) || current.size > 0) return;
      this.#listeners.delete(channel);
      if (!this.closed) await this.#call({ op: 'unlisten', channel });
    };
  }

  /** A port for `overPort` in another thread of this process. Only the owner attaches. */
  async attach(): Promise<MessagePort> {
    const { port1, port2 } = new MessageChannel();
    await this.#call({ op: 'attach', port: port2 }, [port2]);
    return port1;
  }

  /**
   * The owner closes PGlite (flushing its files) and ends the thread; a client over a port only lets
   * go of its port. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const channel = this.#channel;
    if (!(channel instanceof Worker)) {
      this.#fail(new DatabaseClosedError('database is closed'));
      channel.close();
      return;
    }
    try {
      await this.#call({ op: 'close' });
    } finally {
      this.#fail(new DatabaseClosedError('database is closed'));
      await channel.terminate();
    }
  }

  #call(message: Record<string, unknown>, transfer: MessagePort[] = []): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    // A statement in flight keeps the process alive, an idle or listening database does not.
    if (this.#pending.size === 0) this.#channel.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#channel.postMessage({ ...message, id }, transfer);
    });
  }

  #receive(event: Event): void {
    if ('notify' in event) {
      for (const listener of this.#listeners.get(event.notify) ?? []) listener(event.payload);
      return;
    }
    if (!('id' in event)) return;
    const waiter = this.#pending.get(event.id);
    if (!waiter) return;
    this.#pending.delete(event.id);
    if (this.#pending.size === 0) this.#channel.unref();
    if (event.ok) waiter.resolve(event.result);
    else waiter.reject(toError(event.error));
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
    this.#listeners.clear();
  }
}

function parseColumns<T>(
  result: QueryResult<T>,
  parsers: NonNullable<QueryOptions['parsers']>,
  rowMode: 'array' | 'object',
): void {
  result.fields.forEach((field, index) => {
    const parse = parsers[field.dataTypeID];
    if (!parse) return;
    const key = rowMode === 'array' ? index : field.name;
    for (const row of result.rows as Record<string | number, unknown>[]) {
      const text = row[key];
      if (typeof text === 'string') row[key] = parse(text, field.dataTypeID);
    }
  });
}

/** A PostgreSQL error from the thread, with its SQLSTATE `code` and other fields as properties again. */
function toError(fields: Record<string, unknown> & { message: string }): Error {
  const error = new Error(fields.message);
  const { message: _message, name, ...rest } = fields;
  if (typeof name === 'string') error.name = name;
  return Object.assign(error, rest);
}
