/**
 * Cloud events (state changes and command outcomes) shared by every cloud instance on one database
 * through PostgreSQL LISTEN/NOTIFY: an instance that applies a report or completes a command
 * notifies, and every instance (itself included) hears it. Waiters for `?wait=true` and the live
 * stream of the app both feed from here, so a command created on one instance and completed on
 * another still answers its waiting request.
 */
import { EventEmitter } from 'node:events';
import { sql, type SQL } from 'drizzle-orm';
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

/** A firmware update job of a switch changed (state, phase or bytes). */
export interface UpdateEvent {
  type: 'update';
  jobId: string;
  deviceId: string;
  homeId: string;
  state: string;
  phase: string | null;
  bytes: number | null;
  totalBytes: number | null;
  reason: string | null;
}

/** A rollout changed state, stage or counts; fleet-level, so no household's stream carries it. */
export interface RolloutEvent {
  type: 'rollout';
  rolloutId: string;
  state: string;
  stage: number | null;
  counts: Record<string, number>;
}

export type CloudEvent = StateEvent | CommandEvent | UpdateEvent | RolloutEvent;

/**
 * Who may see a home changed: `userId` joined or left it. Whoever follows that user's homes (a live
 * stream) reads them again.
 */
export interface MembershipChange {
  homeId: string;
  userId: string;
}

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
    this.#stop = await this.database.listen(
      EVENTS_CHANNEL,
      (payload) => {
        let wire: unknown;
        try {
          wire = JSON.parse(payload);
        } catch {
          return;
        }
        if (!Array.isArray(wire)) return;
        for (const item of wire as WireEvent[]) {
          if (Array.isArray(item) || item.type === 'command' || item.type === 'update' || item.type === 'rollout') {
            this.#emitter.emit('event', fromWire(item));
          } else if (item.type === 'session') this.#emitter.emit('session', item.familyId);
          else if (item.type === 'membership') {
            this.#emitter.emit('membership', { homeId: item.homeId, userId: item.userId } satisfies MembershipChange);
          }
        }
      },
      () => {
        this.logger.warn(
          'event bus: listening again after its database session was lost; events sent meanwhile were missed',
        );
        this.#emitter.emit('gap');
      },
    );
  }

  async stop(): Promise<void> {
    const stop = this.#stop;
    this.#stop = undefined;
    await stop?.();
  }

  /** Notifies every instance of these events; a failure is logged (events are hints, the database is the truth). */
  publish(events: readonly CloudEvent[]): Promise<void> {
    return this.#notify([...chunks(events)]);
  }

  /** Tells every instance that a login session ended (logout, or a leaked refresh token). */
  announceSessionEnded(familyId: string): Promise<void> {
    const wire: SessionWire[] = [{ type: 'session', familyId }];
    return this.#notify([JSON.stringify(wire)]);
  }

  /** All payloads in one statement: one round trip, delivered in order when it commits. */
  async #notify(payloads: string[]): Promise<void> {
    if (payloads.length === 0) return;
    try {
      await this.database.db.execute(
        sql`select pg_notify(${EVENTS_CHANNEL}, p) from unnest(${sql.param(payloads)}::text[]) with ordinality as u(p, n) order by n`,
      );
    } catch (e) {
      this.logger.warn({ err: e }, 'event notify failed');
    }
  }

  /** Calls `listener` with the family id of every session that ends, on any instance. */
  onSessionEnded(listener: (familyId: string) => void): () => void {
    this.#emitter.on('session', listener);
    return () => this.#emitter.removeListener('session', listener);
  }

  /** Calls `listener` for every membership change, on any instance, in commit order with the events. */
  onMembershipChanged(listener: (change: MembershipChange) => void): () => void {
    this.#emitter.on('membership', listener);
    return () => this.#emitter.removeListener('membership', listener);
  }

  /**
   * Calls `listener` when this instance may have missed events (its listening session was lost and
   * is back): whoever follows events must read the current state again.
   */
  onGap(listener: () => void): () => void {
    this.#emitter.on('gap', listener);
    return () => this.#emitter.removeListener('gap', listener);
  }

  subscribe(listener: (event: CloudEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.removeListener('event', listener);
  }
}

/**
 * On the wire a state event is a positional array (about half the bytes of the object), so one
 * notification carries a whole ingest batch of switches; command and update events, rarer, stay objects.
 */
type StateWire = ['s', string, string, 0 | 1, 0 | 1 | null, number | null, number | null, number];
/** Not a device event: it never reaches `subscribe` listeners (live streams), only `onSessionEnded`. */
type SessionWire = { type: 'session'; familyId: string };
/** Not a device event either: it reaches `onMembershipChanged` listeners only. */
type MembershipWire = { type: 'membership'; homeId: string; userId: string };
type WireEvent = StateWire | CommandEvent | UpdateEvent | RolloutEvent | SessionWire | MembershipWire;

function toWire(event: CloudEvent): WireEvent {
  if (event.type !== 'state') return event;
  const on = event.state === null ? null : event.state.on ? 1 : 0;
  return ['s', event.deviceId, event.homeId, event.online ? 1 : 0, on, event.battery, event.rssi, event.version];
}

/**
 * SQL that announces a membership change; run in the transaction that makes the change, the
 * notification takes the change's place in commit order (PostgreSQL delivers notifications of a
 * transaction when it commits, in commit order): every event heard after it was committed after it.
 */
export function notifyMembershipChangedSql(change: MembershipChange): SQL {
  const wire: MembershipWire[] = [{ type: 'membership', homeId: change.homeId, userId: change.userId }];
  return sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(wire)})`;
}

function fromWire(item: StateWire | CommandEvent | UpdateEvent | RolloutEvent): CloudEvent {
  if (!Array.isArray(item)) return item;
  const [, deviceId, homeId, online, on, battery, rssi, version] = item;
  return {
    type: 'state',
    deviceId,
    homeId,
    online: online === 1,
    state: on === null ? null : { on: on === 1 },
    battery,
    rssi,
    version,
  };
}

/** State events per notification sent from SQL: at most ~116 bytes each on the wire, so below the limit. */
const STATE_EVENTS_PER_NOTIFY = 50;

/**
 * SQL that announces state events from inside the statement that wrote them, so an ingest batch
 * costs one round trip, not two. `rows` has the columns device_id, home_id, online, "on", battery,
 * rssi, version; they go out as the same positional wire events `toWire` makes. Evaluates to one row
 * per notification sent.
 */
export function notifyStateEventsSql(rows: SQL): SQL {
  return sql`
    select pg_notify(${EVENTS_CHANNEL}, json_agg(e order by n)::text)
    from (
      select json_build_array('s', r.device_id, r.home_id, case when r.online then 1 else 0 end,
                              case when r."on" then 1 when not r."on" then 0 end, r.battery, r.rssi, r.version) as e,
             row_number() over () - 1 as n
      from (${rows}) r
    ) x
    group by n / ${sql.raw(String(STATE_EVENTS_PER_NOTIFY))}`;
}

/** JSON arrays of wire events, each below PostgreSQL's NOTIFY payload limit. */
function* chunks(events: readonly CloudEvent[]): Generator<string> {
  let current: string[] = [];
  let size = 2;
  for (const event of events) {
    const json = JSON.stringify(toWire(event));
    const bytes = Buffer.byteLength(json) + 1;
    if (current.length > 0 && size + bytes > MAX_NOTIFY_BYTES) {
      yield `[${current.join(',')}]`;
      current = [];
      size = 2;
    }
    current.push(json);
    size += bytes;
  }
  if (current.length > 0) yield `[${current.join(',')}]`;
}
