/**
 * Cloud events (state changes and command outcomes) shared by every cloud instance on one database
 * through PostgreSQL LISTEN/NOTIFY: an instance that applies a report or completes a command
 * notifies, and every instance (itself included) hears it. Waiters for `?wait=true` and the live
 * stream of the app both feed from here, so a command created on one instance and completed on
 * another still answers its waiting request.
 */
import { EventEmitter } from 'node:events';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';

export const EVENTS_CHANNEL = 'sf_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; batches are cut well below. */
const MAX_NOTIFY_BYTES = 7000;

export interface StateEvent {
  type: 'state';
  deviceId: string;
  homeId: string;
  online: boolean;
  state: { on: boolean } | null;
  battery: number | null;
  rssi: number | null;
  version: number;
}

export interface CommandEvent {
  type: 'command';
  commandId: string;
  deviceId: string;
  homeId: string;
  status: string;
  reason: string | null;
}

export type CloudEvent = StateEvent | CommandEvent;

export class EventBus {
  readonly #emitter = new EventEmitter();
  #stop: (() => Promise<void>) | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {
    // One listener per open live stream and per waiting request; bounded by those, not a leak.
    this.#emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.#stop = await this.database.listen(EVENTS_CHANNEL, (payload) => {
      let events: CloudEvent[];
      try {
        events = JSON.parse(payload) as CloudEvent[];
      } catch {
        return;
      }
      for (const event of events) this.#emitter.emit('event', event);
    });
  }

  async stop(): Promise<void> {
    const stop = this.#stop;
    this.#stop = undefined;
    await stop?.();
  }

  /** Notifies every instance; a failure is logged (events are hints, the database is the truth). */
  async publish(events: readonly CloudEvent[]): Promise<void> {
    for (const chunk of chunks(events)) {
      try {
        await this.database.db.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(chunk)})`);
      } catch (e) {
        this.logger.warn({ err: e }, 'event notify failed');
      }
    }
  }

  subscribe(listener: (event: CloudEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.removeListener('event', listener);
  }
}

function* chunks(events: readonly CloudEvent[]): Generator<CloudEvent[]> {
  let current: CloudEvent[] = [];
  let size = 2;
  for (const event of events) {
    const bytes = Buffer.byteLength(JSON.stringify(event)) + 1;
    if (current.length > 0 && size + bytes > MAX_NOTIFY_BYTES) {
      yield current;
      current = [];
      size = 2;
    }
    current.push(event);
    size += bytes;
  }
  if (current.length > 0) yield current;
}
