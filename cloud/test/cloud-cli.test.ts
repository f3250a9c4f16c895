/**
 * The operator's path to a gateway behind mosquitto: `switchfleet-cloud gateways provision` prints
 * an id, a secret and a claim code and stores only the secret's hash; `mosquitto files` writes the
 * password files and the ACL that a real mosquitto (the shipped listeners) then admits the gateway
 * and the cloud with, and nobody else. The database is PostgreSQL when DATABASE_URL is set, else
 * PGlite files in a temporary DATA_DIR, as the cloud itself would use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCloudCli } from '../src/cli/main.ts';
import { parseConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/open.ts';
import { gateways } from '../src/db/schema.ts';
import { scratchDatabase, type ScratchDatabase } from '@switchfleet/testkit/database';
import { eventually } from '@switchfleet/testkit/poll';
import { startMosquitto, type TestMosquitto } from '@switchfleet/testkit/mosquitto';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';

let broker: TestMosquitto;
let scratch: ScratchDatabase;
let dir: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  broker = await startMosquitto();
  scratch = await scratchDatabase(parseConfig().databaseUrl);
  dir = await mkdtemp(join(tmpdir(), 'sf-cloud-cli-'));
  env = { DATABASE_URL: scratch.url, DATA_DIR: join(dir, 'data'), MQTT_URL: broker.cloudUrl };
}, 240_000);
afterAll(async () => {
  await scratch?.drop();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCloudCli(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: dir, env });
  return { code, out, err };
}

const field = (out: string, name: string) => new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(out)?.[1];

it('provisions a gateway that mosquitto admits once the files are written, with the secret stored only hashed', async () => {
  const made = await cli('gateways', 'provision', '--id', 'cli-gw-1');
  expect(made.code).toBe(0);
  const secret = field(made.out, 'secret')!;
  expect(field(made.out, 'gateway id')).toBe('cli-gw-1');
  expect(field(made.out, 'claim code')).toMatch(/^[A-Z0-9]{16}$/);

  const database = await openDatabase({ databaseUrl: scratch.url, dataDir: env.DATA_DIR });
  const rows = await database.db.select({ id: gateways.id, hash: gateways.secretHash }).from(gateways);
  await database.close();
  expect(rows.map((r) => r.id)).toEqual(['cli-gw-1']);
  expect(rows[0]!.hash).toMatch(/^\$7\$/);
  expect(rows[0]!.hash).not.toContain(secret);

  // Not in mosquitto's files yet: refused.
  await expect(MqttGateway.connect({ url: broker.url, gatewayId: 'cli-gw-1', secret })).rejects.toThrow(
    /not authori[sz]ed/i,
  );
  const files = await cli('mosquitto', 'files', '--dir', broker.dir);
  expect(files.code).toBe(0);
  expect(files.out).toContain("1 gateway(s) and the cloud's account");
  await broker.reload();
  const gateway = await eventually(() =>
    MqttGateway.connect({ url: broker.url, gatewayId: 'cli-gw-1', secret }).catch(() => null),
  );
  await gateway.subscribeCommands();
  await gateway.announce();
  await gateway.close();
  // The cloud's account still logs in on its own listener; a gateway's does not, nor the cloud's on the gateways'.
  const cloud = await mqtt.connectAsync(broker.cloudUrl, { protocolVersion: 4, reconnectPeriod: 0 });
  await cloud.endAsync();
  const cloudPort = `mqtt://127.0.0.1:${broker.cloudPort}`;
  await expect(MqttGateway.connect({ url: cloudPort, gatewayId: 'cli-gw-1', secret })).rejects.toThrow(
    /not authori[sz]ed/i,
  );
  await expect(
    mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: broker.cloud.username,
      password: broker.cloud.password,
    }),
  ).rejects.toThrow(/not authori[sz]ed/i);
}, 240_000);

it('refuses what it cannot do with a reason and an exit code, and never prints a stored secret', async () => {
  expect((await cli('gateways', 'provision', '--id', 'cli-gw-1')).code).toBe(1);
  expect((await cli('gateways', 'provision', '--id', 'sf-cloud-ingest-x')).err).toMatch(/cloud's own/);
  expect((await cli('gateways', 'frobnicate')).code).toBe(2);
  const noAccount = { ...env, MQTT_URL: `mqtt://127.0.0.1:${broker.cloudPort}` };
  let err = '';
  const code = await runCloudCli(['mosquitto', 'files', '--dir', broker.dir], {
    out: () => {},
    err: (t) => (err += t),
    cwd: dir,
    env: noAccount,
  });
  expect(code).toBe(1);
  expect(err).toMatch(/MQTT_URL/);
  const rotated = await cli('gateways', 'rotate', '--id', 'cli-gw-1');
  expect(rotated.code).toBe(0);
  const files = await cli('mosquitto', 'files', '--dir', broker.dir);
  expect(files.out + files.err).not.toContain(field(rotated.out, 'secret')!);
  expect(files.out + files.err).not.toContain(broker.cloud.password);
}, 240_000);
