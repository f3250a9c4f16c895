/**
 * A rollout's state changes: the operator's (pause, resume, cancel, approve) and the engine's (abort,
 * complete). Each is a conditional update on the row, so two instances or two operators racing
 * cannot both make the same transition; each writes its rows in one transaction, and is announced
 * on the bus as a `rollout` event once committed.
 */
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus.ts';
import type { UpdateService } from '../updates/jobs.ts';
import { UpdateError } from '../updates/errors.ts';
import { RolloutError } from './rules/errors.ts';
import type { RolloutStore, RolloutRow } from './store.ts';

const WORKING = ['awaiting_approval', 'running', 'paused'] as const;

export type AbortReason = 'error_threshold' | 'success_unreachable' | 'health' | 'release_refused';

export class Lifecycle {
  constructor(
    private readonly store: RolloutStore,
    private readonly bus: EventBus,
    private readonly updates: Pick<UpdateService, 'cancel'>,
    private readonly logger: Logger,
  ) {}

  /** Publishes the rollout's state, stage and counts to every instance's operator stream. */
  async announce(id: string): Promise<void> {
    const row = await this.store.get(id);
    if (!row) return;
    const { all } = await this.store.counts(id);
    await this.bus.publish([
      { type: 'rollout', rolloutId: id, state: row.state, stage: row.currentStage, counts: { ...all } },
    ]);
  }

  async pause(id: string): Promise<RolloutRow> {
    return this.transition(id, ['running', 'awaiting_approval'], { state: 'paused' }, 'pause');
  }

  async resume(id: string): Promise<RolloutRow> {
    // Back to running; the tick sets awaiting_approval again if a stage still waits for one.
    return this.transition(id, ['paused'], { state: 'running' }, 'resume');
  }

  /**
   * Approves the stage that waits for it: the first stage of a rollout created awaiting approval,
   * or the stage after one whose soak is over. It starts at once.
   */
  async approve(id: string, operatorId: string | null): Promise<RolloutRow> {
    const stages = await this.store.stages(id);
    const waiting = stages.find((s) => s.state === 'awaiting_approval');
    const row = await this.store.get(id);
    if (!row) throw new RolloutError('NOT_FOUND', 'no such rollout');
    if (!waiting || row.state !== 'awaiting_approval') {
      throw new RolloutError('INVALID_TRANSITION', `rollout ${id} is ${row.state} and waits for no approval`);
    }
    const now = new Date();
    const first = waiting.index === 0 && waiting.startedAt === null;
    const next = first ? waiting.index : waiting.index + 1;
    // One transaction: an engine tick of any instance sees the rollout awaiting approval with its
    // stage waiting, or running with the next stage started and approved, never a mix.
    const moved = await this.store.atomically(async (s) => {
      await s.setStage(id, next, { approvedBy: operatorId, approvedAt: now });
      const row = await s.setRollout(
        id,
        { state: 'running', currentStage: next, ...(first ? { startedAt: now } : {}) },
        ['awaiting_approval'],
      );
      if (!row) throw new RolloutError('INVALID_TRANSITION', `rollout ${id} was approved or changed meanwhile`);
      if (!first) await s.setStage(id, waiting.index, { state: 'passed', endedAt: now });
      await s.setStage(id, next, { state: 'running', startedAt: now });
      return row;
    });
    await this.announce(id);
    return moved;
  }

  /** Cancels the rollout: nothing more starts, queued and in-flight jobs are cancelled. */
  async cancel(id: string): Promise<RolloutRow> {
    const row = await this.transition(
      id,
      WORKING,
      { state: 'cancelled', reason: 'cancelled', endedAt: new Date(), draining: true },
      'cancel',
      false,
      async (s) => void (await s.cancelUnstarted(id, 'cancelled')),
    );
    await this.cancelJobs(row);
    await this.announce(id);
    return row;
  }

  /**
   * Stops a rollout that failed a gate: its stage fails, unstarted devices are cancelled, and every
   * job it has in flight is cancelled, queued or mid-upload (the gateway stops the upload and the
   * switch keeps booting its old image). It is halted; its devices are let go once those jobs end.
   */
  async abort(row: RolloutRow, stage: number, reason: AbortReason, detail: string): Promise<void> {
    const now = new Date();
    // One transaction: never a halted rollout whose stage still runs or whose devices may still start.
    const halted = await this.store.atomically(async (s) => {
      const h = await s.setRollout(row.id, { state: 'halted', reason, detail, endedAt: now, draining: true }, WORKING);
      if (!h) return null;
      await s.setStage(row.id, stage, { state: 'failed', endedAt: now });
      await s.cancelUnstarted(row.id, reason);
      return h;
    });
    if (!halted) return;
    this.logger.warn({ rolloutId: row.id, reason, detail }, 'rollout halted');
    await this.cancelJobs(halted);
    await this.announce(row.id);
  }

  /** Every stage passed and every device ended: completed, and the devices are free again. */
  async complete(row: RolloutRow): Promise<void> {
    const { parentId } = row;
    const ended = await this.store.atomically(async (s) => {
      const done = await s.setRollout(row.id, { state: 'completed', endedAt: new Date() }, ['running']);
      if (!done) return null;
      await s.release(row.id);
      // A rollback that completed: the rollout it undid is rolled back.
      const parent = parentId ? await s.setRollout(parentId, { state: 'rolled_back' }, ['halted']) : null;
      return { parent };
    });
    if (!ended) return;
    await this.announce(row.id);
    if (ended.parent) await this.announce(ended.parent.id);
  }

  /** Cancels the jobs in flight (after the transition committed); jobs end as their gateways confirm. */
  private async cancelJobs(row: RolloutRow): Promise<void> {
    for (const d of await this.store.updatingDevices(row.id)) await this.cancelJob(d.jobId);
  }

  async cancelJob(jobId: string | null): Promise<void> {
    if (!jobId) return;
    try {
      await this.updates.cancel(jobId);
    } catch (e) {
      // Ended meanwhile: the tick maps how it ended.
      if (!(e instanceof UpdateError)) throw e;
    }
  }

  private async transition(
    id: string,
    from: readonly string[],
    set: Parameters<RolloutStore['setRollout']>[1],
    action: string,
    announce = true,
    also?: (store: RolloutStore) => Promise<void>,
  ): Promise<RolloutRow> {
    const row = await this.store.atomically(async (s) => {
      const moved = await s.setRollout(id, set, from);
      if (moved && also) await also(s);
      return moved;
    });
    if (!row) {
      const current = await this.store.get(id);
      if (!current) throw new RolloutError('NOT_FOUND', 'no such rollout');
      throw new RolloutError('INVALID_TRANSITION', `cannot ${action} a rollout that is ${current.state}`, {
        state: current.state,
      });
    }
    if (announce) await this.announce(id);
    return row;
  }
}
