/**
 * The test queue, in the releases table itself: a release in `testing` waits for a run. An instance
 * claims one under FOR UPDATE SKIP LOCKED (another instance skips the row instead of waiting on it)
 * by taking a lease, keeps the lease alive while the suite runs, and records the result only while
 * it still holds the lease. A lease that ran out belongs to an instance that stopped mid-run; the
 * release is claimed again. Times come from the database's clock, which every instance shares.
 */
import { firmware } from '@switchfleet/protocol';
import { and, eq, ne, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/database.ts';
import { releaseImages, releaseReports, releases } from '../db/schema.ts';
import type { SuiteCaseResult } from './suite-port.ts';

export interface ClaimedRun {
  releaseId: string;
  version: string;
  hardwareId: string;
  sha256: string;
  /** Runs started for this release, this one included (a run cut short counts). */
  attempt: number;
}

export interface RunOutcome {
  outcome: 'passed' | 'failed';
  reason: string | null;
  suiteVersion: string;
  cases: SuiteCaseResult[];
}

export class ReleaseTestQueue {
  constructor(private readonly db: Db) {}

  /** The oldest release waiting for a run whose lease is free or ran out, leased to `owner`; null when none. */
  async claim(owner: string, leaseMs: number): Promise<ClaimedRun | null> {
    return this.db.transaction(async (tx) => {
      const [due] = rowsOf<{ id: string }>(
        await tx.execute(sql`
          select id from releases
          where state = 'testing' and (lease_until is null or lease_until < now())
          order by created_at, id limit 1 for update skip locked`),
      );
      if (!due) return null;
      const [row] = await tx
        .update(releases)
        .set({
          leaseOwner: owner,
          leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`,
          testAttempts: sql`${releases.testAttempts} + 1`,
        })
        .where(eq(releases.id, due.id))
        .returning({
          releaseId: releases.id,
          version: releases.version,
          hardwareId: releases.hardwareId,
          sha256: releases.sha256,
          attempt: releases.testAttempts,
        });
      return row ?? null;
    });
  }

  /** Extends the lease; false when `owner` no longer holds it (it ran out and another instance took it). */
  async heartbeat(releaseId: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.db
      .update(releases)
      .set({ leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'` })
      .where(this.held(releaseId, owner))
      .returning({ id: releases.id });
    return rows.length > 0;
  }

  /**
   * Records a run's result and its report, bound to the image's sha256; false (and nothing written)
   * when `owner` no longer holds the lease: the run that holds it now decides.
   */
  async finish(run: ClaimedRun, owner: string, result: RunOutcome): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const done = await tx
        .update(releases)
        .set({ state: result.outcome, reason: result.reason, leaseOwner: null, leaseUntil: null })
        .where(this.held(run.releaseId, owner))
        .returning({ id: releases.id });
      if (done.length === 0) return false;
      await tx.insert(releaseReports).values({
        releaseId: run.releaseId,
        sha256: run.sha256,
        suiteVersion: result.suiteVersion,
        outcome: result.outcome,
        cases: result.cases,
      });
      return true;
    });
  }

  /** Hands a claimed run back unfinished (this instance is stopping), so another may take it at once. */
  async giveBack(releaseId: string, owner: string): Promise<void> {
    await this.db.update(releases).set({ leaseOwner: null, leaseUntil: null }).where(this.held(releaseId, owner));
  }

  async image(sha256: string): Promise<Buffer> {
    const [row] = await this.db
      .select({ bytes: releaseImages.bytes })
      .from(releaseImages)
      .where(eq(releaseImages.sha256, sha256));
    if (!row) throw new Error(`the image ${sha256} of a queued release is missing`);
    return row.bytes;
  }

  /** The newest passed release of the model older than `version`: the one switches would update from. */
  async previous(run: ClaimedRun): Promise<Buffer | undefined> {
    const passed = await this.db
      .select({ version: releases.version, sha256: releases.sha256 })
      .from(releases)
      .where(
        and(eq(releases.hardwareId, run.hardwareId), eq(releases.state, 'passed'), ne(releases.id, run.releaseId)),
      );
    const older = passed.filter((r) => firmware.compareVersions(r.version, run.version) < 0);
    const newest = older.sort((a, b) => firmware.compareVersions(a.version, b.version)).at(-1);
    return newest ? this.image(newest.sha256) : undefined;
  }

  private held(releaseId: string, owner: string) {
    return and(eq(releases.id, releaseId), eq(releases.state, 'testing'), eq(releases.leaseOwner, owner));
  }
}
