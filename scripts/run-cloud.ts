/**
 * The cloud alone (database, broker or a link to an external one, ingest, commands, schedules and the
 * REST API), configured by the environment as the README's settings table says and nothing simulated
 * beside it: what an operator runs, one process per instance, behind mosquitto and PostgreSQL when
 * there are several. Ctrl-C (SIGINT) or SIGTERM stops it cleanly. Its two entries differ only in
 * where the ingest worker comes from: `npm run cloud` (cloud.ts, from the sources) and the built
 * `dist/cloud/cloud.mjs` (cloud-dist.ts, its worker prebuilt beside it).
 */
import { readFile } from 'node:fs/promises';
import {
  cloudSettings,
  ConfigError,
  createCloud,
  ensureDemoOperator,
  parseConfig,
  type IngestWorkerEntry,
  type ReleaseSuitePort,
} from '@switchfleet/cloud';
import { buildApi } from '@switchfleet/mobile-api';
import { firmware, redactUrl } from '@switchfleet/protocol';
import { launcherLogger } from './launcher-log.ts';
import { stopOnSignals } from './stop-on-signals.ts';

/** Makes the release suite, given the key that signs a model's first baseline (RELEASE_BASELINE_KEY_FILE). */
export type ReleaseSuiteFactory = (options: { privateKeyPem?: string }) => ReleaseSuitePort;

export async function runCloud(
  env: Readonly<Record<string, string | undefined>>,
  parts: { ingestWorker: IngestWorkerEntry; releaseSuite?: ReleaseSuiteFactory },
): Promise<void> {
  const { ingestWorker } = parts;
  const config = parseConfig(env);
  const log = launcherLogger(config.logLevel, 'json');
  const baselineKey =
    config.releaseBaselineKeyFile === undefined ? undefined : await readBaselineKey(config.releaseBaselineKeyFile);
  const releaseSuite = parts.releaseSuite?.(baselineKey === undefined ? {} : { privateKeyPem: baselineKey });
  if (config.jwtSecretGenerated) {
    // Each instance would sign with its own key and refuse the others' tokens.
    log.warn('JWT_SECRET is not set: tokens are signed with a random key of this process alone');
  }

  const cloud = await createCloud({
    ...cloudSettings(config),
    ingestWorker,
    releaseSuite,
    logger: log.child({ part: 'cloud' }),
  });
  // OPERATOR_EMAIL / OPERATOR_PASSWORD, when given, name the first admin: made once, kept afterwards.
  const operator = config.operatorFromEnv
    ? await ensureDemoOperator(cloud.services, {
        email: config.operatorEmail,
        password: config.operatorPassword,
      }).catch(async (e: unknown) => {
        // The database (PGlite's files above all) is closed cleanly before the start fails.
        await cloud.close();
        throw e;
      })
    : undefined;
  const operatorLine = operator
    ? `${operator.operator.email} (${operator.operator.role}${operator.created ? ', made now' : ''})`
    : '(none given: OPERATOR_EMAIL / OPERATOR_PASSWORD)';
  const api = await buildApi({ cloud, jwtSecret: config.jwtSecret, logger: log.child({ part: 'api' }) });
  await api.listen({ port: config.port, host: config.host });

  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  // Gateways download update images from the API where they reach it: PUBLIC_URL behind a proxy.
  await cloud.services.updateDispatcher.setPublicUrl(config.publicUrl ?? base);
  process.stdout.write(`switchfleet cloud is running
  REST API      ${base}   (OpenAPI UI ${base}/docs)
  public URL    ${config.publicUrl ?? `${base} (no PUBLIC_URL: gateways download from the API's own address)`}
  MQTT broker   ${redactUrl(cloud.broker.url)}${config.mqttUrl ? ' (external)' : ' (embedded)'}
  database      ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`}
  instance      ${config.instanceId ?? '(no CLOUD_INSTANCE_ID: no kept MQTT session)'}
  operator      ${operatorLine}
  release tests ${suiteLine(releaseSuite !== undefined, baselineKey !== undefined)}
`);

  stopOnSignals(log, async () => {
    await api.close();
    await cloud.close();
  });
}

function suiteLine(suite: boolean, baseline: boolean): string {
  if (!suite) return 'NONE: uploaded releases stay in testing, none can pass';
  const how = 'the release suite, a child process per run';
  return baseline
    ? `${how}; a model's first baseline signed by RELEASE_BASELINE_KEY_FILE`
    : `${how} (no RELEASE_BASELINE_KEY_FILE: a model's first release fails its update cases)`;
}

/** The baseline signing key, checked at start: a key that cannot sign would fail every first release later. */
async function readBaselineKey(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError([
      { variable: 'RELEASE_BASELINE_KEY_FILE', message: `cannot be read (${(e as NodeJS.ErrnoException).code})` },
    ]);
  }
  try {
    firmware.publicKeyPemOf(pem);
  } catch {
    throw new ConfigError([{ variable: 'RELEASE_BASELINE_KEY_FILE', message: 'is not an Ed25519 private key in PEM' }]);
  }
  return pem;
}
