/**
 * Test harness: a real cloud (in-memory PGlite, or a scratch database on the server named by
 * DATABASE_URL) with its embedded broker on an ephemeral port, plus helpers to set up an owner with
 * a home and a provisioned gateway.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { DeviceIdentity, DeviceReport } from '@switchfleet/protocol';
import {
  createCloud,
  parseConfig,
  type Cloud,
  type CloudConfig,
  type GatewayCredentials,
  type Home,
  type User,
} from '@switchfleet/cloud';
import { scratchDatabase } from './database.ts';
import { MqttGateway } from './mqtt-gateway.ts';
import { eventually } from './poll.ts';

export interface TestCloud {
  cloud: Cloud;
  close(): Promise<void>;
}

export async function startTestCloud(overrides: Partial<CloudConfig> = {}): Promise<TestCloud> {
  const scratch = await scratchDatabase(parseConfig().databaseUrl);
  try {
    const cloud = await createCloud({ databaseUrl: scratch.url, mqttPort: 0, commandSweepMs: 100, ...overrides });
    return {
      cloud,
      async close() {
        await cloud.close();
        await scratch.drop();
      },
    };
  } catch (e) {
    await scratch.drop();
    throw e;
  }
}

/** What a test file reads its running cloud from. */
export interface TestCloudRig {
  readonly cloud: Cloud;
}

/**
 * Starts one test cloud before the file's (or the describe block's) tests and closes it after them.
 * Read `cloud` inside tests, once started. `when` false starts none (a file whose tests all need
 * something this machine lacks); reading `cloud` then throws.
 */
export function useTestCloud(
  overrides: Partial<CloudConfig> = {},
  { timeoutMs = 60_000, when = true }: { timeoutMs?: number; when?: unknown } = {},
): TestCloudRig {
  let t: TestCloud | undefined;
  beforeAll(async () => {
    if (when) t = await startTestCloud(overrides);
  }, timeoutMs);
  afterAll(async () => {
    await t?.close();
  });
  return {
    get cloud() {
      if (!t) throw new Error('the test cloud is not started: read it inside a test, after beforeAll');
      return t.cloud;
    },
  };
}

/** A short random suffix, so ids and emails never collide between tests. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A random BLE address in the protocol's form (12 lower-case hex digits). */
export function randomAddress(): string {
  return randomBytes(6).toString('hex');
}

export interface Household {
  user: User;
  password: string;
  home: Home;
  credentials: GatewayCredentials;
}

/** A registered user owning a home with one provisioned gateway. */
export async function household(cloud: Cloud, password = 'correct horse battery'): Promise<Household> {
  const { accounts, homes, gateways } = cloud.services;
  const user = await accounts.register(`${unique('owner')}@example.test`, password);
  const home = await homes.createHome(user.id, 'Home');
  const credentials = await gateways.provisionGateway({ gatewayId: unique('gw'), homeId: home.id });
  return { user, password, home, credentials };
}

/**
 * Connects a gateway client for the household's gateway to the cloud's broker, or to the broker at
 * `url` when the cloud uses one outside it.
 */
export function connectGateway(
  cloud: Cloud,
  credentials: GatewayCredentials,
  url: string = cloud.broker.url,
): Promise<MqttGateway> {
  return MqttGateway.connect({ url, gatewayId: credentials.gatewayId, secret: credentials.secret });
}

export interface GatewayWithSwitch {
  gateway: MqttGateway;
  address: string;
  deviceId: string;
}

/**
 * Brings the household's gateway online, listening for commands, and has it report one switch
 * (a WoHand, off, unless `device`/`fields` say otherwise); resolves once the cloud lists the switch
 * for the household's owner.
 */
export async function gatewayWithSwitch(
  cloud: Cloud,
  h: Household,
  device: Partial<DeviceIdentity> = {},
  fields: Partial<Pick<DeviceReport, 'online' | 'state' | 'battery' | 'rssi'>> = { state: { on: false } },
): Promise<GatewayWithSwitch> {
  const gateway = await connectGateway(cloud, h.credentials);
  await gateway.subscribeCommands();
  await gateway.announce();
  const address = device.address ?? randomAddress();
  await gateway.report({ model: 'WoHand', ...device, address }, fields);
  const listed = await eventually(async () => (await cloud.services.devices.listForUser(h.user.id))[0]);
  return { gateway, address, deviceId: listed.id };
}

/** A pino logger at info that keeps each line's message, in order, for a test to read. */
export function capturedLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write: (line, _enc, done) => {
        messages.push(JSON.parse(String(line)).msg);
        done();
      },
    }),
  );
  return { logger, messages };
}
