/**
 * Attempt budgets in fixed windows (the API's login and registration limits, through
 * @fastify/rate-limit), kept in the database so that every cloud instance spends the same budget.
 * One statement per attempt counts it against all of its keys at once; the row lock of INSERT …
 * ON CONFLICT DO UPDATE serializes concurrent attempts on a key, so a burst spread over instances
 * gets exactly the budget, and the database's clock is the only clock (instances whose clocks
 * differ agree on when a window ends).
 */
import { createHash } from 'node:crypto';
import { lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Db } from '../db/database.ts';
import { rateLimitWindows } from '../db/schema.ts';
import { runEvery } from '../periodic.ts';

export interface LimitRule {
  /** Attempts allowed per window. */
  max: number;
  windowMs: number;
}

export interface LimitedKey {
  /** What is limited, namespaced by the caller (`login-email:…`); stored only as its hash. */
  key: string;
  rule: LimitRule;
}

export interface WindowCount {
  /** Attempts counted in the current window, the one just counted included. */
  attempts: number;
  /** Milliseconds until the window ends. */
  remainingMs: number;
}

interface WindowRow {
  key_hash: string;
  attempts: number;
  remaining_ms: number | string;
}

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

export class RateLimitService {
  constructor(private readonly db: Db) {}

  /**
   * Counts one attempt against every key and answers each key's window (in the order of `keys`):
   * attempts in it so far, this one included, and the time left until it ends. The store behind
   * the API's rate limiter; what the budget is, the caller decides.
   */
  async count(keys: readonly LimitedKey[]): Promise<WindowCount[]> {
    // Locks taken in one order (by hash) in every statement, so two attempts never wait on each other in a cycle.
    const windows = keys
      .map(({ key, rule }) => ({ key_hash: hashOf(key), window_ms: Math.max(1, Math.trunc(rule.windowMs)) }))
      .sort((a, b) => (a.key_hash < b.key_hash ? -1 : a.key_hash > b.key_hash ? 1 : 0));
    const result = await this.db.execute(sql`
      insert into rate_limit_windows as w (key_hash, expires_at, attempts)
      select x.key_hash, now() + x.window_ms * interval '1 millisecond', 1
      from json_to_recordset(${JSON.stringify(windows)}::json) as x(key_hash text, window_ms bigint)
      order by x.key_hash
      on conflict (key_hash) do update set
        expires_at = case when w.expires_at <= now() then excluded.expires_at else w.expires_at end,
        attempts = case when w.expires_at <= now() then 1 else w.attempts + 1 end
      returning w.key_hash, w.attempts, extract(epoch from (w.expires_at - now())) * 1000 as remaining_ms`);
    const byHash = new Map(rowsOf<WindowRow>(result).map((row) => [row.key_hash, row]));
    return keys.map(({ key }) => {
      const row = byHash.get(hashOf(key));
      if (!row) throw new Error('rate limit window was not returned');
      return { attempts: Number(row.attempts), remainingMs: Math.max(0, Math.ceil(Number(row.remaining_ms))) };
    });
  }

  /** Deletes the windows that have ended; returns how many. */
  async prune(): Promise<number> {
    const gone = await this.db
      .delete(rateLimitWindows)
      .where(lte(rateLimitWindows.expiresAt, sql`now()`))
      .returning({ key: rateLimitWindows.keyHash });
    return gone.length;
  }

  /** Prunes every `intervalMs`; returns the stop function. */
  startPruning(intervalMs: number, logger: Logger): () => void {
    return runEvery(intervalMs, () => this.prune(), logger, 'rate limit prune');
  }
}
