/**
 * The gateway controller: builds the infrastructure (BLE central, connection pool, device registry,
 * cloud link) once, hands the same dependencies object to every feature module, and starts and
 * stops them in order.
 */
import pino, { type Logger } from 'pino';
import { SWITCHBOT_SERVICE } from '@switchfleet/protocol';
import { ConnectionPool } from './ble/connections.ts';
import { NobleCentral, type Noble } from './ble/noble-central.ts';
import type { GatewayConfig } from './config.ts';
import type { Feature, GatewayDeps } from './deps.ts';
import { DeviceRegistry } from './devices/registry.ts';
import { availability } from './features/availability.ts';
import { bridge } from './features/bridge.ts';
import { commands } from './features/commands.ts';
import { discovery } from './features/discovery.ts';
import { CloudLink } from './link/cloud-link.ts';

export interface GatewayOptions {
  config: GatewayConfig;
  /** A noble instance: real (noble-loader without bindings) or over the simulator's bindings. */
  noble: Noble;
  log?: Logger;
}

export interface Gateway {
  readonly deps: GatewayDeps;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config, noble } = options;
  const log = options.log ?? pino({ level: config.logLevel, base: { gateway: config.gatewayId } });
  const timeouts = config.ble;
  const central = new NobleCentral({ noble, timeouts, serviceUuids: [SWITCHBOT_SERVICE] });
  const pool = new ConnectionPool({ central, maxConnections: config.ble.maxConnections, idleMs: config.ble.idleMs, responseMs: config.ble.responseMs, log });
  const cloud = new CloudLink({
    url: config.mqtt.url,
    gatewayId: config.gatewayId,
    username: config.mqtt.username,
    password: config.mqtt.password,
    maxInFlight: config.mqtt.maxInFlight,
    log,
  });
  // Microsecond-scaled wall clock start keeps sequence numbers increasing across restarts until
  // the durable outbox owns them.
  let seq = Date.now() * 1000;
  const deps: GatewayDeps = { config, central, pool, registry: new DeviceRegistry(), cloud, log, now: Date.now, nextSeq: () => ++seq };
  const features: Feature[] = [availability(deps), bridge(deps), commands(deps), discovery(deps)];
  let started = false;

  return {
    deps,
    async start() {
      await central.start();
      await cloud.start();
      for (const f of features) await f.start();
      started = true;
      log.info({ features: features.map((f) => f.name) }, 'gateway started');
    },
    async stop() {
      if (!started) return;
      started = false;
      // Stop taking work first, then let in-flight commands settle, then drop links and the cloud.
      for (const f of [...features].reverse()) await f.stop();
      await pool.closeAll();
      await central.stop();
      await cloud.stop();
      log.info('gateway stopped');
    },
  };
}
