import type { Logger } from 'pino';
import type { ConnectionPool } from './ble/connections.ts';
import type { BleCentral } from './ble/port.ts';
import type { GatewayConfig } from './config.ts';
import type { DeviceRegistry } from './devices/registry.ts';
import type { CommandRunner } from './features/command-runner.ts';
import type { HealthMonitor } from './health/health.ts';
import type { CloudLink } from './link/cloud-link.ts';
import type { Outbox } from './outbox/outbox.ts';

/** The one dependencies object every feature module is built from. */
export interface GatewayDeps {
  config: GatewayConfig;
  central: BleCentral;
  pool: ConnectionPool;
  registry: DeviceRegistry;
  cloud: CloudLink;
  /** Durable store of upward messages (with their sequence numbers) and of taken commands. */
  outbox: Outbox;
  runner: CommandRunner;
  health: HealthMonitor;
  log: Logger;
  now: () => number;
  /** Asks the process to restart (bridge/request/restart); the entry decides how. */
  requestRestart: () => void;
}

export interface Feature {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}
