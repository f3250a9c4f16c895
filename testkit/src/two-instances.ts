/**
 * Two cloud instances on one database and one real mosquitto, as two processes behind a load
 * balancer would run: one PostgreSQL (DATABASE_URL, a scratch database) or one PGlite shared
 * in-process. Registers its own beforeAll/afterAll; read the parts after beforeAll has run.
 */
import { afterAll, beforeAll } from 'vitest';
import {
  createCloud,
  openDatabase,
  parseConfig,
  type Cloud,
  type CloudConfig,
  type Database,
} from '@switchfleet/cloud';
import { scratchDatabase, type ScratchDatabase } from './database.ts';
import { startMosquitto, type TestMosquitto } from './mosquitto.ts';

export interface TwoInstances {
  readonly broker: TestMosquitto;
  readonly one: Cloud;
  readonly two: Cloud;
}

export function useTwoInstances(overrides: Partial<CloudConfig> = {}): TwoInstances {
  let broker: TestMosquitto | undefined;
  let scratch: ScratchDatabase | undefined;
  let shared: Database | undefined;
  let one: Cloud | undefined;
  let two: Cloud | undefined;

  beforeAll(async () => {
    broker = await startMosquitto();
    scratch = await scratchDatabase(parseConfig().databaseUrl);
    shared = scratch.url ? undefined : await openDatabase({});
    const config = {
      databaseUrl: scratch.url,
      database: shared,
      mqttUrl: broker.cloudUrl,
      commandSweepMs: 100,
      ...overrides,
    };
    one = await createCloud(config);
    two = await createCloud(config);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await shared?.close();
    await scratch?.drop();
    await broker?.close();
  });

  const started = <T>(part: T | undefined, name: string): T => {
    if (part === undefined) throw new Error(`${name} is read before beforeAll ran`);
    return part;
  };
  return {
    get broker() {
      return started(broker, 'broker');
    },
    get one() {
      return started(one, 'instance one');
    },
    get two() {
      return started(two, 'instance two');
    },
  };
}
