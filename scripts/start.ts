/**
 * `npm start`: the cloud with its embedded broker and database, the REST API, and one gateway over a
 * simulated radio with SIM_SWITCHES switches, already in the demo account's home. Ctrl-C stops all.
 */
import { join } from 'node:path';
import { cloudSettings, DEFAULT_OPERATOR_PASSWORD, parseConfig } from '@switchfleet/cloud';
import { redactUrl } from '@switchfleet/protocol';
import { parseLauncherConfig } from './launcher-config.ts';
import { launcherLogger } from './launcher-log.ts';
import { stopOnSignals } from './stop-on-signals.ts';
import { startPlainBroker } from './plain-broker.ts';
import { startSystem } from './system.ts';

const config = parseConfig(process.env);
const launcher = parseLauncherConfig(process.env, { stdoutIsTTY: process.stdout.isTTY === true });
const log = launcherLogger(config.logLevel, launcher.logFormat);

// The household's own broker for the gateway's Zigbee2MQTT-style bridge and Home Assistant discovery.
const localBroker =
  launcher.localMqttPort === 0 ? undefined : await startPlainBroker(launcher.localMqttPort, config.mqttHost);

const system = await startSystem({
  ...cloudSettings(config),
  jwtSecret: config.jwtSecret,
  demoEmail: config.demoEmail,
  demoPassword: config.demoPassword,
  gatewayId: launcher.gatewayId,
  gatewayMqttUrl: launcher.gatewayMqttUrl,
  mosquittoDir: launcher.mosquittoDir,
  gatewayDataDir: join(config.dataDir, 'gateway', launcher.gatewayId),
  localMqttUrl: localBroker?.url,
  switches: launcher.simSwitches,
  radio: launcher.simSeed === undefined ? {} : { seed: launcher.simSeed },
  operator: { email: config.operatorEmail, password: config.operatorPassword },
  releaseKeysIn: config.dataDir,
  usagePerMinute: launcher.simUsagePerMinute,
  publicUrl: config.publicUrl,
  logger: log,
});
const { cloud, radio, releaseKeys } = system;
// A password of the operator's own choosing (OPERATOR_PASSWORD) is not echoed; the default is the demo's.
const operatorPassword =
  config.operatorPassword === DEFAULT_OPERATOR_PASSWORD ? config.operatorPassword : '(OPERATOR_PASSWORD)';
await system.listen(config.port, config.host);
const keys = releaseKeys
  ? `${releaseKeys.privatePath} (private) and ${releaseKeys.publicPath} (public${releaseKeys.created ? ', made now' : ''})`
  : '(none)';
/** Reads the access token out of a login answer, in the curl lines below. */
const accessToken = `node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken'`;

const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
process.stdout.write(`
switchfleet is running
  REST API      ${base}   (OpenAPI UI ${base}/docs)
  MQTT broker   ${redactUrl(cloud.broker.url)}${launcher.gatewayMqttUrl ? ` (gateways: ${redactUrl(launcher.gatewayMqttUrl)})` : ''}${
    launcher.mosquittoDir
      ? `\n  mosquitto     files written to ${launcher.mosquittoDir}: reload mosquitto to admit gateway ${launcher.gatewayId}`
      : ''
  }
  local bridge  ${localBroker ? `${localBroker.url} (try: mosquitto_sub -h ${config.mqttHost} -p ${launcher.localMqttPort} -t 'switchfleet/#' -v)` : 'off (LOCAL_MQTT_PORT=0)'}
  database      ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`}
  simulator     ${launcher.simSwitches} switches under gateway ${launcher.gatewayId}, seed ${radio.seed} (SIM_SEED=${radio.seed} replays it)
  usage         ${launcher.simUsagePerMinute > 0 ? `${launcher.simUsagePerMinute} presses per switch per minute (SIM_USAGE_PER_MIN)` : 'off (SIM_USAGE_PER_MIN=0)'}
  demo account  ${config.demoEmail} / ${config.demoPassword}
  operator      ${config.operatorEmail} / ${operatorPassword} (admin; the admin API is ${base}/v1/admin)
  release key   ${keys}: trusted by the cloud, the gateway and the switches

Try:
  TOKEN=$(curl -s ${base}/v1/auth/login -H 'content-type: application/json' \\
    -d '{"email":"${config.demoEmail}","password":"${config.demoPassword}"}' | ${accessToken})
  curl -s ${base}/v1/devices -H "authorization: Bearer $TOKEN"
  curl -s -XPOST "${base}/v1/devices/<id>/commands?wait=true" -H "authorization: Bearer $TOKEN" \\
    -H 'content-type: application/json' -d '{"action":"toggle"}'
  OPS=$(curl -s ${base}/v1/auth/login -H 'content-type: application/json' \\
    -d '{"email":"${config.operatorEmail}","password":"${operatorPassword}"}' | ${accessToken})
  curl -s ${base}/v1/admin/audit -H "authorization: Bearer $OPS"

Ctrl-C stops everything.
`);

stopOnSignals(log, async () => {
  await system.close();
  await localBroker?.close();
});
