/**
 * The whole system composed in one process: cloud (database + broker + services), REST API, and one
 * gateway on a simulated radio whose switches sit in the demo account's home. Used by `npm start`,
 * the end-to-end tests and the benchmarks, so all three run the same wiring. With `releaseKeysIn`,
 * the demo release signing key (release-keys.ts) is the one the cloud, the gateway and every
 * simulated switch (running a factory image signed with it) trust; with `operator`, that operator
 * exists.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { pino } from 'pino';
import {
  cloudAccountFromUrl,
  createCloud,
  deriveDownloadSecret,
  ensureDemo,
  ensureDemoOperator,
  writeMosquittoFiles,
  type Cloud,
  type DemoAccount,
  type Operator,
  type ReleaseSuitePort,
} from '@switchfleet/cloud';
import { buildApi } from '@switchfleet/mobile-api';
import {
  buildSimImage,
  SimFirmware,
  SWITCH_DEFAULTS,
  type SimRadio,
  type SimRadioOptions,
} from '@switchfleet/firmware-sim';
import type { Gateway, GatewayConfigInput } from '@switchfleet/gateway';
import { startSimGateway, startUsage, type UsageModel } from '@switchfleet/lab';
import { LabReleaseSuite } from '@switchfleet/lab/release-suite';
import { ensureReleaseKeys, type ReleaseKeys } from './release-keys.ts';

export interface SystemOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  mqttPort?: number;
  mqttHost?: string;
  mqttUrl?: string | undefined;
  /** With mqttUrl: the name under which the broker keeps this instance's ingest session (CLOUD_INSTANCE_ID). */
  instanceId?: string | undefined;
  /** With mqttUrl: the shared-subscription group, or null for a broker without `$share` (aedes). */
  sharedGroup?: string | null;
  /** DEVICE_OFFLINE_AFTER_S and GATEWAY_MAX_DEVICES, in the cloud's terms (cloud.ts). */
  deviceOfflineAfterMs?: number;
  gatewayMaxDevices?: number;
  jwtSecret: string;
  demoEmail: string;
  demoPassword: string;
  gatewayId: string;
  /**
   * Where the simulated gateway connects; default the cloud's broker. Behind mosquitto, the gateways'
   * listener (mosquittoListeners), as the cloud's own listener admits the cloud's account only.
   */
  gatewayMqttUrl?: string | undefined;
  /**
   * With mqttUrl: mosquitto's password files and ACL are written here (writeMosquittoFiles, as the
   * operator's CLI does) once the simulated gateway is provisioned; mosquitto admits it once reloaded.
   */
  mosquittoDir?: string | undefined;
  /** The gateway's outbox and device names; a fresh temporary directory suits tests. */
  gatewayDataDir: string;
  /** Local broker for the gateway's Zigbee2MQTT-style bridge; absent turns the bridge off. */
  localMqttUrl?: string | undefined;
  switches: number;
  radio?: SimRadioOptions;
  gateway?: GatewayConfigInput;
  /** PUBLIC_URL: the API's base as gateways reach it, for update download URLs; default where it listens. */
  publicUrl?: string | undefined;
  /** The operator to make once (an admin), e.g. OPERATOR_EMAIL / OPERATOR_PASSWORD. */
  operator?: { email: string; password: string } | undefined;
  /** DATA_DIR: the demo release signing key pair lives (and is made once) in its keys/ folder. */
  releaseKeysIn?: string | undefined;
  logger?: Logger;
  /** Runs the release suite on uploaded releases; default the lab's, in a child process per run. */
  releaseSuite?: ReleaseSuitePort;
  /**
   * SIM_USAGE_PER_MIN: the household usage model presses each of the demo home's switches this many
   * times a minute (Poisson, seeded from the radio's seed) through the cloud's command service, as
   * the app does; 0 or absent is off.
   */
  usagePerMinute?: number;
}

