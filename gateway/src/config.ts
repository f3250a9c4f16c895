/**
 * Gateway configuration: defaults, then an optional JSON file, then environment variables, validated
 * once at start with errors that name the setting. The only module that reads the environment.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { splitUrlCredentials } from '@switchfleet/protocol';
import { ConfigError } from './errors.ts';

const Ms = Type.Integer({ minimum: 0 });

export const GatewayConfigSchema = Type.Object(
  {
    gatewayId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    mqtt: Type.Object(
      {
        url: Type.String({ minLength: 1 }),
        username: Type.String({ minLength: 1 }),
        password: Type.String({ minLength: 1 }),
        maxInFlight: Type.Integer({ minimum: 1, maximum: 1000 }),
      },
      { additionalProperties: false },
    ),
    ble: Type.Object(
      {
        maxConnections: Type.Integer({ minimum: 1, maximum: 20 }),
        idleMs: Ms,
        connectMs: Ms,
        discoverMs: Ms,
        readMs: Ms,
        writeMs: Ms,
        responseMs: Ms,
        interviewRetryMs: Ms,
      },
      { additionalProperties: false },
    ),
    availability: Type.Object(
      {
        offlineAfterMs: Type.Integer({ minimum: 100 }),
        /** How often a switch heard since its last report is reported again (the cloud's liveness). */
        reportEveryMs: Type.Integer({ minimum: 100 }),
      },
      { additionalProperties: false },
    ),
    commands: Type.Object(
      { retryBaseMs: Ms, retryMaxMs: Ms, rememberIds: Type.Integer({ minimum: 1 }) },
      { additionalProperties: false },
    ),
    /** Where the outbox and the device list live (on a Pi: /var/lib/switchfleet-gateway). */
    dataDir: Type.String({ minLength: 1 }),
    outbox: Type.Object(
      {
        maxBytes: Type.Integer({ minimum: 4096 }),
        segmentBytes: Type.Integer({ minimum: 1024 }),
        rememberResults: Type.Integer({ minimum: 1 }),
        fsync: Type.Boolean(),
        /** How long a graceful stop waits for the outbox to empty. */
        drainMs: Ms,
      },
      { additionalProperties: false },
    ),
    local: Type.Object(
      {
        /** The local broker of the Zigbee2MQTT-style bridge; absent turns the bridge off. */
        url: Type.Optional(Type.String({ minLength: 1 })),
        username: Type.Optional(Type.String({ minLength: 1 })),
        password: Type.Optional(Type.String({ minLength: 1 })),
        baseTopic: Type.String({ pattern: '^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$' }),
        homeassistant: Type.Boolean(),
        discoveryPrefix: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
        /** Time a command from the local bridge may take before it expires. */
        commandTtlMs: Type.Integer({ minimum: 100 }),
        /** Largest payload accepted on a bridge topic. */
        maxPayloadBytes: Type.Integer({ minimum: 64 }),
      },
      { additionalProperties: false },
    ),
    ota: Type.Object(
      {
        /** The signed image device/ota_update/update installs; absent: updates are refused. */
        imageFile: Type.Optional(Type.String({ minLength: 1 })),
        /** SPKI PEM files of the keys images must be signed with. */
        trustedKeyFiles: Type.Array(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    updates: Type.Object(
      {
        /** Update jobs running at once on this gateway; the rest wait queued (the radio is the household's). */
        maxConcurrent: Type.Integer({ minimum: 1, maximum: 20 }),
        /** A switch reporting less battery than this (percent) is not updated: the job fails low_battery. */
        minBatteryPercent: Type.Integer({ minimum: 0, maximum: 100 }),
        /** Bytes of downloaded images kept in dataDir/images (least recently used go first). */
        cacheBytes: Type.Integer({ minimum: 0 }),
        /** Tries of a download cut mid-way (each resumes with Range) before the job fails. */
        downloadAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
        /** A download that receives nothing for this long is cut and resumed (a stalled server). */
        downloadIdleMs: Type.Integer({ minimum: 100 }),
        /** How often a job waiting for its switch looks again. */
        waitPollMs: Type.Integer({ minimum: 10 }),
        /**
         * Updates of one job lost on the link in a row without upload progress before the job fails
         * link_lost (a switch the gateway can reach but never finish); progress starts the count over.
         */
        linkLossLimit: Type.Integer({ minimum: 1, maximum: 100 }),
      },
      { additionalProperties: false },
    ),
    health: Type.Object({ intervalMs: Type.Integer({ minimum: 100 }) }, { additionalProperties: false }),
    systemd: Type.Object(
      {
        /** $NOTIFY_SOCKET: where sd_notify datagrams go (absent outside systemd). */
        notifySocket: Type.Optional(Type.String({ minLength: 1 })),
        /** $WATCHDOG_USEC in ms: the unit's WatchdogSec; pings go at half of it. */
        watchdogMs: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { additionalProperties: false },
    ),
    logLevel: Type.Union([
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ]),
  },
  { additionalProperties: false },
);

export type GatewayConfig = Static<typeof GatewayConfigSchema>;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type GatewayConfigInput = DeepPartial<GatewayConfig>;

export const gatewayDefaults = {
  mqtt: { url: 'mqtt://127.0.0.1:1883', maxInFlight: 64 },
  ble: {
    // A Pi's controller holds about 7 links; keep headroom for OTA and interviews.
    maxConnections: 5,
    idleMs: 10_000,
    connectMs: 10_000,
    discoverMs: 5_000,
    readMs: 3_000,
    writeMs: 3_000,
    responseMs: 5_000,
    interviewRetryMs: 30_000,
  },
  availability: { offlineAfterMs: 5 * 60_000, reportEveryMs: 5 * 60_000 },
  commands: { retryBaseMs: 200, retryMaxMs: 2_000, rememberIds: 10_000 },
  outbox: { maxBytes: 8 * 1024 * 1024, segmentBytes: 1024 * 1024, rememberResults: 2_000, fsync: true, drainMs: 5_000 },
  local: {
    baseTopic: 'switchfleet',
    homeassistant: true,
    discoveryPrefix: 'homeassistant',
    commandTtlMs: 10_000,
    maxPayloadBytes: 4096,
  },
  ota: { trustedKeyFiles: [] as string[] },
  updates: {
    maxConcurrent: 1,
    minBatteryPercent: 30,
    cacheBytes: 32 * 1024 * 1024,
    downloadAttempts: 5,
    downloadIdleMs: 30_000,
    waitPollMs: 1_000,
    linkLossLimit: 3,
  },
  health: { intervalMs: 60_000 },
  systemd: {},
  logLevel: 'info' as GatewayConfig['logLevel'],
};

const check = Compile(GatewayConfigSchema);

/** Merges layers (later wins) and validates; throws ConfigError naming the first bad setting. */
export function resolveGatewayConfig(...layers: GatewayConfigInput[]): GatewayConfig {
  const merged = layers.reduce<Record<string, unknown>>(
    (acc, layer) => deepMerge(acc, layer as Record<string, unknown>),
    deepMerge({}, gatewayDefaults),
  );
  // One directory per gateway id by default, so two gateways never share an outbox.
  if (merged.dataDir === undefined && typeof merged.gatewayId === 'string')
    merged.dataDir = `./data/gateway/${merged.gatewayId}`;
  moveUrlCredentials(merged.mqtt);
  moveUrlCredentials(merged.local);
  if (!check.Check(merged)) {
    const e = [...check.Errors(merged)][0];
    const where = (e?.instancePath || '/').slice(1).replace(/\//g, '.') || '(root)';
    const extra = (e?.params as { additionalProperties?: string[] } | undefined)?.additionalProperties;
    // TypeBox reports an additional property as a "false" schema at the property's own path.
    const what = extra?.length
      ? `has unknown setting(s) ${extra.join(', ')}`
      : e?.message === 'schema is false'
        ? 'is not a known setting'
        : (e?.message ?? 'is invalid');
    throw new ConfigError(`gateway config: ${where} ${what}`);
  }
  return merged as GatewayConfig;
}

/** Reads GATEWAY_CONFIG (a JSON file) and the environment variables documented in gateway/deploy/README.md. */
export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv): GatewayConfig {
  let file: GatewayConfigInput = {};
  if (env.GATEWAY_CONFIG) {
    try {
      file = JSON.parse(readFileSync(env.GATEWAY_CONFIG, 'utf8')) as GatewayConfigInput;
    } catch (err) {
      throw new ConfigError(`GATEWAY_CONFIG ${env.GATEWAY_CONFIG}: ${(err as Error).message}`);
    }
  }
  const fromEnv: GatewayConfigInput = {
    mqtt: {},
    ble: {},
    local: {},
    outbox: {},
    updates: {},
    health: {},
    systemd: {},
  };
  if (env.GATEWAY_ID) fromEnv.gatewayId = env.GATEWAY_ID;
  if (env.MQTT_URL) fromEnv.mqtt!.url = env.MQTT_URL;
  if (env.MQTT_USERNAME) fromEnv.mqtt!.username = env.MQTT_USERNAME;
  if (env.MQTT_PASSWORD) fromEnv.mqtt!.password = env.MQTT_PASSWORD;
  if (env.BLE_MAX_CONNECTIONS) fromEnv.ble!.maxConnections = integer('BLE_MAX_CONNECTIONS', env.BLE_MAX_CONNECTIONS);
  if (env.LOG_LEVEL) fromEnv.logLevel = env.LOG_LEVEL as GatewayConfig['logLevel'];
  if (env.GATEWAY_DATA_DIR) fromEnv.dataDir = env.GATEWAY_DATA_DIR;
  if (env.OUTBOX_MAX_BYTES) fromEnv.outbox!.maxBytes = integer('OUTBOX_MAX_BYTES', env.OUTBOX_MAX_BYTES);
  if (env.LOCAL_MQTT_URL) fromEnv.local!.url = env.LOCAL_MQTT_URL;
  if (env.LOCAL_MQTT_USERNAME) fromEnv.local!.username = env.LOCAL_MQTT_USERNAME;
  if (env.LOCAL_MQTT_PASSWORD) fromEnv.local!.password = env.LOCAL_MQTT_PASSWORD;
  if (env.LOCAL_MQTT_BASE_TOPIC) fromEnv.local!.baseTopic = env.LOCAL_MQTT_BASE_TOPIC;
  if (env.HOMEASSISTANT_DISCOVERY)
    fromEnv.local!.homeassistant = boolean('HOMEASSISTANT_DISCOVERY', env.HOMEASSISTANT_DISCOVERY);
  if (env.OTA_IMAGE_FILE) fromEnv.ota = { imageFile: env.OTA_IMAGE_FILE };
  if (env.OTA_TRUSTED_KEY_FILES)
    fromEnv.ota = { ...fromEnv.ota, trustedKeyFiles: env.OTA_TRUSTED_KEY_FILES.split(',').filter(Boolean) };
  if (env.UPDATE_MAX_CONCURRENT)
    fromEnv.updates!.maxConcurrent = integer('UPDATE_MAX_CONCURRENT', env.UPDATE_MAX_CONCURRENT);
  if (env.UPDATE_MIN_BATTERY_PERCENT)
    fromEnv.updates!.minBatteryPercent = integer('UPDATE_MIN_BATTERY_PERCENT', env.UPDATE_MIN_BATTERY_PERCENT);
  if (env.UPDATE_LINK_LOSS_LIMIT)
    fromEnv.updates!.linkLossLimit = integer('UPDATE_LINK_LOSS_LIMIT', env.UPDATE_LINK_LOSS_LIMIT);
  if (env.UPDATE_CACHE_BYTES) fromEnv.updates!.cacheBytes = integer('UPDATE_CACHE_BYTES', env.UPDATE_CACHE_BYTES);
  if (env.HEALTH_INTERVAL_MS) fromEnv.health!.intervalMs = integer('HEALTH_INTERVAL_MS', env.HEALTH_INTERVAL_MS);
  // Set by systemd for Type=notify units (sd_notify(3)); WATCHDOG_USEC only when WatchdogSec= is set.
  if (env.NOTIFY_SOCKET) fromEnv.systemd!.notifySocket = env.NOTIFY_SOCKET;
  if (env.WATCHDOG_USEC)
    fromEnv.systemd!.watchdogMs = Math.max(1, Math.floor(integer('WATCHDOG_USEC', env.WATCHDOG_USEC) / 1000));
  const layers = [file, fromEnv];
  // The MQTT username defaults to the gateway id: the broker authenticates gateways that way.
  const id = fromEnv.gatewayId ?? file.gatewayId;
  if (id && !fromEnv.mqtt!.username && !file.mqtt?.username) layers.push({ mqtt: { username: id } });
  return resolveGatewayConfig(...layers);
}

/**
 * Credentials written into a broker URL (`mqtt://user:pass@host`) move to username/password unless
 * those are set, so the resolved configuration, which may be logged, holds no password in a URL.
 */
function moveUrlCredentials(section: unknown): void {
  if (!section || typeof section !== 'object') return;
  const s = section as { url?: unknown; username?: unknown; password?: unknown };
  if (typeof s.url !== 'string') return;
  const split = splitUrlCredentials(s.url);
  s.url = split.url;
  if (s.username === undefined && split.username !== undefined) s.username = split.username;
  if (s.password === undefined && split.password !== undefined) s.password = split.password;
}

function boolean(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

function integer(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${value}"`);
  return n;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      target[k] = deepMerge({ ...((target[k] as Record<string, unknown>) ?? {}) }, v as Record<string, unknown>);
    } else target[k] = v;
  }
  return target;
}
