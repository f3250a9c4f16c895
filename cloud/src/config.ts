/**
 * The one place that reads the environment. Everything else receives plain values, so tests and
 * launchers can build configurations without touching process.env.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from './errors.ts';
import { DEFAULT_HARDWARE_MODELS, DEFAULT_RELEASE_MAX_BYTES } from './releases/index.ts';
import { deriveDownloadSecret } from './updates/signed-url.ts';

export interface AppConfig {
  /** postgres:// URL; when set the cloud uses PostgreSQL instead of PGlite. */
  databaseUrl: string | undefined;
  /** PGlite data directory (DATA_DIR, default ./data), used when databaseUrl is not set. */
  dataDir: string;
  /** Embedded broker port (MQTT_PORT, default 1883). */
  mqttPort: number;
  /** Embedded broker bind address (MQTT_HOST, default 127.0.0.1). */
  mqttHost: string;
  /** External broker URL (MQTT_URL); when set no broker is embedded. */
  mqttUrl: string | undefined;
  /**
   * This instance's stable name (CLOUD_INSTANCE_ID): with an external broker, the ingest keeps a
   * persistent MQTT session under it, so what gateways publish while the instance restarts waits at
   * the broker. Unset: a fresh session per start.
   */
  instanceId: string | undefined;
  /**
   * With an external broker, the shared-subscription group the instances share the up topics in
   * (MQTT_SHARED_GROUP, default sf-cloud); null ("off") subscribes plainly: one instance, or a broker
   * without `$share`.
   */
  sharedGroup: string | null;
  /** HTTP port of the mobile API (PORT, default 3000). */
  port: number;
  /** HTTP bind address (HOST, default 127.0.0.1). */
  host: string;
  /**
   * The API's base URL as gateways reach it (PUBLIC_URL), e.g. behind a proxy or load balancer: the
   * firmware download URLs of update jobs start with it. Unset: the address the API listens on.
   * Absolute http(s), no query or fragment, no trailing slash (a path prefix is kept).
   */
  publicUrl: string | undefined;
  /** HS256 key for access tokens (JWT_SECRET, at least 32 characters). */
  jwtSecret: string;
  /** True when JWT_SECRET was unset and a random key was made: tokens do not survive a restart. */
  jwtSecretGenerated: boolean;
  demoEmail: string;
  demoPassword: string;
  /** The launcher's operator (OPERATOR_EMAIL / OPERATOR_PASSWORD), an admin made once by `npm start`. */
  operatorEmail: string;
  operatorPassword: string;
  /** True when OPERATOR_EMAIL or OPERATOR_PASSWORD was set: `npm run cloud` then makes that operator too. */
  operatorFromEnv: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** A switch not heard for this long shows offline (DEVICE_OFFLINE_AFTER_S, default 900 s). */
  deviceOfflineAfterMs: number;
  /** How many switches one gateway may have registered (GATEWAY_MAX_DEVICES, default 256). */
  gatewayMaxDevices: number;
  /** Largest firmware image an upload may have (RELEASE_MAX_BYTES, default 1 MiB). */
  releaseMaxBytes: number;
  /**
   * An Ed25519 private key (PKCS#8 PEM, as `switchfleet firmware keygen` writes it) the release suite
   * signs the baseline image with for a model's first release (RELEASE_BASELINE_KEY_FILE); its public
   * half must be a trusted signing key. Unset: a model's first release fails its update cases.
   */
  releaseBaselineKeyFile: string | undefined;
  /** Hardware ids releases may be built for (HARDWARE_MODELS, comma-separated; default the simulator's). */
  hardwareModels: string[];
}

/** Part of an MQTT client id: MQTT 3.1.1 §3.1.3.1 only promises 23 characters, brokers take more; kept short and plain. */
const INSTANCE_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/**
 * Three of the reference gateway's re-reports (every 5 min, gateway availability.reportEveryMs) may
 * go missing before a switch it still hears shows offline.
 */
