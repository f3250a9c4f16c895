/**
 * Waiting for an outcome instead of sleeping for a guessed time: message delivery, a gateway's
 * reconnect and a database write all happen asynchronously, each after its own delay.
 */

export interface PollOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between two probes (default 20 ms). */
  intervalMs?: number;
  /** Completes "timed out … waiting for …" in the error. */
  what?: string;
}

/** A probe's "not yet": undefined, null or false. */
type NotYet = undefined | null | false;

/**
 * Probes until `probe` returns something other than undefined, null or false, and resolves with it.
 * A probe that throws ends the wait with its error. `options` may be the timeout alone.
 */
export async function eventually<T>(
  probe: () => T | NotYet | Promise<T | NotYet>,
  options: number | PollOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 20, what } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(
        what === undefined
          ? `condition not met within ${timeoutMs} ms`
          : `timed out after ${timeoutMs} ms waiting for ${what}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
