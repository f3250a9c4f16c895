import type { Logger } from 'pino';
import type { ConnectionPool } from './ble/connections.ts';
import type { BleCentral } from './ble/port.ts';
import type { GatewayConfig } from './config.ts';
import type { DeviceBook } from './devices/book.ts';
import type { DeviceRegistry } from './devices/registry.ts';
import type { CloudLink } from './link/cloud-link.ts';
import type { Outbox } from './outbox/outbox.ts';

/**
 * The gateway's shared infrastructure. Features take a Pick of it plus what they need of each
 * other (named in their own deps type), so nothing here points back up at a feature.
 */
export interface GatewayDeps {
  config: GatewayConfig;
  central: BleCentral;
  pool: ConnectionPool;
  registry: DeviceRegistry;
  /** Names and removals made through the local bridge, kept on disk. */
  book: DeviceBook;
  cloud: CloudLink;
  /** Durable store of upward messages (with their sequence numbers) and of taken commands. */
  outbox: Outbox;
  log: Logger;
  now: () => number;
  /** Asks the process to restart (bridge/request/restart); the entry decides how. */
  requestRestart: () => void;
}
