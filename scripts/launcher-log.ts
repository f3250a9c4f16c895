/** The launcher's logger: readable lines for a person at a terminal, JSON lines for machines. */
import { pino, type Logger } from 'pino';
import { LOG_REDACT_PATHS } from '@switchfleet/protocol';
import type { LauncherConfig } from './launcher-config.ts';

export function launcherLogger(level: string, format: LauncherConfig['logFormat']): Logger {
  const redact = [...LOG_REDACT_PATHS];
  if (format === 'json') return pino({ level, base: undefined, redact });
  // pino's transport for pino-pretty: it formats on a worker thread, so logging stays off the event loop.
  return pino({
    level,
    base: undefined,
    redact,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', destination: 1 } },
  });
}