export interface System {
  /** The running cloud and its API; restartCloud() replaces both. */
  readonly cloud: Cloud;
  readonly api: FastifyInstance;
  /** The running gateway; startGateway() replaces it. */
  readonly gateway: Gateway;
  radio: SimRadio;
  demo: DemoAccount;
  /** The operator of `options.operator`, and whether this start made it. */
  operator: { operator: Operator; created: boolean } | undefined;
  /** The demo release signing key pair, with `releaseKeysIn`. */
  releaseKeys: ReleaseKeys | undefined;
  /** The household usage model (issues nothing unless `usagePerMinute` is above 0). */
  usage: UsageModel;
  /**
   * Starts the API listening and tells the cloud that gateways download images from it; resolves
   * with its base URL.
   */
  listen(port: number, host: string): Promise<string>;
  /** Stops the gateway (its jobs stay open on its data directory), keeping the radio and its switches. */
  stopGateway(): Promise<void>;
  /** Starts a new gateway on the same data directory, radio and switches. */
  startGateway(): Promise<void>;
  /**
   * Closes the API and the cloud and starts new ones on the same database and broker port (give
   * `mqttPort`, and `dataDir` or `databaseUrl`, for the gateway to come back to the same place); the
   * API listens again where it did.
   */
  restartCloud(): Promise<void>;
  /** Outside in: API, gateway, radio, cloud. */
  close(): Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<System> {
  const log = options.logger ?? pino({ level: 'silent' });
  const releaseKeys = options.releaseKeysIn === undefined ? undefined : await ensureReleaseKeys(options.releaseKeysIn);
  const openCloud = () =>
    createCloud({
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      mqttPort: options.mqttPort ?? 0,
      mqttHost: options.mqttHost,
      mqttUrl: options.mqttUrl,
      instanceId: options.instanceId,
      ...(options.sharedGroup !== undefined ? { sharedGroup: options.sharedGroup } : {}),
      deviceOfflineAfterMs: options.deviceOfflineAfterMs,
      gatewayMaxDevices: options.gatewayMaxDevices,
      initialTrustedKeys: releaseKeys ? [releaseKeys.publicKeyPem] : [],
      downloadSecret: deriveDownloadSecret(options.jwtSecret),
      // The demo key also signs the suite's baseline image for a model's first release.
      releaseSuite:
        options.releaseSuite ?? new LabReleaseSuite(releaseKeys ? { privateKeyPem: releaseKeys.privateKeyPem } : {}),
      logger: log.child({ part: 'cloud' }),
    });
  let cloud = await openCloud();
  const demo = await ensureDemo(cloud.services, {
    email: options.demoEmail,
    password: options.demoPassword,
    gatewayId: options.gatewayId,
  });
  const operator = options.operator && (await ensureDemoOperator(cloud.services, options.operator));

  if (options.mosquittoDir !== undefined) {
    const account = cloudAccountFromUrl(options.mqttUrl);
    await writeMosquittoFiles({
      dir: options.mosquittoDir,
      gateways: await cloud.services.gateways.brokerAccounts(),
      cloud: account,
    });
  }

  // Each switch runs the factory image under MCUboot's checks, trusting the demo release key alone.
  const factory =
    releaseKeys &&
    buildSimImage({
      version: SWITCH_DEFAULTS.firmwareVersion,
      hardwareId: SWITCH_DEFAULTS.hardwareId,
      privateKeyPem: releaseKeys.privateKeyPem,
    });
  const sim = await startSimGateway({
    gatewayId: options.gatewayId,
    radio: options.radio ?? {},
    switches: Array.from({ length: options.switches }, () =>
      factory && releaseKeys
        ? { behaviours: [new SimFirmware({ image: factory, trustedKeys: [releaseKeys.publicKeyPem] })] }
        : {},
    ),
    // The gateway's own account, never the cloud's: the broker's ACL then applies to it.
    mqtt: {
      url: options.gatewayMqttUrl ?? cloud.broker.url,
      username: demo.gateway.gatewayId,
      password: demo.gateway.secret,
    },
    dataDir: options.gatewayDataDir,
    config: {
      ...(options.localMqttUrl ? { local: { url: options.localMqttUrl } } : {}),
      ...(releaseKeys ? { ota: { trustedKeyFiles: [releaseKeys.publicPath] } } : {}),
      logLevel: log.level as 'info',
    },
    overrides: options.gateway ?? {},
    log: log.child({ part: 'gateway', gateway: options.gatewayId }),
  });

  const openApi = () => buildApi({ cloud, jwtSecret: options.jwtSecret, logger: log.child({ part: 'api' }) });
  let api = await openApi();
  // Through a getter, so the presses go to the cloud instance of the moment across restartCloud().
  const usage = startDemoUsage(() => cloud, demo, sim.radio.seed, options.usagePerMinute ?? 0, log);
  let listening: { port: number; host: string } | undefined;
  const listen = async (port: number, host: string) => {
    await api.listen({ port, host });
    const { port: bound } = api.server.address() as { port: number };
    listening = { port: bound, host };
    const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const base = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${bound}`;
    await cloud.services.updateDispatcher.setPublicUrl(options.publicUrl ?? base);
    return base;
  };
  let closing: Promise<void> | undefined;
  return {
    get cloud() {
      return cloud;
    },
    get api() {
      return api;
    },
    get gateway() {
      return sim.gateway;
    },
    radio: sim.radio,
    demo,
    operator,
    releaseKeys,
    usage,
    listen,
    stopGateway: () => sim.stop(),
    startGateway: () => sim.start(),
    async restartCloud() {
      await api.close();
      await cloud.close();
      cloud = await openCloud();
      api = await openApi();
      if (listening) await listen(listening.port, listening.host);
    },
    close() {
      closing ??= (async () => {
        await usage.stop();
        await api.close();
        await sim.close();
        await cloud.close();
      })();
      return closing;
    },
  };
}

/** How long the usage model goes on pressing the switches it last looked up before looking again. */
const USAGE_DEVICES_REFRESH_MS = 5_000;

/**
 * The usage model on the demo user's switches, each press a command created by the command service
 * (what POST /v1/devices/{id}/commands does), so its outcome is recorded per device. A refusal
 * (a switch being updated, say) is what the app would have shown; it is logged at debug.
 */
function startDemoUsage(
  cloudNow: () => Cloud,
  demo: DemoAccount,
  seed: number,
  perMinute: number,
  log: Logger,
): UsageModel {
  let known: { at: number; ids: string[] } | undefined;
  return startUsage({
    perMinute,
    seed,
    devices: async () => {
      if (!known || Date.now() - known.at > USAGE_DEVICES_REFRESH_MS) {
        const views = await cloudNow().services.devices.listForUser(demo.user.id);
        known = { at: Date.now(), ids: views.map((d) => d.id) };
      }
      return known.ids;
    },
    send: (deviceId, action) => cloudNow().services.commands.create(demo.user.id, deviceId, action),
    onError: (err, deviceId) => log.debug({ err, deviceId, part: 'usage' }, 'usage: command refused'),
  });
}
