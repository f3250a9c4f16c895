/**
 * Schema-driven fuzzing: every operation of the served OpenAPI document is called by a logged-in
 * user (an admin for the admin API) with requests generated from its schemas, valid and invalid (openapi-fuzz.ts). No answer may
 * be a 5xx, and every error answer is the one ErrorBody shape. Seeded and bounded in count and time,
 * so a run is repeatable: a failure prints the seed, the operation and the request.
 */
import { gatewayWithSwitch, household } from '@switchfleet/testkit/cloud';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestGenerator, type FuzzRequest, type Json, type Operation } from './openapi-fuzz.ts';
import { bearer, login, useApi } from './support.ts';

const api = useApi();

const SEED = 20_250_101;
const RUNS_PER_OPERATION = 40;
/** A safety net on a loaded machine; the count above ends a run first. */
const TIME_PER_OPERATION_MS = 6_000;
/** Streams that stay open until the client leaves: tested in events.test.ts and admin-events.test.ts. */
const STREAMS = new Set(['get /v1/events', 'get /v1/admin/events']);
/** The one 5xx by design: /health answers 503 with its Health body while something is down. */
const DESIGNED = (name: string, status: number) => name === 'get /health' && status === 503;

interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

interface Finding {
  operation: string;
  request: FuzzRequest;
  status: number;
  body: string;
}

/** What an answer must be: below 500, and an error answer in the ErrorBody shape. */
function judge(name: string, status: number, body: string): boolean {
  if (status >= 500) return DESIGNED(name, status);
  if (status < 400) return true;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const keys = Object.keys(parsed).join();
    const e = parsed.error;
    return keys === 'error' && typeof e?.code === 'string' && typeof e.message === 'string' && Array.isArray(e.details);
  } catch {
    return false;
  }
}

async function fixtures() {
  const h = await household(api.cloud);
  const token = await login(api.app, h.user.email, h.password);
  const { gateway, deviceId } = await gatewayWithSwitch(api.cloud, h);
  const auth = bearer(token);
  const room = (
    await api.app.inject({
      method: 'POST',
      url: `/v1/homes/${h.home.id}/rooms`,
      headers: auth,
      payload: { name: 'Den' },
    })
  ).json();
  const schedule = (
    await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${deviceId}/schedules`,
      headers: auth,
      payload: { cron: '0 7 * * *', timeZone: 'UTC', action: 'on' },
    })
  ).json();
  const command = (
    await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${deviceId}/commands`,
      headers: auth,
      payload: { action: 'press' },
    })
  ).json();
  // The admin API is fuzzed as an admin; its own id is not offered, so no request disables it.
  const { operators } = api.cloud.services;
  await operators.create({ email: 'fuzz-admin@ops.test', password: 'fuzz admin password', role: 'admin' });
  const operator = await operators.create({
    email: 'fuzz-op@ops.test',
    password: 'fuzz op password',
    role: 'operator',
  });
  const adminToken = await login(api.app, 'fuzz-admin@ops.test', 'fuzz admin password');
  const known = {
    id: [h.home.id, deviceId, schedule.id, command.commandId, operator.id],
    roomId: [room.id],
    userId: [h.user.id],
    email: [h.user.email],
  };
  return { token, adminToken, gateway, known };
}

describe('schema-driven fuzzing of every operation', () => {
  it('never answers 5xx, and answers every error in the error shape', { timeout: 240_000 }, async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc;
    const { token, adminToken, gateway, known } = await fixtures();
    // Waits are kept short: what is fuzzed is the input, and a wait's length is tested elsewhere.
    const generator = new RequestGenerator(doc.components.schemas, known, { waitMs: fc.integer({ min: 0, max: 30 }) });
    const findings: Finding[] = [];
    let calls = 0;
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    for (const [i, { path, method, op }] of operations.entries()) {
      const name = `${method} ${path}`;
      if (STREAMS.has(name)) continue;
      const result = await fc.check(
        fc.asyncProperty(generator.request(method, path, op), async (request) => {
          calls++;
          const res = await api.app.inject({
            method: request.method as 'GET',
            url: request.url,
            headers: { ...bearer(path.startsWith('/v1/admin/') ? adminToken : token), ...request.headers },
            ...(request.payload !== undefined ? { payload: request.payload } : {}),
          });
          if (judge(name, res.statusCode, res.body)) return true;
          findings.push({ operation: name, request, status: res.statusCode, body: res.body.slice(0, 300) });
          return false;
        }),
        {
          seed: SEED + i,
          numRuns: RUNS_PER_OPERATION,
          interruptAfterTimeLimit: TIME_PER_OPERATION_MS,
          endOnFailure: true,
        },
      );
      if (result.failed && findings.length === 0)
        throw result.errorInstance ?? new Error(`${name}: the property threw (seed ${SEED + i})`);
    }
    await gateway.close();
    expect(findings).toEqual([]);
    expect(calls).toBeGreaterThan((operations.length - STREAMS.size) * RUNS_PER_OPERATION * 0.5);
  });
});
