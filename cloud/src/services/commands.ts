/**
 * Commands from a user to a switch: stored first (pending), handed to the broker at QoS 1 for the
 * device's gateway, marked sent on PUBACK, and made terminal by exactly one of: the gateway's
 * commandResult, or the sweeper once expires_at has passed. Only an open (pending/sent) command can
 * change status, so a late result never overwrites an expiry and vice versa.
 */
import {
  childTraceparent,
  encodePayload,
  newTraceparent,
  topicFor,
  type CommandAction,
  type CommandResult,
} from '@switchfleet/protocol';
import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { commands, devices, deviceState } from '../db/schema.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { CommandEvents } from './command-events.ts';
import { isTerminal, OPEN_STATUSES, type CommandRecord } from './command-record.ts';
import type { DeviceService } from './devices.ts';

export const DEFAULT_COMMAND_TTL_MS = 30_000;
export const MAX_COMMAND_TTL_MS = 10 * 60_000;

/** The one thing commands need from the broker: a QoS 1 publish that resolves on PUBACK. */
export interface CommandPublisher {
  publish(topic: string, payload: Buffer): Promise<void>;
}

export interface CreateCommandOptions {
  ttlMs?: number;
  traceparent?: string;
}

export interface CommandServiceDeps {
  db: Db;
  devices: DeviceService;
  publisher: CommandPublisher;
  events: CommandEvents;
  logger: Logger;
  /** TTL of a command created without one; default DEFAULT_COMMAND_TTL_MS. */
  defaultTtlMs?: number;
}

export class CommandService {
  constructor(private readonly deps: CommandServiceDeps) {}

