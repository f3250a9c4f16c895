/**
 * Hands update jobs to their gateways, once across cloud instances, the way commands/dispatch.ts
 * hands commands: a job is claimed (dispatched_at set in one UPDATE; PostgreSQL's row lock makes a
 * second instance's UPDATE see it claimed) and only the instance whose UPDATE returned it publishes.
 * A job whose gateway is offline waits (`gateway_offline`); the claim is dropped when the gateway
 * goes away, so the job goes down again when it is back, and a job the gateway has not reported on
 * within `redeliverAfterMs` is claimed again (a publish lost with an instance). The gateway takes a
 * job id once, so a second delivery is harmless. A job the cloud cancelled while its gateway might
 * hold it (cancel_pending) has its cancel claimed and sent the same way, on every return of the
 * gateway, until the gateway answers or the deadline passes.
 */
import { encodePayload, newTraceparent, topicFor, type UpdateJob } from '@switchfleet/protocol';
import { sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Db } from '../db/database.ts';
import type { EventBus } from '../events/bus.ts';
import { type CommandPublisher, within } from '../commands/dispatch.ts';
import type { UpdateJobRow } from './record.ts';
import { announceJobs } from './record.ts';
import { type DownloadSigner, firmwarePath } from './signed-url.ts';

export type UpdateDispatchScope = { jobId: string } | { gatewayId: string } | { all: true };

/** How long a download URL stays valid; the gateway resumes with Range within it. */
export const DEFAULT_URL_TTL_MS = 15 * 60 * 1000;
/** A job dispatched this long ago with no report from its gateway is sent again. */
export const DEFAULT_REDELIVER_AFTER_MS = 30_000;

export interface UpdateDispatchOptions {
  urlTtlMs?: number | undefined;
  redeliverAfterMs?: number | undefined;
}

interface Claimed {
  id: string;
  device_id: string;
  release_id: string;
  sha256: string;
  deadline: string | Date;
  traceparent: string | null;
  gateway_id: string;
  address: string;
  version: string;
  size: number;
  /** Made by a rollback rollout (one the engine made with a parent): the gateway may install an older image. */
  rollback: boolean;
}

interface CancelTarget {
  id: string;
  gateway_id: string;
  address: string;
}

const ACTIVE = sql`j.state in ('queued', 'waiting', 'running')`;
/** The columns announceJobs reads, from a raw UPDATE … RETURNING. */
const RETURNED = sql.raw(`j.id, j.device_id as "deviceId", j.state, j.phase, j.bytes, j.total_bytes as "totalBytes",
  j.reason`);

