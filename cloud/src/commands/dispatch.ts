/**
 * Hands pending commands to the broker, exactly once across cloud instances: a command is first
 * claimed (pending → sent in one UPDATE; PostgreSQL's row lock makes a second instance's UPDATE see
 * it no longer pending) and only the instance whose UPDATE returned it publishes it. A command is
 * claimed only while its gateway is online; for an offline gateway it stays pending until the
 * gateway announces itself or the TTL passes (then the sweeper expires it).
 */
import { childTraceparent, encodePayload, topicFor, type CommandAction } from '@switchfleet/protocol';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Db } from '../db/database.ts';
import type { CommandOutcomes } from './outcomes.ts';

/** The one thing commands need from the broker: a QoS 1 publish that resolves on PUBACK. */
export interface CommandPublisher {
  publish(topic: string, payload: Buffer): Promise<void>;
}

export type DispatchScope = { commandId: string } | { gatewayId: string } | { all: true };

interface Claimed {
  id: string;
  action: CommandAction;
  created_at: string | Date;
  expires_at: string | Date;
  traceparent: string | null;
  gateway_id: string;
  address: string;
}

export class CommandDispatcher {
  constructor(
    private readonly db: Db,
    private readonly publisher: CommandPublisher,
    private readonly outcomes: CommandOutcomes,
    private readonly logger: Logger,
  ) {}

  /** Claims and publishes the pending, unexpired commands in scope whose gateway is online; returns how many. */
  async dispatch(scope: DispatchScope): Promise<number> {
    const filter: SQL =
      'commandId' in scope
        ? sql`c.id = ${scope.commandId}`
        : 'gatewayId' in scope
          ? sql`d.gateway_id = ${scope.gatewayId}`
          : sql`true`;
    const claimed = rowsOf<Claimed>(
      await this.db.execute(sql`
        update commands c set status = 'sent', sent_at = now()
        from devices d join gateways g on g.id = d.gateway_id
        where c.device_id = d.id and c.status = 'pending' and c.expires_at > now() and g.online and ${filter}
        returning c.id, c.action, c.created_at, c.expires_at, c.traceparent, d.gateway_id, d.address`),
    );
    await Promise.all(claimed.map((c) => this.publish(c)));
    return claimed.length;
  }

  /**
   * One OpenTelemetry producer span per hand-off (a no-op until the process registers an SDK); the
   * W3C traceparent in the envelope is what links the hops in every part's logs.
   */
  private publish(c: Claimed): Promise<void> {
    return trace.getTracer('switchfleet-cloud').startActiveSpan(
      'command publish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'mqtt',
          'switchfleet.command_id': c.id,
          'switchfleet.gateway_id': c.gateway_id,
        },
      },
      async (span) => {
        try {
          await this.publishNow(c);
        } catch (e) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw e;
        } finally {
          span.end();
        }
      },
    );
  }

  private async publishNow(c: Claimed): Promise<void> {
    const expiresAt = new Date(c.expires_at);
    const payload = encodePayload('command', {
      v: 1,
      commandId: c.id,
      action: c.action,
      issuedAt: new Date(c.created_at).toISOString(),
      expiresAt: expiresAt.toISOString(),
      // The hop to the gateway is a child span of the request that created the command.
      traceparent: childTraceparent(c.traceparent ?? undefined),
    });
    const topic = topicFor('command', { gatewayId: c.gateway_id, address: c.address });
    this.logger.info(
      { commandId: c.id, gatewayId: c.gateway_id, action: c.action, traceparent: c.traceparent },
      'command dispatched',
    );
    try {
      // Past expiresAt the gateway must refuse the command anyway (payloads.ts: CommandRequest), so a
      // PUBACK later than that is not waited for; the sweeper expires the command.
      await within(this.publisher.publish(topic, payload), Math.max(0, expiresAt.getTime() - Date.now()));
    } catch (e) {
      this.logger.warn({ commandId: c.id, err: e }, 'command publish failed');
      await this.outcomes
        .finish(c.id, { status: 'failed', reason: 'gateway_error', detail: `broker refused the command: ${String(e)}` })
        .catch((err: unknown) => this.logger.error({ err, commandId: c.id }, 'recording a failed publish failed'));
    }
  }
}

/** Resolves when `work` settles or `ms` passes, whichever is first; rejects only if `work` does in time. */
export async function within(work: Promise<unknown>, ms: number): Promise<void> {
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
