import type { Logger } from 'pino';
import type { ConnectionPool } from './ble/connections.ts';
import type { BleCentral } from './ble/port.ts';
import type { GatewayConfig } from './config.ts';
import type { DeviceBook } from './devices/book.ts';
import type { DeviceRegistry } from './devices/registry.ts';
import type { LocalLink } from './local/local-link.ts';
import type { OtaFeature } from './ota/index.ts';
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
  /** Names and removals made through the local bridge, kept on disk. */
  book: DeviceBook;
  cloud: CloudLink;
  /** The local Zigbee2MQTT-style bridge's broker link, when LOCAL_MQTT_URL is set. */
  local?: LocalLink;
  ota: OtaFeature;
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
