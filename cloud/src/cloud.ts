/**
 * Composition root: opens the database (running migrations), starts the embedded broker or points
 * at an external one, connects the cloud's MQTT client, wires the services and the sweeper, and
 * hands back one `close()` that releases all of it in reverse order.
 */
import type { MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { connectCloudClient } from './broker/client.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded.ts';
import type { Database, Db } from './db/database.ts';
import { openDatabase } from './db/open.ts';
import { newSecret } from './secrets.ts';
import { AccountService } from './services/accounts.ts';
import { CommandEvents } from './services/command-events.ts';
import { CommandService, type CommandPublisher } from './services/commands.ts';
import { DeviceService } from './services/devices.ts';
import { GatewayService } from './services/gateways.ts';
import { HealthService } from './services/health.ts';
import { HomeService } from './services/homes.ts';
import { INGEST_FILTERS, IngestService } from './services/ingest.ts';

export interface CloudConfig {
  /** PGlite directory. With neither dataDir nor databaseUrl the database lives in memory. */
  dataDir?: string | undefined;
  /** PostgreSQL URL; takes precedence over dataDir. */
  databaseUrl?: string | undefined;
  /** Embedded broker TCP port; default 1883, 0 = ephemeral. Ignored with mqttUrl. */
  mqttPort?: number | undefined;
  /** Embedded broker bind address; default 127.0.0.1. */
  mqttHost?: string | undefined;
  /** External broker (credentials in the URL); when set no broker is embedded. */
  mqttUrl?: string | undefined;
  /** pino logger; default silent. */
  logger?: Logger | undefined;
  /** How often expired commands are swept; default 1000 ms. */
  commandSweepMs?: number | undefined;
  /** Lifetime of a command created without an explicit ttlMs; default 30 s. */
  commandTtlMs?: number | undefined;
}

export interface CloudServices {
  accounts: AccountService;
  homes: HomeService;
  gateways: GatewayService;
  devices: DeviceService;
  commands: CommandService;
  ingest: IngestService;
  health: HealthService;
}

export interface BrokerInfo {
  mode: 'embedded' | 'external';
  /** Where gateways connect, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  /** The embedded broker's bound port (useful with mqttPort 0); null for an external broker. */
  port: number | null;
}

export interface Cloud {
  /** The drizzle instance (same as database.db). */
  db: Db;
  /** The Database port: which driver, ping, close. */
  database: Database;
  broker: BrokerInfo;
  services: CloudServices;
  /** Releases broker, clients, database and timers. Idempotent. */
  close(): Promise<void>;
}

export async function createCloud(config: CloudConfig = {}): Promise<Cloud> {
  const logger = config.logger ?? pino({ level: 'silent' });
  const cleanups: (() => Promise<void> | void)[] = [];
  const unwind = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (e) {
        logger.warn({ err: e }, 'cloud cleanup step failed');
      }
    }
  };

  try {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    cleanups.push(() => database.close());
    logger.info({ kind: database.kind }, 'database ready');
    const { db } = database;

    const accounts = new AccountService(db);
    const homes = new HomeService(db);
    const gateways = new GatewayService(db);
    const devices = new DeviceService(db);

    let embedded: EmbeddedBroker | undefined;
    let brokerInfo: BrokerInfo;
    let client: MqttClient;
    if (config.mqttUrl) {
      client = await connectCloudClient({ url: config.mqttUrl, logger });
      brokerInfo = { mode: 'external', url: config.mqttUrl, port: null };
    } else {
      await gateways.markAllOffline();
      const internal = { username: '$cloud', password: newSecret() };
      const host = config.mqttHost ?? '127.0.0.1';
      embedded = await startEmbeddedBroker({
        port: config.mqttPort ?? 1883,
        host,
        internal,
        verifyGateway: (id, secret) => gateways.verifySecret(id, secret),
        logger,
      });
      cleanups.push(() => embedded?.close());
      const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      const url = `mqtt://${reachable.includes(':') ? `[${reachable}]` : reachable}:${embedded.port}`;
      client = await connectCloudClient({ url, ...internal, logger });
      brokerInfo = { mode: 'embedded', url, port: embedded.port };
    }
    cleanups.push(() => client.endAsync(true));

    const events = new CommandEvents();
    const publisher: CommandPublisher = {
      publish: async (topic, payload) => {
        await client.publishAsync(topic, payload, { qos: 1 });
      },
    };
    const commands = new CommandService({
      db,
      devices,
      publisher,
      events,
      logger,
      ...(config.commandTtlMs !== undefined ? { defaultTtlMs: config.commandTtlMs } : {}),
    });
    const ingest = new IngestService({ db, gateways, commands, logger });
    const onMessage = (topic: string, payload: Buffer) => ingest.handle(topic, payload);
    client.on('message', onMessage);
    cleanups.push(async () => {
      client.removeListener('message', onMessage);
      await ingest.stop();
    });
    await client.subscribeAsync([...INGEST_FILTERS], { qos: 1 });

    cleanups.push(commands.startSweeper(config.commandSweepMs ?? 1000));
    const health = new HealthService({
      database,
      gateways,
      brokerUp: () => client.connected && (embedded ? embedded.isUp() : true),
    });

    let closing: Promise<void> | undefined;
    return {
      db,
      database,
      broker: brokerInfo,
      services: { accounts, homes, gateways, devices, commands, ingest, health },
      close() {
        closing ??= unwind();
        return closing;
      },
    };
  } catch (e) {
    await unwind();
    throw e;
  }
}
