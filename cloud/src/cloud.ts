/**
 * Composition root: opens the database (running migrations), starts the embedded broker or points
 * at an external one, connects the cloud's MQTT client, wires the services and the sweeper, and
 * hands back one `close()` that releases all of it in reverse order.
 */
import { pino, type Logger } from 'pino';
import { splitUrlCredentials, topicMap } from '@switchfleet/protocol';
import { connectCloudClient } from './broker/client.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded.ts';
import type { Database, Db } from './db/database.ts';
import { openDatabase } from './db/open.ts';
import { DEFAULT_DEVICE_OFFLINE_AFTER_S } from './config.ts';
import { checkTrustedKeys } from './trusted-keys.ts';
import { runEvery } from './periodic.ts';
import { InstanceIdInUseError } from './errors.ts';
import { newSecret } from './secrets.ts';
import { AccountService } from './accounts/accounts.ts';
import { LoginService } from './accounts/login.ts';
import { OperatorService } from './accounts/operators.ts';
import { AuditService } from './audit/audit.ts';
import { createMetrics, type CloudMetrics } from './metrics.ts';
import { CommandDispatcher, type CommandPublisher } from './commands/dispatch.ts';
import { CommandEvents } from './commands/events.ts';
import { CommandOutcomes } from './commands/outcomes.ts';
import { CommandService } from './commands/commands.ts';
import { DeviceViewCache } from './devices/view-cache.ts';
import { EventBus, isHomeEvent } from './events/bus.ts';
import { ShadowService } from './devices/shadow.ts';
import { SessionService } from './accounts/sessions.ts';
import { RateLimitService } from './accounts/rate-limits.ts';
import { InvitationService } from './accounts/invitations.ts';
import { ScheduleService } from './commands/schedules.ts';
import { DeviceService } from './devices/devices.ts';
import { GatewayService } from './devices/gateways.ts';
import { FleetService } from './devices/fleet.ts';
import { HealthService } from './devices/health.ts';
import { HomeService } from './accounts/homes.ts';
import { INGEST_FILTERS, IngestService } from './ingest/ingest.ts';
import { sourceIngestWorker, type IngestWorkerEntry } from './ingest/worker-entry.ts';
import { createReleases, type ReleaseOptions } from './releases/index.ts';
import type { ReleaseService } from './releases/releases.ts';
import type { SigningKeyService } from './releases/keys.ts';
import { createUpdates, type UpdateOptions } from './updates/index.ts';
import type { UpdateService } from './updates/jobs.ts';
import type { UpdateDispatcher } from './updates/dispatch.ts';
import type { DownloadSigner } from './updates/signed-url.ts';
import { createRollouts, type RolloutOptions } from './rollouts/index.ts';
import { FleetHealth } from './fleet-health/index.ts';
import type { RolloutService } from './rollouts/service.ts';

/** Longest pause between two looks for switches not heard for DEVICE_OFFLINE_AFTER_S. */
const OFFLINE_SWEEP_MAX_MS = 30_000;
/** How often ended rate-limit windows are deleted (a window is minutes long; rows are tiny). */
const RATE_LIMIT_PRUNE_MS = 60_000;

