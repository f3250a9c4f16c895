/**
 * A batch of device reports written again while the failure is one a moment cures (the server
 * restarting, a connection cut, a deadlock): every report that arrives meanwhile would otherwise fail
 * alike, and the pipeline's queue holds them while this waits. Writing again is safe: a batch that
 * did commit before its answer was lost is found stored (history key) and written as redeliveries.
 */
import type { Db } from '../db/database.ts';
import { isDataDbError, isTransientDbError } from '../db/transient-errors.ts';
import type { ReportRow } from './report-row.ts';
import { mergeOutcomes, writeDeviceReports, type BatchOutcome } from './sql.ts';

/** First pause before a batch is written again, doubled per attempt up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;
/** How long a batch is tried again before its reports are counted failed; shorter once stopping. */
const RETRY_FOR_MS = 60_000;
const RETRY_STOPPING_MS = 5000;

export interface RetryOptions {
  /** The budget; default RETRY_FOR_MS, at most RETRY_STOPPING_MS once `stopping()`. */
  retryForMs: number | undefined;
  stopping(): boolean;
  /** A gateway's device cap (sql.ts); default DEFAULT_GATEWAY_MAX_DEVICES (config.ts). */
  maxDevices?: number | undefined;
  log(level: 'info' | 'warn', fields: Record<string, unknown>, message: string): void;
}

/** Rejects with the last error once it is not transient, or the next attempt would pass the budget. */
export async function writeRetrying(db: Db, rows: ReportRow[], options: RetryOptions): Promise<BatchOutcome> {
  const started = performance.now();
  const retryFor = options.retryForMs ?? RETRY_FOR_MS;
  for (let attempt = 1, delay = RETRY_FIRST_MS; ; attempt++, delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    try {
      const outcome = await writeDeviceReports(db, rows, options.maxDevices);
      if (attempt > 1)
        options.log(
          'info',
          { attempts: attempt, count: rows.length },
          'ingest: device report batch written after retries',
        );
      return outcome;
    } catch (e) {
      const budget = options.stopping() ? Math.min(retryFor, RETRY_STOPPING_MS) : retryFor;
      if (!isTransientDbError(e) || performance.now() - started + delay > budget) throw e;
      if (attempt === 1)
        options.log(
          'warn',
          { err: e instanceof Error ? e.message : String(e), count: rows.length },
          'ingest: device report batch failed; retrying',
        );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** What `writeIsolating` wrote, and the reports it left out because their data was refused. */
export interface IsolatedOutcome extends BatchOutcome {
  refused: { row: ReportRow; error: unknown }[];
}

/**
 * Writes a batch as `writeRetrying` does; a batch refused for its data (isDataDbError: one report the
 * database cannot hold fails the whole statement) is split in halves and each half written on its
 * own, in arrival order, down to the single reports at fault. So a bad report costs its neighbours a
 * few more statements, never their place in history; n reports with one bad among them take about
 * 2·log2(n) statements more.
 */
export async function writeIsolating(db: Db, rows: ReportRow[], options: RetryOptions): Promise<IsolatedOutcome> {
  try {
    return { ...(await writeRetrying(db, rows, options)), refused: [] };
  } catch (e) {
    if (!isDataDbError(e)) throw e;
    if (rows.length === 1) {
      const none = { registered: new Set<string>(), stored: new Map<string, number>(), moved: new Set<string>() };
      return { ...none, overCap: new Set(), refused: [{ row: rows[0]!, error: e }] };
    }
    const half = Math.ceil(rows.length / 2);
    const first = await writeIsolating(db, rows.slice(0, half), options);
    const second = await writeIsolating(db, rows.slice(half), options);
    first.refused.push(...second.refused);
    return mergeOutcomes(first, second);
  }
}
