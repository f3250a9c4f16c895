/**
 * `switchfleet-cloud` (also `npm run cloud:admin -- …`): the operator's commands on the cloud host,
 * configured like the cloud itself (DATABASE_URL, or PGlite in DATA_DIR; MQTT_URL for mosquitto).
 * Exit codes: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cloudAccountFromUrl, writeMosquittoFiles } from '../broker/mosquitto-files.ts';
import { mosquittoListeners, mosquittoSettings } from '../broker/mosquitto-settings.ts';
import { parseConfig } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { CloudError } from '../errors.ts';
import { GatewayService, newGatewayId } from '../devices/gateways.ts';

export interface CloudCliIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

export const USAGE = `usage: switchfleet-cloud <command>

  gateways provision [--id <gateway id>] [--home <home id>]
      creates a gateway: prints its id, its MQTT secret (shown this once; only its hash is stored)
      and, without --home, the one-time claim code its owner enters in the app
  gateways rotate --id <gateway id>
      issues a new secret for a gateway (the old one stops working at its next connect)
  mosquitto files --dir <directory>
      writes gateways.passwd, cloud.passwd and acl for mosquitto from the database and the account
      in MQTT_URL; then reload mosquitto (SIGHUP, e.g. systemctl reload mosquitto)
  mosquitto conf --dir <directory> [--gateways "<port> [<address>]"] [--cloud "<port> [<address>]"]
      prints the mosquitto.conf lines the cloud needs (listeners default: "1883", "1884 127.0.0.1")

Settings: DATABASE_URL (PostgreSQL) or DATA_DIR (PGlite, default ./data; PGlite's files belong to one
process: run this while the cloud is stopped), MQTT_URL (mqtt://<user>:<password>@host:port).`;

export class CliUsageError extends Error {
  readonly code = 'USAGE';
}

export async function runCloudCli(argv: readonly string[], io: CloudCliIo): Promise<number> {
  try {
    await dispatch(argv, io);
    return 0;
  } catch (e) {
    if (e instanceof CliUsageError) {
      io.err(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof CloudError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err((e as Error).message);
      return (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
    }
    throw e;
  }
}

async function dispatch(argv: readonly string[], io: CloudCliIo): Promise<void> {
  const [group, command, ...rest] = argv;
  const options = parseArgs({
    args: rest,
    options: {
      id: { type: 'string' },
      home: { type: 'string' },
      dir: { type: 'string' },
      gateways: { type: 'string' },
      cloud: { type: 'string' },
    },
    strict: true,
  }).values;
  const need = (value: string | undefined, flag: string) => {
    if (value === undefined) throw new CliUsageError(`missing ${flag}`);
    return value;
  };
  const key = `${group} ${command}`;
  if (key === 'mosquitto conf') {
    const dir = resolve(io.cwd, need(options.dir, '--dir'));
    const gatewaysAt = options.gateways ?? '1883';
    const lines = mosquittoListeners({ gateways: gatewaysAt, cloud: options.cloud ?? '1884 127.0.0.1', dir });
    io.out([...lines, ...mosquittoSettings].join('\n'));
    return;
  }
  if (!['gateways provision', 'gateways rotate', 'mosquitto files'].includes(key)) {
    const named = [group, command].filter(Boolean).join(' ');
    throw new CliUsageError(group === undefined ? 'no command' : `unknown command "${named}"`);
  }
  const config = parseConfig(io.env);
  // Checked before the database opens: a missing account must not leave a half-done run.
  const cloudAccount = key === 'mosquitto files' ? cloudAccountFromUrl(config.mqttUrl) : undefined;
  const dir = key === 'mosquitto files' ? resolve(io.cwd, need(options.dir, '--dir')) : undefined;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: resolve(io.cwd, config.dataDir) });
  try {
    const gateways = new GatewayService(database.db);
    if (key === 'gateways provision') {
      const gatewayId = options.id ?? newGatewayId();
      const home = options.home !== undefined ? { homeId: options.home } : {};
      const made = await gateways.provisionGateway({ gatewayId, ...home });
      io.out(`gateway id  ${made.gatewayId}`);
      io.out(`secret      ${made.secret}   (shown once; give it to the gateway as MQTT_PASSWORD)`);
      if (made.claimCode) io.out(`claim code  ${made.claimCode}   (the owner claims the gateway with it, once)`);
      io.out('Behind mosquitto, run "mosquitto files" and reload mosquitto to admit it.');
    } else if (key === 'gateways rotate') {
      const made = await gateways.rotateSecret(need(options.id, '--id'));
      io.out(`gateway id  ${made.gatewayId}`);
      io.out(`secret      ${made.secret}   (shown once)`);
    } else {
      const accounts = await gateways.brokerAccounts();
      const result = await writeMosquittoFiles({ dir: dir!, gateways: accounts, cloud: cloudAccount! });
      for (const path of result.written) io.out(`wrote ${path}`);
      const who = `${result.gateways} gateway(s) and the cloud's account "${cloudAccount!.username}"`;
      io.out(`${who}; reload mosquitto to apply.`);
      if (result.skipped.length > 0) {
        io.err(`left out, their secret predates mosquitto's hash form (rotate it): ${result.skipped.join(', ')}`);
      }
    }
  } finally {
    await database.close();
  }
}
