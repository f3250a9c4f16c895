/**
 * Entry for a gateway on real hardware: configuration from file and environment, noble on HCI,
 * systemd notifications, and a graceful stop on SIGTERM/SIGINT. A restart asked for through the
 * local bridge ends the process with EXIT_RESTART, which the unit restarts (RestartForceExitStatus).
 */
import pino from 'pino';
import { LOG_REDACT_PATHS } from '@switchfleet/protocol';
import { gatewayConfigFromEnv } from './config.ts';
import { createGateway } from './gateway.ts';
import { loadNoble } from './ble/noble-loader.ts';
import { SystemdNotifier } from './ops/systemd.ts';

export const EXIT_RESTART = 75;

let config;
try {
  config = gatewayConfigFromEnv(process.env);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(78); // EX_CONFIG: systemd does not restart into the same bad configuration
}
const log = pino({ level: config.logLevel, base: { gateway: config.gatewayId }, redact: [...LOG_REDACT_PATHS] });
const notifier = new SystemdNotifier({ ...config.systemd, log });
let stopping = false;

const stop = async (code: number, why: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ why }, 'stopping');
  await notifier.stopping();
  // A stop that hangs must not outlive systemd's patience silently; TimeoutStopSec ends it anyway.
  await gateway.stop().catch((err: unknown) => log.error({ err }, 'unclean stop'));
  notifier.close();
  process.exit(code);
};

const gateway = createGateway({ config, noble: await loadNoble(), log, onRestartRequested: () => void stop(EXIT_RESTART, 'restart requested') });
await gateway.start();
await notifier.ready(`serving ${config.gatewayId}`);
notifier.startWatchdog();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0, signal));
