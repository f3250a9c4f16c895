/**
 * The gateway controller: builds the infrastructure (BLE central, connection pool, device registry,
 * durable outbox, cloud link) once, hands the same dependencies object to every feature module, and
 * starts and stops them in order.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { LOG_REDACT_PATHS, SWITCHBOT_SCAN_UUIDS } from '@switchfleet/protocol';
import { ConnectionPool } from './ble/connections.ts';
import { NobleCentral, type Noble } from './ble/noble-central.ts';
import type { GatewayConfig } from './config.ts';
import type { GatewayDeps } from './deps.ts';
import { DeviceBook } from './devices/book.ts';
import { DeviceRegistry } from './devices/registry.ts';
import { availability } from './features/availability.ts';
import { cloudReport } from './features/cloud-report.ts';
import { CommandRunner } from './features/command-runner.ts';
import { commands } from './features/commands.ts';
import { discovery } from './features/discovery.ts';
import type { Feature } from './features/feature.ts';
import { firmwareJobs } from './features/firmware-jobs.ts';
import { healthFeature } from './features/health.ts';
import { localBridge } from './features/local-bridge.ts';
import { ota, type OtaFeature } from './features/ota.ts';
import { HealthMonitor } from './health/health.ts';
import { CloudLink } from './link/cloud-link.ts';
import { LocalLink } from './local/local-link.ts';
import { Outbox } from './outbox/outbox.ts';
import mqttPacket from 'mqtt-packet';

export interface GatewayOptions {
  config: GatewayConfig;
  /** A noble instance: real (noble-loader without bindings) or over the simulator's bindings. */
  noble: Noble;
  log?: Logger;
  /**
   * Called when a restart is asked for (local bridge request). Default: the gateway restarts in
   * this process, as Zigbee2MQTT does: it stops, and starts again built anew (links, features,
   * device records) on the same configuration, noble and data directory.
   */
  onRestartRequested?: () => void;
}

/** The infrastructure and the parts features share, as the controller built them. */
export interface GatewayParts extends GatewayDeps {
  ota: OtaFeature;
  runner: CommandRunner;
  health: HealthMonitor;
  /** The local Zigbee2MQTT-style bridge's broker link, when LOCAL_MQTT_URL is set. */
  local?: LocalLink;
}

export interface Gateway {
  /** Available once start() resolved. */
  readonly deps: GatewayParts;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  let current: Gateway | undefined;
  let restarting: Promise<void> | undefined;
  const log = options.log ?? pino({ level: options.config.logLevel, base: { gateway: options.config.gatewayId } });
  const restart = async () => {
    log.info('restart requested: stopping and starting again');
    await current?.stop();
    current = buildGateway({ ...options, log }, onRestart);
    await current.start();
  };
  const onRestart =
    options.onRestartRequested ??
    (() => {
      restarting ??= restart()
        .catch((err: unknown) => log.error({ err }, 'restart failed'))
        .finally(() => (restarting = undefined));
    });
  current = buildGateway({ ...options, log }, onRestart);
  return {
    get deps() {
      return current!.deps;
    },
    start: () => current!.start(),
    async stop() {
      await restarting;
      await current!.stop();
    },
  };
}

function buildGateway(options: GatewayOptions, onRestart: () => void): Gateway {
  const { config, noble } = options;
  // mqtt-packet otherwise pre-builds a 2-byte Buffer for each of the 65,536 packet ids on first use
  // (megabytes of heap); on a Pi the RSS matters more than one tiny allocation per packet.
  mqttPacket.writeToStream.cacheNumbers = false;
  const log =
    options.log ?? pino({ level: config.logLevel, base: { gateway: config.gatewayId }, redact: [...LOG_REDACT_PATHS] });
  // Both advertisement generations: before Bot firmware 6.4 and from it (see SWITCHBOT_SCAN_UUIDS).
  const central = new NobleCentral({ noble, timeouts: config.ble, serviceUuids: [...SWITCHBOT_SCAN_UUIDS], log });
  const pool = new ConnectionPool({
    central,
    maxConnections: config.ble.maxConnections,
    idleMs: config.ble.idleMs,
    responseMs: config.ble.responseMs,
    log,
  });
  const cloud = new CloudLink({
    url: config.mqtt.url,
    gatewayId: config.gatewayId,
    username: config.mqtt.username,
    password: config.mqtt.password,
    maxInFlight: config.mqtt.maxInFlight,
    log,
  });
  const now = Date.now;
  const book = new DeviceBook(config.dataDir, log);
  const registry = new DeviceRegistry(book, now, log);
  const local = config.local.url
    ? new LocalLink({
        url: config.local.url,
        clientId: `switchfleet-${config.gatewayId}`,
        baseTopic: config.local.baseTopic,
        extraFilters: config.local.homeassistant ? [`${config.local.discoveryPrefix}/status`] : [],
        log,
        ...(config.local.username ? { username: config.local.username } : {}),
        ...(config.local.password ? { password: config.local.password } : {}),
      })
    : undefined;
  let deps: GatewayParts | undefined;
  let features: Feature[] = [];
  let started = false;

  return {
    get deps() {
      if (!deps) throw new Error('gateway not started');
      return deps;
    },
    async start() {
      const outbox = await Outbox.open({
        dir: join(config.dataDir, 'outbox'),
        maxBytes: config.outbox.maxBytes,
        segmentBytes: config.outbox.segmentBytes,
        rememberResults: config.outbox.rememberResults,
        fsync: config.outbox.fsync,
        window: config.mqtt.maxInFlight,
        log,
      });
      const trustedKeys = await Promise.all(config.ota.trustedKeyFiles.map((f) => readFile(f, 'utf8')));
      const otaFeature = ota({ pool, log, now, registry }, { trustedKeys });
      const updating = (address: string) => otaFeature.active.includes(address);
      const runner = new CommandRunner({ registry, pool, log, now, config, updating });
      deps = {
        config,
        central,
        pool,
        registry,
        book,
        cloud,
        ...(local ? { local } : {}),
        ota: otaFeature,
        outbox,
        runner,
        health: new HealthMonitor(now),
        log,
        now,
        requestRestart: onRestart,
      };
      features = [
        availability(deps),
        cloudReport(deps),
        commands(deps),
        deps.ota,
        // After ota, so it stops first: its jobs end as "stopping", not as aborted updates.
        firmwareJobs({ ...deps, trustedKeys }),
        ...(local ? [localBridge(deps, local)] : []),
        healthFeature(deps),
        // Last, so every listener is in place before the first advertisement.
        discovery(deps),
      ];
      await central.start();
      outbox.attach(cloud);
      await cloud.start();
      for (const f of features) await f.start();
      started = true;
      log.info({ features: features.map((f) => f.name), nextSeq: outbox.nextSeq }, 'gateway started');
    },
    async stop() {
      if (!started || !deps) return;
      started = false;
      // Stop taking work (scanning stops with discovery), let commands on the air finish and hand
      // back the rest, drop links, give the outbox a moment to empty, then close the cloud link.
      for (const f of [...features].reverse()) await f.stop();
      await pool.closeAll();
      await central.stop();
      const flushed = await deps.outbox.drain(cloud.connected ? config.outbox.drainMs : 0);
      if (!flushed)
        log.warn({ pending: deps.outbox.stats().records }, 'outbox not empty at stop; it is sent after the next start');
      await cloud.stop();
      await deps.outbox.close();
      await book.flush();
      log.info('gateway stopped');
    },
  };
}
