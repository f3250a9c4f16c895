/** Helpers for driving the API with `inject` as a phone app would. */
import type { Cloud, CloudConfig } from '@switchfleet/cloud';
import { startTestCloud, type TestCloud } from '@switchfleet/testkit/cloud';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApi, type ApiOptions } from '../src/index.ts';

export const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Logs in through the API and returns the access token; throws when login is refused. */
export async function login(app: FastifyInstance, email: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login answered ${res.statusCode}: ${res.body}`);
  return (res.json() as { accessToken: string }).accessToken;
}

export interface ApiRig {
  /** The test cloud the API runs on (services, broker, events). */
  readonly cloud: Cloud;
  readonly app: FastifyInstance;
  /** The API's own URL; only when started with `listen: true`, for real HTTP (e.g. SSE). */
  readonly base: string;
}

export interface UseApiOptions {
  cloud?: Partial<CloudConfig>;
  api?: Partial<Omit<ApiOptions, 'cloud'>>;
  listen?: boolean;
}

/**
 * Starts a test cloud and the API on it before the file's tests, and closes both after them (the
 * API first, as it uses the cloud). Read the returned accessors inside tests, once started.
 */
export function useApi(options: UseApiOptions = {}): ApiRig {
  let t: TestCloud | undefined;
  let app: FastifyInstance | undefined;
  let base: string | undefined;
  beforeAll(async () => {
    t = await startTestCloud(options.cloud);
    // Tests register many accounts from one address; a file that tests the limits sets its own.
    const authLimits = { registerPerIp: { max: 10_000, windowMs: 60_000 } };
    app = await buildApi({ cloud: t.cloud, jwtSecret: JWT_SECRET, authLimits, ...options.api });
    if (options.listen) base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the API rig has no ${what}: read it inside a test, after beforeAll`);
    return value;
  };
  return {
    get cloud() {
      return started(t, 'cloud').cloud;
    },
    get app() {
      return started(app, 'app');
    },
    get base() {
      return started(base, 'base URL (start it with listen: true)');
    },
  };
}
