/**
 * Commands from a user (or the cloud itself: shadow deltas, schedules) to a switch. Lifecycle:
 * pending (stored) → sent (claimed and handed to the broker at QoS 1, only while the gateway is
 * online) → succeeded | failed (the gateway's commandResult) | expired (the sweeper, once expires_at
 * has passed; a command for an offline gateway waits as pending until then).
 *
 * A retried request with the same Idempotency-Key (per user) returns the first command instead of
 * making a second one; the same key with a different request is refused. on/off also set the
 * shadow's desired state; press and toggle do not (a press is an action, not a state).
 */
import { createHash } from 'node:crypto';
import { newTraceparent, type CommandAction, type CommandResult } from '@switchfleet/protocol';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Db } from '../db/database.ts';
import { commands, devices, homeMembers } from '../db/schema.ts';
import { IdempotencyKeyReusedError, InvalidInputError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { CommandDispatcher } from './dispatch.ts';
import type { CommandEvents } from './events.ts';
import type { CommandOutcomes } from './outcomes.ts';
import { isTerminal, type CommandRecord } from './record.ts';
import type { CloudMetrics } from '../metrics.ts';
import type { DeviceService } from '../devices/devices.ts';
import type { Shadow, ShadowService } from '../devices/shadow.ts';
import { runEvery } from '../periodic.ts';

export const DEFAULT_COMMAND_TTL_MS = 30_000;
export const MAX_COMMAND_TTL_MS = 10 * 60_000;

export type { CommandPublisher } from './dispatch.ts';

export interface CreateCommandOptions {
  ttlMs?: number;
  traceparent?: string;
  /** Client-chosen key (Idempotency-Key header); scoped to the user. */
  idempotencyKey?: string;
}

export interface CommandServiceDeps {
  db: Db;
  devices: DeviceService;
  shadows: ShadowService;
  dispatcher: CommandDispatcher;
  outcomes: CommandOutcomes;
  events: CommandEvents;
  logger: Logger;
  metrics?: CloudMetrics;
  /** Refuses a user's command to a switch being updated (DEVICE_UPDATING) before it is stored. */
  updates?: { assertNotUpdating(deviceId: string): Promise<void> };
  /** TTL of a command created without one; default DEFAULT_COMMAND_TTL_MS. */
  defaultTtlMs?: number;
}

export class CommandService {
  constructor(private readonly deps: CommandServiceDeps) {}

  async create(
    userId: string,
    deviceId: string,
    action: CommandAction,
    options: CreateCommandOptions = {},
  ): Promise<CommandRecord> {
    const ttlMs = options.ttlMs ?? this.deps.defaultTtlMs ?? DEFAULT_COMMAND_TTL_MS;
    if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_COMMAND_TTL_MS) {
      throw new InvalidInputError('ttlMs', `ttlMs must be an integer in 1..${MAX_COMMAND_TTL_MS}`);
    }
    const key = options.idempotencyKey;
    if (key !== undefined && (key.length === 0 || key.length > 255)) {
      throw new InvalidInputError('Idempotency-Key', 'Idempotency-Key must have 1 to 255 characters');
    }
    const route = await this.deps.devices.routeForUser(userId, deviceId);
    if (!route) throw new NotFoundError('device');
    await this.deps.updates?.assertNotUpdating(route.deviceId);
    const requestHash = createHash('sha256')
      .update(JSON.stringify([route.deviceId, action, options.ttlMs ?? null]))
      .digest('hex');
    if (key !== undefined) {
      const earlier = await this.byKey(userId, key, requestHash);
      if (earlier) return earlier;
    }

    const issuedAt = new Date();
    const [created] = await this.deps.db
      .insert(commands)
      .values({
        deviceId: route.deviceId,
        action,
        status: 'pending',
        createdAt: issuedAt,
        expiresAt: new Date(issuedAt.getTime() + ttlMs),
        traceparent: options.traceparent ?? newTraceparent(),
        userId,
        source: 'user',
        idempotencyKey: key ?? null,
        requestHash,
      })
      .onConflictDoNothing()
      .returning();
    if (!created) {
      // A concurrent request with the same key won the insert.
      const earlier = key !== undefined ? await this.byKey(userId, key, requestHash) : null;
      if (!earlier) throw new Error('insert into commands returned no row');
      return earlier;
    }
    this.deps.metrics?.commandsCreated.inc({ source: 'user' });
    this.deps.logger.info(
      { commandId: created.id, deviceId: route.deviceId, action, traceparent: created.traceparent },
      'command created',
    );
    if (action === 'on' || action === 'off') await this.deps.shadows.recordDesired(route.deviceId, action === 'on');
    await this.deps.dispatcher.dispatch({ commandId: created.id });
    return (await this.get(created.id)) ?? created;
  }

  async get(commandId: string): Promise<CommandRecord | null> {
    if (!isUuid(commandId)) return null;
    const [row] = await this.deps.db.select().from(commands).where(eq(commands.id, commandId));
    return row ?? null;
  }

  /** A command on a device of one of the user's homes, or null (absent and not-yours look alike). */
  async getForUser(userId: string, commandId: string): Promise<CommandRecord | null> {
    if (!isUuid(userId) || !isUuid(commandId)) return null;
    const [row] = await this.deps.db
      .select({ command: commands })
      .from(commands)
      .innerJoin(devices, eq(devices.id, commands.deviceId))
      .innerJoin(homeMembers, and(eq(homeMembers.homeId, devices.homeId), eq(homeMembers.userId, userId)))
      .where(eq(commands.id, commandId));
    return row?.command ?? null;
  }

  /**
   * Resolves with the command once terminal, or with its current record when `timeoutMs` passes (or
   * `signal` aborts) first; null when there is no such command.
   */
  waitForTerminal(
    commandId: string,
    timeoutMs: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<CommandRecord | null> {
    if (!isUuid(commandId)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      let done = false;
      const settle = (outcome: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        stopGap();
        options.signal?.removeEventListener('abort', giveUp);
        outcome();
      };
      const finish = (record: CommandRecord | null) => settle(() => resolve(record));
      const fail = (e: unknown) => settle(() => reject(e));
      const reread = () => {
        this.get(commandId).then(finish, fail);
      };
      const giveUp = () => {
        clearTimeout(timer);
        reread();
      };
      /** Ends the wait if the command is terminal (or gone) by now. */
      const check = () => {
        this.get(commandId).then((record) => {
          if (!record || isTerminal(record.status)) finish(record);
        }, fail);
      };
      // Subscribe before reading, so a transition between the read and the subscription is not missed.
      const unsubscribe = this.deps.events.onTerminal(commandId, reread);
      // The event bus may have missed the transition (its listening session was lost): read again.
      const stopGap = this.deps.events.onGap(check);
      const timer = setTimeout(giveUp, timeoutMs);
      // An aborted wait (e.g. the server shutting down) ends early with the current record.
      if (options.signal?.aborted) return giveUp();
      options.signal?.addEventListener('abort', giveUp, { once: true });
      check();
    });
  }

  /**
   * Applies a gateway's commandResult. Only the gateway (and address) the command was sent to can
   * complete it, and only while it is open. A carried relay state is recorded even when the command
   * had already expired: it is still an observation of the switch.
   */
  async complete(gatewayId: string, address: string, result: CommandResult): Promise<CommandRecord | null> {
    if (!isUuid(result.commandId)) return null;
    const [target] = await this.deps.db
      .select({ id: devices.id })
      .from(devices)
      .where(and(eq(devices.gatewayId, gatewayId), eq(devices.address, address)));
    if (!target) return null;
    // The state first: the terminal event wakes waiters, who then read the device's new state.
    if (result.state) await this.deps.shadows.recordReported(target.id, result.state.on);
    const updated = await this.deps.outcomes.finish(
      result.commandId,
      { status: result.status, reason: result.reason ?? null, detail: result.detail ?? null },
      eq(commands.deviceId, target.id),
    );
    this.deps.logger.info(
      {
        commandId: result.commandId,
        gatewayId,
        status: result.status,
        reason: result.reason,
        traceparent: result.traceparent,
        applied: updated !== null,
      },
      'command result',
    );
    return updated;
  }

  /**
   * PATCH desired: writes the shadow's desired side (with the If-Match version, when given) and sends
   * the resulting delta to the switch's gateway at once (it waits as pending while the gateway is offline).
   */
  async applyDesired(
    userId: string,
    deviceId: string,
    on: boolean,
    expectedVersions?: readonly number[],
  ): Promise<Shadow> {
    const route = await this.deps.devices.routeForUser(userId, deviceId);
    if (!route) throw new NotFoundError('device');
    await this.deps.shadows.setDesiredForUser(userId, deviceId, on, expectedVersions);
    await this.reconcileGateway(route.gatewayId);
    return (await this.deps.shadows.getForUser(userId, deviceId))!;
  }

  /**
   * A gateway has (re)connected: the shadow delta of each of its switches (desired ≠ reported, and
   * no command already open for that switch) becomes a command, then every pending command of the
   * gateway is dispatched. The advisory lock serialises two instances handling the same gateway, so
   * a delta becomes one command, not two.
   */
  async reconcileGateway(gatewayId: string, ttlMs = this.deps.defaultTtlMs ?? DEFAULT_COMMAND_TTL_MS): Promise<number> {
    const made = await this.deps.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`sf-reconcile:${gatewayId}`}))`);
      const rows = rowsOf<{ id: string }>(
        await tx.execute(sql`
          insert into commands (device_id, action, status, expires_at, traceparent, source)
          select d.id, case when s.desired_on then 'on' else 'off' end, 'pending',
                 now() + make_interval(secs => ${ttlMs / 1000}), ${newTraceparent()}, 'delta'
          from devices d join device_state s on s.device_id = d.id
          where d.gateway_id = ${gatewayId} and s.desired_on is not null and s."on" is distinct from s.desired_on
            and not exists (select 1 from commands c where c.device_id = d.id and c.status in ('pending', 'sent') and c.expires_at > now())
          returning id`),
      );
      return rows.length;
    });
    if (made > 0) this.deps.metrics?.commandsCreated.inc({ source: 'delta' }, made);
    if (made > 0) this.deps.logger.info({ gatewayId, commands: made }, 'shadow delta sent on reconnect');
    await this.deps.dispatcher.dispatch({ gatewayId });
    return made;
  }

  /** Expires due commands and dispatches pending ones whose gateway is online (closing races); returns expired count. */
  async sweep(now = new Date()): Promise<number> {
    const expired = await this.deps.outcomes.expireDue(now);
    await this.deps.dispatcher.dispatch({ all: true });
    return expired;
  }

  /** Runs sweep every `intervalMs` (never two at once); returns the stop function. */
  startSweeper(intervalMs: number): () => void {
    return runEvery(intervalMs, () => this.sweep(), this.deps.logger, 'command sweep');
  }

  private async byKey(userId: string, key: string, requestHash: string): Promise<CommandRecord | null> {
    const [row] = await this.deps.db
      .select()
      .from(commands)
      .where(and(eq(commands.userId, userId), eq(commands.idempotencyKey, key)));
    if (!row) return null;
    if (row.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    return row;
  }
}
