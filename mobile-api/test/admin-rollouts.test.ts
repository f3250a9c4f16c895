/**
 * Staged rollouts through the admin API: 201 with Location, a plan that changes nothing, the
 * release gate's 409, 422 for a spec the schema takes but the rules refuse, the transitions and
 * their 409, 404 for a household's token, and an audit entry for every action.
 */
import { gatewayWithSwitch, household, unique } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, TEST_HARDWARE, hangUntilAborted, testImage, testKey } from '@switchfleet/testkit/releases';
import { beforeAll, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const suite = new FakeSuite();
// A slow engine: the rollouts these tests make hold still while the routes are looked at.
const api = useApi({
  cloud: {
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: suite,
    releaseTesting: { pollMs: 50 },
    rolloutTickMs: 60_000,
  },
});
const PASSWORD = 'operator passphrase';
let auth: Record<string, string>;
let operatorId: string;
let passed: string;
let testing: string;
let deviceId: string;

beforeAll(async () => {
  const email = `${unique('op')}@ops.test`;
  operatorId = (await api.cloud.services.operators.create({ email, password: PASSWORD, role: 'operator' })).id;
  auth = bearer(await login(api.app, email, PASSWORD));
  const good = await api.cloud.services.releases.upload(testImage());
  await eventually(async () => (await api.cloud.services.releases.get(good.id)).state === 'passed', 20_000);
  passed = good.id;
  // Its test run never ends: the release stays `testing`.
  suite.verdict = hangUntilAborted;
  testing = (await api.cloud.services.releases.upload(testImage())).id;
  const h = await household(api.cloud);
  const sw = await gatewayWithSwitch(api.cloud, h, { hardwareId: TEST_HARDWARE, firmwareVersion: '0.1.0' });
  deviceId = sw.deviceId;
  await sw.gateway.close();
}, 60_000);

const call = (method: 'GET' | 'POST', url: string, payload?: object, headers = auth) =>
  api.app.inject({ method, url: `/v1/admin${url}`, headers, ...(payload ? { payload } : {}) });
const spec = (releaseId = passed) => ({
  releaseId,
  target: { deviceIds: [deviceId] },
  stages: [{ count: 1, approval: true }, { percent: 100 }],
});
const entries = async (action: string) =>
  (await api.cloud.services.audit.list({ actorId: operatorId, limit: 100 })).entries.filter((e) => e.action === action);

it('plans without writing anything, then creates: 201 with Location, awaiting the first approval', async () => {
  const before = (await call('GET', '/rollouts')).json().length;
  const plan = await call('POST', '/rollouts/plan', spec());
  expect(plan.statusCode).toBe(200);
  expect(plan.json().stages[0].devices).toEqual([deviceId]);
  expect(plan.json().estimate.makespanSeconds).toBeGreaterThan(0);
  expect((await call('GET', '/rollouts')).json()).toHaveLength(before);

  const res = await call('POST', '/rollouts', spec());
  expect(res.statusCode).toBe(201);
  const body = res.json();
  expect(res.headers.location).toBe(`/v1/admin/rollouts/${body.id}`);
  expect(body).toMatchObject({ state: 'awaiting_approval', createdBy: operatorId });
  expect(body.stages.map((s: { state: string }) => s.state)).toEqual(['awaiting_approval', 'pending']);
  const read = await call('GET', `/rollouts/${body.id}`);
  expect(read.json().counts.pending).toBe(1);
  expect(read.json().gateways).toHaveLength(1);
  const page = (await call('GET', `/rollouts/${body.id}/devices?limit=10`)).json();
  expect(page).toMatchObject({ items: [{ deviceId, stage: 0, state: 'pending' }], next: null });

  // The device is held: a second rollout skips it.
  const second = (await call('POST', '/rollouts/plan', spec())).json();
  expect(second.skipped).toEqual([{ deviceId, reason: 'in_other_rollout' }]);

  expect((await call('POST', `/rollouts/${body.id}/resume`)).statusCode).toBe(409);
  const approved = await call('POST', `/rollouts/${body.id}/approve`);
  expect(approved.statusCode).toBe(200);
  expect(approved.json().state).toBe('running');
  expect((await call('POST', `/rollouts/${body.id}/pause`)).json().state).toBe('paused');
  expect((await call('POST', `/rollouts/${body.id}/resume`)).json().state).toBe('running');
  expect((await call('POST', `/rollouts/${body.id}/cancel`)).json().state).toBe('cancelled');
  expect((await call('POST', `/rollouts/${body.id}/cancel`)).json().error.code).toBe('INVALID_TRANSITION');

  for (const action of ['rollout.plan', 'rollout.create', 'rollout.approve', 'rollout.pause', 'rollout.cancel']) {
    expect((await entries(action)).length, action).toBeGreaterThan(0);
  }
  const [created] = await entries('rollout.create');
  expect(created).toMatchObject({ target: { type: 'rollout', id: body.id }, outcome: 'success' });
  const refused = (await entries('rollout.resume')).find((e) => e.outcome === 'failure');
  expect(refused?.detail).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
});

it('answers 409 for a release that has not passed, 422 for a spec the rules refuse, and writes nothing', async () => {
  const before = (await call('GET', '/rollouts')).json().length;
  const notPassed = await call('POST', '/rollouts', spec(testing));
  expect(notPassed.statusCode).toBe(409);
  expect(notPassed.json().error.code).toBe('RELEASE_NOT_PASSED');
  const bad = await call('POST', '/rollouts', { ...spec(), stages: [{ percent: 50 }] });
  expect(bad.statusCode).toBe(422);
  expect(bad.json().error.code).toBe('INVALID_SPEC');
  const malformed = await call('POST', '/rollouts', { releaseId: passed, stages: [], extra: 1 });
  expect(malformed.statusCode).toBe(400);
  expect((await call('GET', '/rollouts')).json()).toHaveLength(before);
  expect((await call('GET', '/rollouts/6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c')).statusCode).toBe(404);
  expect((await entries('rollout.create')).some((e) => e.outcome === 'failure')).toBe(true);
});

it('is not there for a household token: 404', async () => {
  const h = await household(api.cloud);
  const token = bearer(await login(api.app, h.user.email, h.password));
  expect((await call('GET', '/rollouts', undefined, token)).statusCode).toBe(404);
  expect((await call('POST', '/rollouts', spec(), token)).statusCode).toBe(404);
});
