/**
 * `npm start`: the cloud with its embedded broker and database, the REST API, and one gateway over a
 * simulated radio with SIM_SWITCHES switches, already in the demo account's home. Ctrl-C stops all.
 */
import { pino } from 'pino';
import { createCloud, ensureDemo, parseConfig } from '@switchfleet/cloud';
import { buildApi } from '@switchfleet/mobile-api';
import { createSimRadio } from '@switchfleet/firmware-sim';
import { createGateway, loadNoble, resolveGatewayConfig } from '@switchfleet/gateway';
import { parseLauncherConfig } from './launcher-config.ts';

const config = parseConfig(process.env);
const launcher = parseLauncherConfig(process.env);
const log = pino({ level: config.logLevel, base: undefined });

const cloud = await createCloud({
  dataDir: config.dataDir,
  databaseUrl: config.databaseUrl,
  mqttPort: config.mqttPort,
  mqttHost: config.mqttHost,
  mqttUrl: config.mqttUrl,
  logger: log.child({ part: 'cloud' }),
});
const demo = await ensureDemo(cloud.services, { email: config.demoEmail, password: config.demoPassword, gatewayId: launcher.gatewayId });

const radio = createSimRadio(launcher.simSeed === undefined ? {} : { seed: launcher.simSeed });
for (let i = 0; i < launcher.simSwitches; i++) radio.addSwitch({ name: `Switch ${i + 1}` });

const gateway = createGateway({
  config: resolveGatewayConfig({
    gatewayId: launcher.gatewayId,
    mqtt: { url: cloud.broker.url, username: demo.gateway.gatewayId, password: demo.gateway.secret },
    logLevel: config.logLevel,
  }),
  noble: await loadNoble(radio.bindings),
  log: log.child({ part: 'gateway', gateway: launcher.gatewayId }),
});
await gateway.start();

const api = await buildApi({ cloud, jwtSecret: config.jwtSecret, logger: log.child({ part: 'api' }) });
await api.listen({ port: config.port, host: config.host });

const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
process.stdout.write(`
switchfleet is running
  REST API      ${base}   (OpenAPI UI ${base}/docs)
  MQTT broker   ${cloud.broker.url}
  database      ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`}
  simulator     ${launcher.simSwitches} switches under gateway ${launcher.gatewayId}, seed ${radio.seed} (SIM_SEED=${radio.seed} replays it)
  demo account  ${config.demoEmail} / ${config.demoPassword}

Try:
  TOKEN=$(curl -s ${base}/v1/auth/login -H 'content-type: application/json' \\
    -d '{"email":"${config.demoEmail}","password":"${config.demoPassword}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')
  curl -s ${base}/v1/devices -H "authorization: Bearer $TOKEN"
  curl -s -XPOST "${base}/v1/devices/<id>/commands?wait=true" -H "authorization: Bearer $TOKEN" \\
    -H 'content-type: application/json' -d '{"action":"toggle"}'

Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void (async () => {
      // Outside in: stop taking requests, then the gateway, then the radio, then the cloud.
      await api.close();
      await gateway.stop();
      radio.close();
      await cloud.close();
      process.exit(0);
    })();
  });
}