export class UpdateDispatcher {
  /** Where gateways reach the API (scheme, host, port); jobs wait undispatched until it is known. */
  #publicUrl: string | undefined;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly publisher: CommandPublisher,
    private readonly signer: DownloadSigner,
    private readonly logger: Logger,
    private readonly options: UpdateDispatchOptions = {},
  ) {}

  /**
   * Sets where gateways download images (the API's base URL, without a trailing slash) and sends
   * the jobs that waited for it.
   */
  async setPublicUrl(url: string): Promise<void> {
    this.#publicUrl = url.replace(/\/+$/, '');
    await this.dispatch({ all: true });
  }

  /** Claims and publishes the undispatched active jobs in scope whose gateway is online; returns how many. */
  async dispatch(scope: UpdateDispatchScope): Promise<number> {
    const filter = scopeFilter(scope);
    // Jobs whose gateway is away say so (and wait): waiting is not a failure until the deadline.
    const parked = rowsOf<UpdateJobRow>(
      await this.db.execute(sql`
        update update_jobs j set state = 'waiting', waiting_reason = 'gateway_offline'
        from devices d join gateways g on g.id = d.gateway_id
        where j.device_id = d.id and j.state = 'queued' and j.dispatched_at is null and not g.online and ${filter}
        returning ${RETURNED}`),
    );
    await announceJobs(this.db, this.bus, parked);
    await this.sendPendingCancels(filter);
    if (this.#publicUrl === undefined) return 0;
    const claimed = rowsOf<Claimed>(
      await this.db.execute(sql`
        update update_jobs j set dispatched_at = now(),
          state = case when j.waiting_reason = 'gateway_offline' then 'queued' else j.state end,
          waiting_reason = case when j.waiting_reason = 'gateway_offline' then null else j.waiting_reason end
        from devices d join gateways g on g.id = d.gateway_id, releases r
        where j.device_id = d.id and r.id = j.release_id and ${ACTIVE} and j.dispatched_at is null
          and j.cancel_requested_at is null and j.deadline > now() and g.online and ${filter}
        returning j.id, j.device_id, j.release_id, j.sha256, j.deadline, j.traceparent, d.gateway_id, d.address,
          r.version, r.size,
          exists(select 1 from rollouts ro where ro.id = j.rollout_id and ro.parent_id is not null) as rollback`),
    );
    await Promise.all(claimed.map((c) => this.publish(c)));
    return claimed.length;
  }

  /**
   * Drops the claim of the gateway's active jobs (it went away, or this cloud's embedded broker
   * restarted under it): each waits, and goes down again once the gateway is back. Only while the
   * gateway is still offline, so a late offline status heard after the reconnect sends nothing twice.
   */
  async forget(scope: UpdateDispatchScope): Promise<void> {
    const filter = scopeFilter(scope);
    const away = sql`from devices d join gateways g on g.id = d.gateway_id
      where j.device_id = d.id and not g.online and ${filter}`;
    // A cancel the gateway was asked for and can no longer answer ends in the cloud now; the cancel
    // goes down again (with every pending one) when the gateway is back.
    const cancelled = rowsOf<UpdateJobRow>(
      await this.db.execute(sql`
        update update_jobs j set state = 'cancelled', reason = 'cancelled', ended_at = now(), cancel_pending = true,
          detail = 'cancelled in the cloud: the gateway went offline before it answered', waiting_reason = null,
          rate = null
        ${away} and ${ACTIVE} and j.cancel_requested_at is not null
        returning ${RETURNED}`),
    );
    await this.db.execute(sql`update update_jobs j set dispatched_at = null ${away} and j.cancel_pending`);
    const parked = rowsOf<UpdateJobRow>(
      await this.db.execute(sql`
        update update_jobs j set dispatched_at = null, state = 'waiting', waiting_reason = 'gateway_offline', rate = null
        ${away} and ${ACTIVE}
        returning ${RETURNED}`),
    );
    await announceJobs(this.db, this.bus, [...cancelled, ...parked]);
  }

  /** Claims again the jobs dispatched long ago that their gateway has not reported on, and sends them. */
  async redeliverSilent(): Promise<number> {
    const after = this.options.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS;
    await this.db.execute(sql`
      update update_jobs j set dispatched_at = null
      where ${ACTIVE} and j.progress_seq is null and j.dispatched_at < now() - make_interval(secs => ${after / 1000})`);
    return this.dispatch({ all: true });
  }

  /** Sends the cancel of a dispatched job down to its gateway. */
  async cancel(jobId: string): Promise<void> {
    const [target] = rowsOf<CancelTarget>(
      await this.db.execute(
        sql`select j.id, d.gateway_id, d.address from update_jobs j join devices d on d.id = j.device_id
          where j.id = ${jobId}`,
      ),
    );
    if (target) await this.publishCancel(target);
  }

  /** Claims and sends the pending cancels (see the header) of online gateways in scope. */
  private async sendPendingCancels(filter: SQL): Promise<void> {
    const claimed = rowsOf<CancelTarget>(
      await this.db.execute(sql`
        update update_jobs j set dispatched_at = now()
        from devices d join gateways g on g.id = d.gateway_id
        where j.device_id = d.id and j.cancel_pending and j.dispatched_at is null and j.deadline > now()
          and g.online and ${filter}
        returning j.id, d.gateway_id, d.address`),
    );
    await Promise.all(claimed.map((c) => this.publishCancel(c)));
  }

  private async publishCancel(target: CancelTarget): Promise<void> {
    const payload = encodePayload('updateCancel', { v: 1, jobId: target.id, issuedAt: new Date().toISOString() });
    const topic = topicFor('updateCancel', { gatewayId: target.gateway_id, address: target.address });
    try {
      await within(this.publisher.publish(topic, payload), 10_000);
    } catch (e) {
      this.logger.warn({ jobId: target.id, err: e }, 'update cancel publish failed');
    }
  }

  private async publish(c: Claimed): Promise<void> {
    const now = new Date();
    const urlExpiresAt = new Date(now.getTime() + (this.options.urlTtlMs ?? DEFAULT_URL_TTL_MS));
    const path = firmwarePath(c.sha256);
    const q = this.signer.sign(path, c.gateway_id, urlExpiresAt);
    const url = `${this.#publicUrl}${path}?gw=${encodeURIComponent(q.gw)}&exp=${q.exp}&sig=${q.sig}`;
    const job: UpdateJob = {
      v: 1,
      jobId: c.id,
      deviceId: c.device_id,
      releaseId: c.release_id,
      version: c.version,
      sha256: c.sha256,
      size: c.size,
      url,
      urlExpiresAt: urlExpiresAt.toISOString(),
      issuedAt: now.toISOString(),
      deadline: new Date(c.deadline).toISOString(),
      ...(c.rollback ? { allowDowngrade: true } : {}),
      traceparent: c.traceparent ?? newTraceparent(),
    };
    const topic = topicFor('updateJob', { gatewayId: c.gateway_id, address: c.address });
    // The URL's signature is a credential: it is not logged.
    this.logger.info({ jobId: c.id, gatewayId: c.gateway_id, version: c.version }, 'update job dispatched');
    try {
      await within(this.publisher.publish(topic, encodePayload('updateJob', job)), 10_000);
    } catch (e) {
      // Left claimed: redeliverSilent sends it again if the gateway does not report.
      this.logger.warn({ jobId: c.id, err: e }, 'update job publish failed');
    }
  }
}

function scopeFilter(scope: UpdateDispatchScope): SQL {
  return 'jobId' in scope
    ? sql`j.id = ${scope.jobId}`
    : 'gatewayId' in scope
      ? sql`d.gateway_id = ${scope.gatewayId}`
      : sql`true`;
}
