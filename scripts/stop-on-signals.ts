/** The launchers' clean stop: the first SIGINT (Ctrl-C) or SIGTERM runs `stop` once, then the process exits 0. */
import type { Logger } from 'pino';

export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      void stop().then(() => process.exit(0));
    });
  }
}
