/**
 * What `npm start` makes for operators, through the same composition (scripts/system.ts): the demo
 * operator (an admin) and the demo release signing key pair, made on the first start and kept as they
 * are on the next; the public key trusted by the cloud, the gateway and the simulated switches (an
 * image signed with it updates a switch through the gateway, one signed with another key does not).
 * Runs on PGlite, or on the PostgreSQL of DATABASE_URL when it is set.
 */
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { buildSimImage, SWITCH_DEFAULTS } from '@switchfleet/firmware-sim';
import { firmware } from '@switchfleet/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureReleaseKeys, ReleaseKeyError } from '../../scripts/release-keys.ts';
import { startSystem, type System, type SystemOptions } from '../../scripts/system.ts';

const operator = { email: 'ops@switchfleet.local', password: 'switchfleet-ops' };
let dir: string;
let options: SystemOptions;
let dropDb = async () => {};
const running: System[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-ops-'));
  const db = await scratchDatabase(process.env.DATABASE_URL);
  dropDb = db.drop;
  options = {
    ...(db.url ? { databaseUrl: db.url } : { dataDir: join(dir, 'pglite') }),
    gatewayDataDir: join(dir, 'gateway'),
    jwtSecret: 'e2e-secret-that-is-long-enough-for-hs256',
    demoEmail: 'household@example.test',
    demoPassword: 'correct horse battery',
    gatewayId: 'ops-gw',
    switches: 1,
    radio: { seed: 7, connectLatencyMs: 5, gattLatencyMs: 1, actuationMs: 20, mtu: 247 },
    operator,
    releaseKeysIn: dir,
  };
});

afterAll(async () => {
  for (const system of running) await system.close();
  await dropDb();
  await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<System> {
  const system = await startSystem(options);
  running.push(system);
  return system;
}

async function operatorCreations(system: System, operatorId: string): Promise<number> {
  const page = await system.cloud.services.audit.list({ action: 'operator.create', targetId: operatorId, limit: 10 });
  return page.entries.filter((e) => e.actor === null).length;
}

it('makes the operator and the key pair once, trusted everywhere, and keeps both on the next start', async () => {
  const first = await start();
  const keys = first.releaseKeys!;
  expect(first.operator).toMatchObject({ created: true, operator: { email: operator.email, role: 'admin' } });
  expect(keys).toMatchObject({ created: true, privatePath: join(dir, 'keys', 'release.pem') });
  expect(keys.publicPath).toBe(join(dir, 'keys', 'release.pub'));
  expect((await stat(keys.privatePath)).mode & 0o777).toBe(0o600);
  expect(firmware.publicKeyPemOf(await readFile(keys.privatePath, 'utf8'))).toBe(
    await readFile(keys.publicPath, 'utf8'),
  );
  expect(first.cloud.settings.initialTrustedKeys).toEqual([keys.publicKeyPem]);
  expect(first.gateway.deps.config.ota.trustedKeyFiles).toEqual([keys.publicPath]);
  const login = await first.api.inject({ method: 'POST', url: '/v1/auth/login', payload: operator });
  expect(login.json()).toMatchObject({ kind: 'operator', role: 'admin' });

  // The switch runs the factory image signed with the demo key; the gateway takes a newer one signed
  // with it, and refuses one signed with any other key before a byte reaches the switch.
  const address = first.radio.switches[0]!.address;
  const image = (version: string, privateKeyPem: string) =>
    buildSimImage({ version, hardwareId: SWITCH_DEFAULTS.hardwareId, privateKeyPem });
  const stranger = firmware.generateSigningKey().privateKeyPem;
  const refused = await first.gateway.deps.ota.update(address, image('1.0.2', stranger));
  expect(refused).toMatchObject({ status: 'failed', bytesUploaded: 0 });
  const updated = await first.gateway.deps.ota.update(address, image('1.0.1', keys.privateKeyPem));
  expect(updated).toMatchObject({ status: 'succeeded', runningVersion: '1.0.1' });

  const files = async () => ({
    private: await readFile(keys.privatePath, 'utf8'),
    public: await readFile(keys.publicPath, 'utf8'),
    mtimes: [(await stat(keys.privatePath)).mtimeMs, (await stat(keys.publicPath)).mtimeMs],
  });
  const before = await files();
  const operatorId = first.operator!.operator.id;
  await first.close();

  const second = await start();
  expect(second.operator).toMatchObject({ created: false, operator: { id: operatorId } });
  expect(second.releaseKeys).toMatchObject({ created: false, publicKeyPem: keys.publicKeyPem });
  expect(await files()).toEqual(before);
  expect(await operatorCreations(second, operatorId)).toBe(1);
}, 60_000);

it('refuses half a key pair, or two halves that do not belong together, and replaces neither', async () => {
  const other = await mkdtemp(join(tmpdir(), 'switchfleet-keys-'));
  try {
    const keys = await ensureReleaseKeys(other);
    await unlink(keys.publicPath);
    await expect(ensureReleaseKeys(other)).rejects.toThrow(ReleaseKeyError);
    const stranger = firmware.generateSigningKey().publicKeyPem;
    await writeFile(keys.publicPath, stranger);
    await expect(ensureReleaseKeys(other)).rejects.toThrow(/not the public half/);
    expect(await readFile(keys.privatePath, 'utf8')).toBe(keys.privateKeyPem);
    expect(await readFile(keys.publicPath, 'utf8')).toBe(stranger);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});
