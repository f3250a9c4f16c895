/**
 * `switchfleet fleet devices|gateways` against a real API over HTTP (a test cloud, the API on a free
 * port, a gateway reporting switches through the broker), in this process through runCli: the filters
 * reach the API and narrow the lines printed, and wrong usage is exit 2, an API refusal exit 1. (The
 * API's paging itself is mobile-api's admin-fleet test.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buildApi } from '@switchfleet/mobile-api';
import { connectGateway, household, randomAddress, startTestCloud, type TestCloud } from '@switchfleet/testkit/cloud';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { eventually } from '@switchfleet/testkit/poll';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../lab/src/cli/main.ts';

const OPERATOR = { email: 'fleet-operator@ops.test', password: 'operator passphrase' };
let t: TestCloud;
let app: FastifyInstance;
let gateway: MqttGateway;
let gatewayId: string;
let env: Record<string, string>;
let dir: string;
const addresses = { old: randomAddress(), current: randomAddress(), away: randomAddress() };

async function switchfleet(args: string[], stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (text: string) => void out.push(text),
    err: (text: string) => void err.push(text),
    cwd: dir,
    env,
    ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) as unknown as NodeJS.ReadStream }),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-fleet-cli-'));
  t = await startTestCloud();
  await t.cloud.services.operators.create({ ...OPERATOR, role: 'operator' });
  app = await buildApi({ cloud: t.cloud, jwtSecret: 'fleet-cli-test-secret-long-enough-for-hs256' });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  env = { SWITCHFLEET_URL: url, SWITCHFLEET_TOKEN_FILE: join(dir, 'session.json') };

  const h = await household(t.cloud);
  gatewayId = h.credentials.gatewayId;
  gateway = await connectGateway(t.cloud, h.credentials);
  await gateway.announce(true, '0.9.1');
  const report = (address: string, firmwareVersion: string, online: boolean) =>
    gateway.report({ address, model: 'WoHand', hardwareId: 'sf-sw1-r1', firmwareVersion }, { online, battery: 64 });
  await report(addresses.old, '1.0.0', true);
  await report(addresses.current, '1.1.0', true);
  await report(addresses.away, '1.1.0', false);
  await eventually(async () => (await t.cloud.services.devices.listForUser(h.user.id)).length === 3);
  const login = await switchfleet(['login', OPERATOR.email, '--password-stdin'], `${OPERATOR.password}\n`);
  expect(login.code, login.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await app?.close();
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('switchfleet fleet', () => {
  it('lists the switches, each filter passed on to the API', async () => {
    const all = await switchfleet(['fleet', 'devices']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')).toHaveLength(3);
    for (const address of Object.values(addresses)) expect(all.stdout).toContain(address);

    const current = await switchfleet(['fleet', 'devices', '--version', '1.1.0', '--online']);
    expect(current.code, current.stderr).toBe(0);
    expect(current.stdout.split('\n')).toEqual([expect.stringMatching(new RegExp(`${addresses.current}.*online`))]);
    const away = await switchfleet([
      'fleet',
      'devices',
      '--offline',
      '--gateway',
      gatewayId,
      '--hardware',
      'sf-sw1-r1',
    ]);
    expect(away.stdout.split('\n')).toEqual([expect.stringMatching(new RegExp(`${addresses.away}.*offline`))]);
    expect((await switchfleet(['fleet', 'devices', '--version', '9.9.9'])).stdout).toBe('no devices');
  });

  it('lists the gateways with their version and switch counts', async () => {
    const r = await switchfleet(['fleet', 'gateways']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${gatewayId} +online +0\\.9\\.1 +2/3 switches online`));
    expect((await switchfleet(['fleet', 'gateways', '--offline'])).stdout).toBe('no gateways');
  });

  it('refuses wrong usage with exit 2 and passes the API refusal on with exit 1', async () => {
    expect((await switchfleet(['fleet', 'devices', '--online', '--offline'])).code).toBe(2);
    expect((await switchfleet(['fleet', 'gateways', '--version', '1.0.0'])).code).toBe(2);
    expect((await switchfleet(['fleet', 'switches'])).code).toBe(2);
    const bad = await switchfleet(['fleet', 'devices', '--home', 'not-a-uuid']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('400')]);
  });
});
