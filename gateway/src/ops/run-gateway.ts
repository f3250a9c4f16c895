/**
 * The gateway process on real hardware, with what it takes from outside handed in (so tests can
 * hand in a failing noble loader): configuration from file and environment, the Bluetooth adapter
 * brought up with a clear message per failure, systemd notifications, and a graceful stop.
 * Exit codes follow sysexits.h, which the systemd unit reads: EX_CONFIG (78) for a setup that
 * restarting cannot fix (RestartPreventExitStatus=78), EX_TEMPFAIL (75) for a restart asked for
 * through the local bridge (RestartForceExitStatus=75).
 */
import pino, { type DestinationStream } from 'pino';
import { LOG_REDACT_PATHS } from '@switchfleet/protocol';
import type { Noble } from '../ble/noble-central.ts';
import { gatewayConfigFromEnv, type GatewayConfig } from '../config.ts';
import { createGateway } from '../gateway.ts';
import { AdapterError, adapterReady, diagnoseLoadError } from './adapter.ts';
import { SystemdNotifier } from './systemd.ts';

export const EXIT_RESTART = 75;
export const EXIT_CONFIG = 78;

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  loadNoble: () => Promise<Noble>;
  rfkilled: () => Promise<boolean>;
  exit: (code: number) => void;
  /** Where a message goes before the logger exists. */
  stderr: (text: string) => void;
  /** Where log lines go; default stdout. */
  destination?: DestinationStream;
}

export interface RunningGateway {
  stop(code: number, why: string): Promise<void>;
}

export async function runGateway(o: RunOptions): Promise<RunningGateway | undefined> {
  let config: GatewayConfig;
  try {
    config = gatewayConfigFromEnv(o.env);
  } catch (err) {
    o.stderr(`${(err as Error).message}\n`);
    o.exit(EXIT_CONFIG);
    return undefined;
  }
  const options = { level: config.logLevel, base: { gateway: config.gatewayId }, redact: [...LOG_REDACT_PATHS] };
  const log = o.destination ? pino(options, o.destination) : pino(options);
  let noble: Noble;
  try {
    noble = await o.loadNoble();
    // A Pi's adapter may come up late at boot: as long as the central's own wait for it.
    await adapterReady(noble, { timeoutMs: config.ble.connectMs * 3, rfkilled: o.rfkilled });
  } catch (err) {
    const problem = err instanceof AdapterError ? err : diagnoseLoadError(err);
    if (!problem) throw err;
    // One line that says what is wrong and what to do, instead of noble's stack trace.
    log.fatal({ code: problem.code, reason: problem.reason }, problem.message);
    o.exit(EXIT_CONFIG);
    return undefined;
  }

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
    o.exit(code);
  };
  const onRestartRequested = () => void stop(EXIT_RESTART, 'restart requested');
  const gateway = createGateway({ config, noble, log, onRestartRequested });
  await gateway.start();
  await notifier.ready(`serving ${config.gatewayId}`);
  notifier.startWatchdog();
  return { stop };
}
