/** The launcher's logger: readable lines for a person at a terminal, JSON lines for machines. */
import { pino, type Logger } from 'pino';
import type { LauncherConfig } from './launcher-config.ts';

export function launcherLogger(level: string, format: LauncherConfig['logFormat']): Logger {
  if (format === 'json') return pino({ level, base: undefined });
  // pino's transport for pino-pretty: it formats on a worker thread, so logging stays off the event loop.
  return pino({
    level,
    base: undefined,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', destination: 1 } },
  });
}
