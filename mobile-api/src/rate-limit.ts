/**
 * A small fixed-window limiter for login attempts, per key (an email, an IP). In memory, so per API
 * process: with N instances an attacker gets at most N times the budget, which still bounds password
 * guessing; a shared store can replace it behind the same interface.
 */
export interface LimitRule {
  /** Attempts allowed per window. */
  max: number;
  windowMs: number;
}

export interface LimitDecision {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After), at least 1 when refused. */
  retryAfterS: number;
}

export class FixedWindowLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly rule: LimitRule,
    private readonly now: () => number = Date.now,
  ) {}

  consume(key: string): LimitDecision {
    const now = this.now();
    if (this.#windows.size > 10_000) this.prune(now);
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.rule.windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    const retryAfterS = Math.max(1, Math.ceil((window.start + this.rule.windowMs - now) / 1000));
    return { allowed: window.count <= this.rule.max, retryAfterS };
  }

  private prune(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.start >= this.rule.windowMs) this.#windows.delete(key);
  }
}