export interface CloudConfig extends Omit<ReleaseOptions, 'instanceId'>, UpdateOptions, RolloutOptions {
  /** PGlite directory. With neither dataDir nor databaseUrl the database lives in memory. */
  dataDir?: string | undefined;
  /** PostgreSQL URL; takes precedence over dataDir. */
  databaseUrl?: string | undefined;
  /**
   * An already open database to use instead of opening one (not closed by this cloud). Lets two
   * cloud instances share one in-process PGlite the way two processes share one PostgreSQL.
   */
  database?: Database | undefined;
  /**
   * With an external broker: subscribe to the up topics as the shared subscription
   * `$share/<group>/...` so that each message reaches one instance of the group (MQTT 5 §4.8.2;
   * mosquitto also offers it to 3.1.1 clients). Default "sf-cloud"; null subscribes plainly.
   */
  sharedGroup?: string | null | undefined;
  /** Embedded broker TCP port; default 1883, 0 = ephemeral. Ignored with mqttUrl. */
  mqttPort?: number | undefined;
  /** Embedded broker bind address; default 127.0.0.1. */
  mqttHost?: string | undefined;
  /** External broker (credentials in the URL); when set no broker is embedded. */
  mqttUrl?: string | undefined;
  /**
   * This instance's stable name (CLOUD_INSTANCE_ID). With an external broker the ingest keeps the
   * persistent session `sf-cloud-ingest-<instanceId>`, so the broker holds what gateways publish
   * while this instance restarts. Two running instances must not share one.
   */
  instanceId?: string | undefined;
  /** pino logger; default silent. */
  logger?: Logger | undefined;
  /** How often expired commands are swept; default 1000 ms. */
  commandSweepMs?: number | undefined;
  /** How often due schedules are polled; default 1000 ms. */
  scheduleTickMs?: number | undefined;
  /** Lifetime of a command created without an explicit ttlMs; default 30 s. */
  commandTtlMs?: number | undefined;
  /**
   * How long the ingest writes a batch again while the database is unavailable; default 60 s. Past
   * it the batch is left to the broker under a kept session (instanceId), dropped otherwise.
   */
  ingestRetryForMs?: number | undefined;
  /** A switch not heard for this long is taken offline; default DEFAULT_DEVICE_OFFLINE_AFTER_S. */
  deviceOfflineAfterMs?: number | undefined;
  /** How many switches one gateway may have registered; default DEFAULT_GATEWAY_MAX_DEVICES. */
  gatewayMaxDevices?: number | undefined;
  /**
   * The ingest worker's module (ingest/worker-entry.ts): the built cloud passes its prebuilt file;
   * default sourceIngestWorker, worker.ts bundled at run time, for a cloud running from its sources.
   */
  ingestWorker?: IngestWorkerEntry | undefined;
}

/** Settings the cloud was started with that its services read later (CloudConfig, checked). */
export interface CloudSettings {
  initialTrustedKeys: readonly string[];
}

export interface CloudServices {
  accounts: AccountService;
  operators: OperatorService;
  /** The login of households and operators alike (POST /v1/auth/login). */
  logins: LoginService;
  /** The audit log of operator actions: `record({actor, action, target, outcome, detail})`. */
  audit: AuditService;
  sessions: SessionService;
  rateLimits: RateLimitService;
  invitations: InvitationService;
  schedules: ScheduleService;
  shadows: ShadowService;
  homes: HomeService;
  gateways: GatewayService;
  devices: DeviceService;
  /** The operators' read-only fleet view: devices and gateways without a household's personal data. */
  fleet: FleetService;
  commands: CommandService;
  ingest: IngestService;
  health: HealthService;
  signingKeys: SigningKeyService;
  releases: ReleaseService;
  /** Firmware update jobs of single switches. */
  updates: UpdateService;
  /** Sends update jobs down; `setPublicUrl` tells it where gateways download images (once the API listens). */
  updateDispatcher: UpdateDispatcher;
  /** Signs and checks the images' download URLs (GET /v1/firmware/{sha256}). */
  downloadSigner: DownloadSigner;
  /** Staged rollouts of a release to many switches (the engine's tick runs in every instance). */
  rollouts: RolloutService;
}

export interface BrokerInfo {
  mode: 'embedded' | 'external';
  /**
   * The broker the cloud connects to, without credentials (safe to print), e.g. mqtt://127.0.0.1:1883.
   * Gateways connect there to the embedded broker; an external mosquitto has a listener of their own.
   */
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
  settings: CloudSettings;
  /** Prometheus registry and the cloud's instruments (the API adds its HTTP histogram). */
  metrics: CloudMetrics;
  /** State changes and command outcomes of every instance on this database (LISTEN/NOTIFY). */
  events: EventBus;
  /** Releases broker, clients, database and timers. Idempotent. */
  close(): Promise<void>;
}