export const DEFAULT_DEVICE_OFFLINE_AFTER_S = 900;
/** The demo operator's password of `npm start`, printed in its banner (a chosen one is not). */
export const DEFAULT_OPERATOR_PASSWORD = 'switchfleet-ops';
/** A household's switches fit many times over; a gateway inventing addresses does not. */
export const DEFAULT_GATEWAY_MAX_DEVICES = 256;

export function parseConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const issues: { variable: string; message: string }[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const port = (name: string, fallback: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > 65535) {
      issues.push({ variable: name, message: `"${text}" is not a port number (0-65535)` });
      return fallback;
    }
    return n;
  };
  const url = (name: string, schemes: readonly string[]): string | undefined => {
    const text = read(name);
    if (text === undefined) return undefined;
    let scheme: string;
    try {
      scheme = new URL(text).protocol.replace(/:$/, '');
    } catch {
      issues.push({ variable: name, message: 'is not a URL' });
      return undefined;
    }
    if (!schemes.includes(scheme))
      issues.push({ variable: name, message: `scheme must be one of ${schemes.join(', ')}` });
    return text;
  };

  const databaseUrl = url('DATABASE_URL', ['postgres', 'postgresql']);
  const publicUrl = baseUrl(read('PUBLIC_URL'), (message) => issues.push({ variable: 'PUBLIC_URL', message }));
  const mqttUrl = url('MQTT_URL', ['mqtt', 'mqtts', 'tcp', 'tls', 'ws', 'wss']);
  const jwtText = read('JWT_SECRET');
  if (jwtText !== undefined && jwtText.length < 32) {
    issues.push({ variable: 'JWT_SECRET', message: 'must have at least 32 characters' });
  }
  const demoEmail = read('DEMO_EMAIL') ?? 'demo@switchfleet.local';
  if (!/^[^\s@]+@[^\s@]+$/.test(demoEmail)) issues.push({ variable: 'DEMO_EMAIL', message: 'is not an email address' });
  const demoPassword = read('DEMO_PASSWORD') ?? 'switchfleet-demo';
  if (demoPassword.length < 8) issues.push({ variable: 'DEMO_PASSWORD', message: 'must have at least 8 characters' });
  const operatorEmail = read('OPERATOR_EMAIL') ?? 'ops@switchfleet.local';
  if (!/^[^\s@]+@[^\s@]+$/.test(operatorEmail))
    issues.push({ variable: 'OPERATOR_EMAIL', message: 'is not an email address' });
  const operatorPassword = read('OPERATOR_PASSWORD') ?? DEFAULT_OPERATOR_PASSWORD;
  if (operatorPassword.length < 8)
    issues.push({ variable: 'OPERATOR_PASSWORD', message: 'must have at least 8 characters' });
  if (operatorEmail.trim().toLowerCase() === demoEmail.trim().toLowerCase()) {
    issues.push({
      variable: 'OPERATOR_EMAIL',
      message: 'must differ from DEMO_EMAIL (an address is a household or an operator)',
    });
  }
  const instanceId = read('CLOUD_INSTANCE_ID');
  if (instanceId !== undefined && !INSTANCE_ID.test(instanceId)) {
    issues.push({
      variable: 'CLOUD_INSTANCE_ID',
      message: 'must be 1-40 characters of a-z, 0-9 and -, starting with a letter or digit',
    });
  }
  const groupText = read('MQTT_SHARED_GROUP') ?? 'sf-cloud';
  // A topic level of its own in `$share/<group>/<filter>` (MQTT 5 §4.8.2): no wildcard, no separator.
  if (groupText !== 'off' && !/^[A-Za-z0-9_-]{1,64}$/.test(groupText)) {
    issues.push({
      variable: 'MQTT_SHARED_GROUP',
      message: 'must be "off" or 1-64 characters of A-Z, a-z, 0-9, _ and -',
    });
  }
  const whole = (name: string, fallback: number, min: number, max: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      issues.push({ variable: name, message: `"${text}" is not a whole number from ${min} to ${max}` });
      return fallback;
    }
    return n;
  };
  const modelsText = read('HARDWARE_MODELS');
  const hardwareModels =
    modelsText === undefined ? [...DEFAULT_HARDWARE_MODELS] : modelsText.split(',').map((m) => m.trim());
  if (hardwareModels.some((m) => !/^[A-Za-z0-9._-]{1,64}$/.test(m))) {
    issues.push({
      variable: 'HARDWARE_MODELS',
      message: 'must be hardware ids separated by commas, each 1-64 characters of A-Z, a-z, 0-9, ., _ and -',
    });
  }
  const logLevel = (read('LOG_LEVEL') ?? 'info') as AppConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    issues.push({ variable: 'LOG_LEVEL', message: `must be one of ${LOG_LEVELS.join(', ')}` });

  const config: AppConfig = {
    databaseUrl,
    dataDir: read('DATA_DIR') ?? './data',
    mqttPort: port('MQTT_PORT', 1883),
    mqttHost: read('MQTT_HOST') ?? '127.0.0.1',
    mqttUrl,
    instanceId,
    sharedGroup: groupText === 'off' ? null : groupText,
    port: port('PORT', 3000),
    host: read('HOST') ?? '127.0.0.1',
    publicUrl,
    jwtSecret: jwtText ?? randomBytes(32).toString('base64url'),
    jwtSecretGenerated: jwtText === undefined,
    demoEmail,
    demoPassword,
    operatorEmail,
    operatorPassword,
    operatorFromEnv: read('OPERATOR_EMAIL') !== undefined || read('OPERATOR_PASSWORD') !== undefined,
    logLevel,
    // A week at most: past it a switch that is gone would still show online for days.
    deviceOfflineAfterMs: whole('DEVICE_OFFLINE_AFTER_S', DEFAULT_DEVICE_OFFLINE_AFTER_S, 1, 7 * 24 * 3600) * 1000,
    gatewayMaxDevices: whole('GATEWAY_MAX_DEVICES', DEFAULT_GATEWAY_MAX_DEVICES, 1, 100_000),
    // The images are kept in the database: 64 MiB is far past any switch's flash slot.
    releaseMaxBytes: whole('RELEASE_MAX_BYTES', DEFAULT_RELEASE_MAX_BYTES, 1024, 64 * 1024 * 1024),
    hardwareModels,
    releaseBaselineKeyFile: read('RELEASE_BASELINE_KEY_FILE'),
  };
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

