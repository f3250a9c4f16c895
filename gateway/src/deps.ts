import type { Logger } from 'pino';
import type { ConnectionPool } from './ble/connections.ts';
import type { BleCentral } from './ble/port.ts';
import type { GatewayConfig } from './config.ts';
import type { DeviceRegistry } from './devices/registry.ts';
import type { CloudLink } from './link/cloud-link.ts';

/** The one dependencies object every feature module is built from. */
export interface GatewayDeps {
  config: GatewayConfig;
  central: BleCentral;
  pool: ConnectionPool;
  registry: DeviceRegistry;
  cloud: CloudLink;
  log: Logger;
  now: () => number;
  /** Next sequence number for an upward message (strictly increasing for this gateway). */
  nextSeq: () => number;
}

export interface Feature {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}