export async function createCloud(config: CloudConfig = {}): Promise<Cloud> {
  const logger = config.logger ?? pino({ level: 'silent' });
  const settings: CloudSettings = { initialTrustedKeys: checkTrustedKeys(config.initialTrustedKeys ?? []) };
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
    // Booted first: loading the worker takes most of a second, which opening the database hides.
    const ingest = new IngestService(logger, config.ingestWorker ?? sourceIngestWorker);
    // Ends the worker should the cloud not come up; once started, it stops in its place below.
    cleanups.push(() => ingest.stop());
    const database =
      config.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
    if (!config.database) cleanups.push(() => database.close());
    logger.info({ kind: database.kind }, 'database ready');
    const { db } = database;

    const accounts = new AccountService(db);
    const views = new DeviceViewCache();
    const homes = new HomeService(db, () => views.clear());
    const gateways = new GatewayService(db, () => views.clear());
    const devices = new DeviceService(db, views);
    const metrics = createMetrics({ gatewaysConnected: () => gateways.countOnline() });
    const bus = new EventBus(database, logger);
    await bus.start();
    cleanups.push(() => bus.stop());
    // Registered before any waiter or live stream, so a view is dropped before anyone is told of its change.
    cleanups.push(
      bus.subscribe((event) => {
        if (isHomeEvent(event)) views.forgetDevice(event.deviceId);
      }),
    );
    cleanups.push(bus.onGap(() => views.clear()));
    // A member removed on another instance must not go on reading this instance's cached views.
    cleanups.push(bus.onMembershipChanged(() => views.clear()));
    const shadows = new ShadowService(db, bus);
    const sessions = new SessionService(db, bus);
    const operators = new OperatorService(db, sessions);
    const audit = new AuditService(db);

    let embedded: EmbeddedBroker | undefined;
    let brokerInfo: BrokerInfo;
    /** How the cloud's clients (this one for commands, the ingest worker's for the up topics) log in. */
    let login: { url: string; username?: string; password?: string };
    if (config.mqttUrl) {
      login = { url: config.mqttUrl };
      brokerInfo = { mode: 'external', url: splitUrlCredentials(config.mqttUrl).url, port: null };
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
      login = { url, ...internal };
      brokerInfo = { mode: 'embedded', url, port: embedded.port };
    }
    const client = await connectCloudClient({ ...login, logger });
    cleanups.push(() => client.endAsync(true));

    const events = new CommandEvents(bus);
    const publisher: CommandPublisher = {
      publish: async (topic, payload) => {
        await client.publishAsync(topic, payload, { qos: 1 });
      },
    };
    const outcomes = new CommandOutcomes(db, bus, (status) => metrics.commandOutcomes.inc({ status }));
    const dispatcher = new CommandDispatcher(db, publisher, outcomes, logger);
    const releases = await createReleases(db, { ...config, initialTrustedKeys: settings.initialTrustedKeys }, logger);
    const updateDomain = createUpdates(
      { db, bus, releases: releases.releases, publisher, logger: logger.child({ part: 'updates' }) },
      config,
    );
    // Gateways were all taken offline above (the embedded broker is new): what was sent is sent again.
    if (!config.mqttUrl) await updateDomain.dispatcher.forget({ all: true });
    const commands = new CommandService({
      updates: updateDomain.updates,
      db,
      devices,
      shadows,
      dispatcher,
      outcomes,
      events,
      logger,
      metrics,
      ...(config.commandTtlMs !== undefined ? { defaultTtlMs: config.commandTtlMs } : {}),
    });
    const group = config.mqttUrl ? (config.sharedGroup === undefined ? 'sf-cloud' : config.sharedGroup) : null;
    // Each message of the group reaches one instance, except gateway status, which every instance
    // takes plainly: it is retained, and a shared subscription gets no retained message (MQTT 5
    // §4.8.2; mosquitto since 2.0.13), so an instance started or reconnected after a gateway announced
    // itself would not know it is online. Applying a status is idempotent, it drops each instance's
    // device views, and the reconcile it starts is locked per gateway and claims each command once.
    const status = topicMap.gatewayStatus.filter;
    const filters = INGEST_FILTERS.map((f) => (group && f !== status ? `$share/${group}/${f}` : f));
    // A session kept at an external broker; the embedded broker ends with this process anyway.
    const sessionId = config.mqttUrl && config.instanceId ? `sf-cloud-ingest-${config.instanceId}` : undefined;
    if (config.mqttUrl && !sessionId) {
      logger.warn(
        'CLOUD_INSTANCE_ID is not set: what gateways publish while this instance is down is not kept for it by the broker',
      );
    }
    if (sessionId) {
      const release = await database.claim(sessionId, () => {
        // Another instance started under this id while this one's database session was away: two
        // clients under one MQTT client id would take the session from each other at every
        // reconnect, so this one lets go (its health then reports the broker down).
        logger.error(
          { instanceId: config.instanceId },
          'another instance took CLOUD_INSTANCE_ID while the database session holding it was lost; this instance stops its ingest',
        );
        void ingest.stop().catch(() => {});
      });
      if (!release) throw new InstanceIdInUseError(config.instanceId!);
      cleanups.push(release);
    }
    await ingest.start({ db, gateways, commands, updates: updateDomain, metrics }, async () => ({
      mqtt: { ...login, filters, sessionId },
      database: await database.share(),
      retryForMs: config.ingestRetryForMs,
      maxDevicesPerGateway: config.gatewayMaxDevices,
    }));
    // Before the broker and the database go: the worker writes what it has queued.
    cleanups.push(() => ingest.stop());

    cleanups.push(commands.startSweeper(config.commandSweepMs ?? 1000));
    const offlineAfterMs = config.deviceOfflineAfterMs ?? DEFAULT_DEVICE_OFFLINE_AFTER_S * 1000;
    // Checked four times per period (at most every OFFLINE_SWEEP_MAX_MS), so a switch goes offline
    // at most a quarter of the period late.
    const offlineSweepMs = Math.max(100, Math.min(offlineAfterMs / 4, OFFLINE_SWEEP_MAX_MS));
    cleanups.push(runEvery(offlineSweepMs, () => shadows.markSilentOffline(offlineAfterMs), logger, 'offline sweep'));
    const schedules = new ScheduleService({
      db,
      devices,
      shadows,
      dispatcher,
      logger,
      onRun: () => metrics.commandsCreated.inc({ source: 'schedule' }),
    });
    cleanups.push(schedules.start(config.scheduleTickMs ?? 1000));
    const rateLimits = new RateLimitService(db);
    cleanups.push(rateLimits.startPruning(RATE_LIMIT_PRUNE_MS, logger));
    cleanups.push(releases.start());
    cleanups.push(updateDomain.start(logger));
    const rolloutDomain = createRollouts(
      {
        db,
        bus,
        releases: releases.releases,
        updates: updateDomain.updates,
        logger: logger.child({ part: 'rollouts' }),
      },
      // The health gate judges the fleet's own telemetry (command outcomes, disconnects, reboots)
      // unless the caller hands it another source.
      { ...config, rolloutHealth: config.rolloutHealth ?? new FleetHealth(db) },
    );
    cleanups.push(rolloutDomain.start());
    const health = new HealthService({
      database,
      gateways,
      brokerUp: () => client.connected && ingest.up && (embedded ? embedded.isUp() : true),
    });

    let closing: Promise<void> | undefined;
    return {
      db,
      database,
      broker: brokerInfo,
      services: {
        accounts,
        operators,
        logins: new LoginService(accounts, operators, audit),
        audit,
        sessions,
        rateLimits,
        invitations: new InvitationService(db, homes),
        schedules,
        homes,
        gateways,
        devices,
        fleet: new FleetService(db),
        commands,
        ingest,
        health,
        shadows,
        signingKeys: releases.signingKeys,
        releases: releases.releases,
        updates: updateDomain.updates,
        updateDispatcher: updateDomain.dispatcher,
        downloadSigner: updateDomain.signer,
        rollouts: rolloutDomain.rollouts,
      },
      settings,
      metrics,
      events: bus,
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