  async create(userId: string, deviceId: string, action: CommandAction, options: CreateCommandOptions = {}): Promise<CommandRecord> {
    const ttlMs = options.ttlMs ?? this.deps.defaultTtlMs ?? DEFAULT_COMMAND_TTL_MS;
    if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_COMMAND_TTL_MS) {
      throw new InvalidInputError('ttlMs', `ttlMs must be an integer in 1..${MAX_COMMAND_TTL_MS}`);
    }
    const route = await this.deps.devices.routeForUser(userId, deviceId);
    if (!route) throw new NotFoundError('device');

    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + ttlMs);
    const traceparent = options.traceparent ?? newTraceparent();
    const [created] = await this.deps.db
      .insert(commands)
      .values({ deviceId: route.deviceId, action, status: 'pending', createdAt: issuedAt, expiresAt, traceparent })
      .returning();
    if (!created) throw new Error('insert into commands returned no row');

    const payload = encodePayload('command', {
      v: 1,
      commandId: created.id,
      action,
      issuedAt: issuedAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      // The hop to the gateway is a child span of the request that created the command.
      traceparent: childTraceparent(traceparent),
    });
    const topic = topicFor('command', { gatewayId: route.gatewayId, address: route.address });
    const acked = this.deps.publisher
      .publish(topic, payload)
      .then(
        () => this.markSent(created.id),
        (e: unknown) => this.failToPublish(created.id, e),
      )
      .catch((e: unknown) => this.deps.logger.error({ err: e, commandId: created.id }, 'recording command hand-off failed'));
    // Past expiresAt the gateway must refuse the command anyway (payloads.ts: CommandRequest), so waiting
    // longer for the broker's PUBACK is pointless; an unacknowledged command is left to the sweeper.
    await settleWithin(acked, ttlMs);
    return (await this.get(created.id)) ?? created;
  }

  async get(commandId: string): Promise<CommandRecord | null> {
    if (!isUuid(commandId)) return null;
    const [row] = await this.deps.db.select().from(commands).where(eq(commands.id, commandId));
    return row ?? null;
  }

  /**
   * Resolves with the command once terminal, or with its current record when `timeoutMs` passes (or
   * `signal` aborts) first; null when there is no such command.
   */
  waitForTerminal(commandId: string, timeoutMs: number, options: { signal?: AbortSignal } = {}): Promise<CommandRecord | null> {
    if (!isUuid(commandId)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      let done = false;
      const settle = (outcome: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        options.signal?.removeEventListener('abort', giveUp);
        outcome();
      };
      const finish = (record: CommandRecord | null) => settle(() => resolve(record));
      const fail = (e: unknown) => settle(() => reject(e));
      const giveUp = () => {
        clearTimeout(timer);
        this.get(commandId).then(finish, fail);
      };
      // Subscribe before reading, so a transition between the read and the subscription is not missed.
      const unsubscribe = this.deps.events.onTerminal(commandId, finish);
      const timer = setTimeout(giveUp, timeoutMs);
      // An aborted wait (e.g. the server shutting down) ends early with the current record.
      if (options.signal?.aborted) return giveUp();
      options.signal?.addEventListener('abort', giveUp, { once: true });
      this.get(commandId).then((record) => {
        if (!record || isTerminal(record.status)) finish(record);
      }, fail);
    });
  }

  /**
   * Applies a gateway's commandResult. Only the gateway (and address) the command was sent to can
   * complete it, and only while it is open. A carried relay state is recorded even when the command
   * had already expired: it is still an observation of the switch.
   */
  async complete(gatewayId: string, address: string, result: CommandResult): Promise<CommandRecord | null> {
    if (!isUuid(result.commandId)) return null;
    const ownDevice = this.deps.db
      .select({ id: devices.id })
      .from(devices)
      .where(and(eq(devices.gatewayId, gatewayId), eq(devices.address, address)));
    const [updated] = await this.deps.db
      .update(commands)
      .set({
        status: result.status,
        reason: result.reason ?? (result.status === 'expired' ? 'expired' : null),
        detail: result.detail ?? null,
        completedAt: new Date(),
      })
      .where(and(eq(commands.id, result.commandId), inArray(commands.status, [...OPEN_STATUSES]), inArray(commands.deviceId, ownDevice)))
      .returning();
    if (result.state) {
      const [target] = await ownDevice;
      if (target) await this.recordRelayState(target.id, result.state.on);
    }
    if (updated) this.deps.events.terminal(updated);
    return updated ?? null;
  }

  /** Marks every open command past its expiry as expired; returns how many. */
  async sweepExpired(now = new Date()): Promise<number> {
    const expired = await this.deps.db
      .update(commands)
      .set({ status: 'expired', reason: 'expired', completedAt: now })
      .where(and(inArray(commands.status, [...OPEN_STATUSES]), lte(commands.expiresAt, now)))
      .returning();
    for (const record of expired) this.deps.events.terminal(record);
    return expired.length;
  }

  /** Runs sweepExpired every `intervalMs` (never two at once); returns the stop function. */
  startSweeper(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.sweepExpired()
        .catch((e: unknown) => this.deps.logger.error({ err: e }, 'command sweep failed'))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async recordRelayState(deviceId: string, on: boolean): Promise<void> {
    await this.deps.db
      .insert(deviceState)
      .values({ deviceId, on })
      .onConflictDoUpdate({
        target: deviceState.deviceId,
        set: { on, version: sql`${deviceState.version} + 1`, updatedAt: new Date() },
      });
  }

  private async markSent(commandId: string): Promise<void> {
    await this.deps.db
      .update(commands)
      .set({ status: 'sent' })
      .where(and(eq(commands.id, commandId), eq(commands.status, 'pending')));
  }

  private async failToPublish(commandId: string, cause: unknown): Promise<void> {
    this.deps.logger.warn({ commandId, err: cause }, 'command publish failed');
    const [failed] = await this.deps.db
      .update(commands)
      .set({ status: 'failed', reason: 'gateway_error', detail: `broker refused the command: ${String(cause)}`, completedAt: new Date() })
      .where(and(eq(commands.id, commandId), inArray(commands.status, [...OPEN_STATUSES])))
      .returning();
    if (failed) this.deps.events.terminal(failed);
  }
}

/** Waits for `work` but no longer than `ms`; `work` itself must never reject. */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}