/**
 * PUBLIC_URL checked and normalised: a path prefix is what a proxy strips before the API sees the
 * request, so it stays; the download URL's own query (RFC 3986 §3.4) is appended after the path, so
 * the base may carry neither a query nor a fragment.
 */
function baseUrl(text: string | undefined, issue: (message: string) => void): string | undefined {
  if (text === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    issue('is not an absolute URL');
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') issue('scheme must be http or https');
  else if (parsed.search !== '' || parsed.hash !== '' || /[?#]/.test(text)) issue('must have no query or fragment');
  else if (parsed.username !== '' || parsed.password !== '') issue('must carry no user name or password');
  else return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  return undefined;
}

/** What of the settings shapes the cloud itself (createCloud's options), for the processes that start one. */
export function cloudSettings(config: AppConfig) {
  return {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    mqttPort: config.mqttPort,
    mqttHost: config.mqttHost,
    mqttUrl: config.mqttUrl,
    instanceId: config.instanceId,
    sharedGroup: config.sharedGroup,
    deviceOfflineAfterMs: config.deviceOfflineAfterMs,
    gatewayMaxDevices: config.gatewayMaxDevices,
    releaseMaxBytes: config.releaseMaxBytes,
    hardwareModels: config.hardwareModels,
    // Every instance sharing JWT_SECRET checks the download URLs any of them signed.
    downloadSecret: deriveDownloadSecret(config.jwtSecret),
  };
}
