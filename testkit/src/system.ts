/**
 * `npm start`'s composition (scripts/system.ts: the cloud, the API and a simulated gateway) for a
 * test file: on a scratch database (PGlite, or the PostgreSQL of DATABASE_URL) and a fresh gateway
 * data directory. Registers its own beforeAll/afterAll; read `system` after beforeAll has run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { parseConfig } from '@switchfleet/cloud';
import { startSystem, type System, type SystemOptions } from '../../scripts/system.ts';
import { scratchDatabase } from './database.ts';

export interface SystemRig {
  readonly system: System;
}

export type TestSystemOptions = Omit<SystemOptions, 'databaseUrl' | 'gatewayDataDir' | 'jwtSecret'>;

export function useSystem(options: TestSystemOptions): SystemRig {
  let system: System | undefined;
  let dropDb = async () => {};
  let gatewayDataDir: string | undefined;
  beforeAll(async () => {
    const db = await scratchDatabase(parseConfig().databaseUrl);
    dropDb = db.drop;
    gatewayDataDir = await mkdtemp(join(tmpdir(), 'switchfleet-e2e-'));
    system = await startSystem({
      ...options,
      gatewayDataDir,
      databaseUrl: db.url,
      jwtSecret: 'e2e-secret-that-is-long-enough-for-hs256',
    });
  });
  afterAll(async () => {
    await system?.close();
    await dropDb();
    if (gatewayDataDir) await rm(gatewayDataDir, { recursive: true, force: true });
  });
  return {
    get system() {
      if (!system) throw new Error('the system is not started: read it inside a test, after beforeAll');
      return system;
    },
  };
}
