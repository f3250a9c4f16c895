/**
 * Runs `task` every `intervalMs`, skipping a tick while the previous run is still going (a slow
 * database must not pile runs up); a failure is logged and the next tick tries again. The timer does
 * not keep the process alive. Returns the stop function.
 */
import type { Logger } from 'pino';

export function runEvery(intervalMs: number, task: () => Promise<unknown>, logger: Logger, what: string): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((e: unknown) => logger.error({ err: e }, `${what} failed`))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
