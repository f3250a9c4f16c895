/** Settings of the `npm start` launcher itself (the cloud and gateway parse their own). */
export interface LauncherConfig {
  simSwitches: number;
  simSeed: number | undefined;
  gatewayId: string;
  /** Port of the local broker for the gateway's Zigbee2MQTT-style bridge; 0 turns it off. */
  localMqttPort: number;
  /** 'pretty': readable lines (pino-pretty) for a person at a terminal; 'json': one JSON object a line. */
  logFormat: 'pretty' | 'json';
  /** SIM_GATEWAY_MQTT_URL: where the simulated gateway connects (behind mosquitto, its gateways' listener). */
  gatewayMqttUrl: string | undefined;
  /** MOSQUITTO_DIR: behind mosquitto, where its password files and ACL are written at start. */
  mosquittoDir: string | undefined;
  /** SIM_USAGE_PER_MIN: presses per simulated switch per minute through the command service; 0 is off. */
  simUsagePerMinute: number;
}

/** What the launcher's output is connected to (process.stdout.isTTY), for LOG_FORMAT=auto. */
export interface LauncherOutput {
  stdoutIsTTY: boolean;
}

const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
/** One press a second per switch: beyond that a switch is busy with its own motor (bot.md, status 0x03). */
const MAX_USAGE_PER_MIN = 60;

export class LauncherConfigError extends Error {
  readonly code = 'LAUNCHER_CONFIG';
}

export function parseLauncherConfig(
  env: Readonly<Record<string, string | undefined>>,
  output: LauncherOutput = { stdoutIsTTY: false },
): LauncherConfig {
  const count = Number(env.SIM_SWITCHES ?? '8');
  if (!Number.isInteger(count) || count < 0 || count > 500) {
    throw new LauncherConfigError(`SIM_SWITCHES must be an integer from 0 to 500, got "${env.SIM_SWITCHES}"`);
  }
  let simSeed: number | undefined;
  if (env.SIM_SEED !== undefined && env.SIM_SEED !== '') {
    simSeed = Number(env.SIM_SEED);
    if (!Number.isInteger(simSeed) || simSeed < 0)
      throw new LauncherConfigError(`SIM_SEED must be a non-negative integer, got "${env.SIM_SEED}"`);
  }
  const gatewayId = env.SIM_GATEWAY_ID ?? 'sim-gw-1';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(gatewayId))
    throw new LauncherConfigError(`SIM_GATEWAY_ID "${gatewayId}" is not a valid gateway id`);
  const localMqttPort = Number(env.LOCAL_MQTT_PORT ?? '1884');
  if (!Number.isInteger(localMqttPort) || localMqttPort < 0 || localMqttPort > 65535) {
    throw new LauncherConfigError(
      `LOCAL_MQTT_PORT must be a port number (0 turns the local bridge off), got "${env.LOCAL_MQTT_PORT}"`,
    );
  }
  const format = env.LOG_FORMAT || 'auto';
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new LauncherConfigError(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, got "${format}"`);
  }
  const logFormat = format === 'auto' ? (output.stdoutIsTTY ? 'pretty' : 'json') : (format as 'pretty' | 'json');
  const gatewayMqttUrl = env.SIM_GATEWAY_MQTT_URL || undefined;
  if (gatewayMqttUrl !== undefined && !URL.canParse(gatewayMqttUrl)) {
    throw new LauncherConfigError('SIM_GATEWAY_MQTT_URL is not a URL');
  }
  const mosquittoDir = env.MOSQUITTO_DIR || undefined;
  if (mosquittoDir !== undefined && !env.MQTT_URL) {
    throw new LauncherConfigError('MOSQUITTO_DIR needs MQTT_URL (the cloud behind mosquitto)');
  }
  const simUsagePerMinute = Number(env.SIM_USAGE_PER_MIN || '0');
  if (!Number.isFinite(simUsagePerMinute) || simUsagePerMinute < 0 || simUsagePerMinute > MAX_USAGE_PER_MIN) {
    throw new LauncherConfigError(
      `SIM_USAGE_PER_MIN must be a number of presses per switch per minute from 0 to ${MAX_USAGE_PER_MIN}, got "${env.SIM_USAGE_PER_MIN}"`,
    );
  }
  return {
    simSwitches: count,
    simSeed,
    gatewayId,
    localMqttPort,
    logFormat,
    gatewayMqttUrl,
    mosquittoDir,
    simUsagePerMinute,
  };
}
