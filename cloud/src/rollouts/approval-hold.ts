/**
 * The hold of a rollout for an operator's approval, written apart from RolloutStore so an approval
 * committed meanwhile wins over a verdict read before it.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/database.ts';
import { rollouts, rolloutStages } from '../db/schema.ts';

/**
 * The engine's verdict that stage `index` holds for the approval of the next one: the stage and
 * the rollout wait, unless the operator approved meanwhile. The rollout's row lock waits for an
 * approval being committed, and the reads after it (each statement its own snapshot under READ
 * COMMITTED) see that approval, so a verdict made before it cannot undo it. True when it moved.
 */
export function holdForApproval(db: Db, id: string, index: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = rowsOf<{ state: string }>(
      await tx.execute(sql`select state from rollouts where id = ${id} for update`),
    );
    if (row?.state !== 'running' && row?.state !== 'awaiting_approval') return false;
    const stages = rowsOf<{ index: number; state: string; approved: boolean }>(
      await tx.execute(sql`select index, state, approved_at is not null as approved from rollout_stages
        where rollout_id = ${id} and index in (${index}, ${index + 1})`),
    );
    const stage = stages.find((x) => x.index === index);
    if (stages.some((x) => x.index === index + 1 && x.approved) || stage?.state === 'passed') return false;
    await tx
      .update(rolloutStages)
      .set({ state: 'awaiting_approval' })
      .where(and(eq(rolloutStages.rolloutId, id), eq(rolloutStages.index, index)));
    if (row.state === 'awaiting_approval') return false;
    await tx.update(rollouts).set({ state: 'awaiting_approval', updatedAt: new Date() }).where(eq(rollouts.id, id));
    return true;
  });
}
