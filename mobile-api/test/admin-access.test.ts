/**
 * Who reaches what: households, operators, admins and callers without a valid token, against every
 * admin route (and paths and methods the admin scope does not serve) and the household routes. The
 * admin scope answers anyone but an active operator exactly as a path without a route; operators
 * reach nothing else.
 */
import { randomUUID } from 'node:crypto';
import { household, unique } from '@switchfleet/testkit/cloud';
import type { HTTPMethods, LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../src/index.ts';
import { bearer, JWT_SECRET, login, useApi } from './support.ts';

const api = useApi();
const PASSWORD = 'operator passphrase';

type Caller = 'none' | 'garbage' | 'expired' | 'household' | 'forged' | 'disabled' | 'operator' | 'admin';
const headers: Partial<Record<Caller, Record<string, string>>> = {};
let homeId: string;
let someOperatorId: string;

async function operatorToken(role: 'operator' | 'admin'): Promise<{ id: string; token: string }> {
  const email = `${unique(role)}@ops.test`;
  const operator = await api.cloud.services.operators.create({ email, password: PASSWORD, role });
  return { id: operator.id, token: await login(api.app, email, PASSWORD) };
}

beforeAll(async () => {
  const h = await household(api.cloud);
  homeId = h.home.id;
  const userToken = await login(api.app, h.user.email, h.password);
  const admin = await operatorToken('admin');
  const operator = await operatorToken('operator');
  someOperatorId = operator.id;
  const gone = await operatorToken('operator');
  await api.cloud.services.operators.disable(gone.id);
  // Genuinely signed, but an hour past its expiry.
  const expired = await new TokenIssuer(JWT_SECRET, 60, () => Date.now() - 3_600_000).sign(admin.id, randomUUID(), {
    kind: 'operator',
    role: 'admin',
  });
  // Signed with the right key, claiming to be an admin, over a household's session.
  const userSession = await api.cloud.services.sessions.start(h.user.id);
  const forged = await new TokenIssuer(JWT_SECRET).sign(h.user.id, userSession.familyId, {
    kind: 'operator',
    role: 'admin',
  });
  Object.assign(headers, {
    none: {},
    garbage: bearer('not.a.token'),
    expired: bearer(expired.token),
    household: bearer(userToken),
    forged: bearer(forged.token),
    disabled: bearer(gone.token),
    operator: bearer(operator.token),
    admin: bearer(admin.token),
  });
});

function call(caller: Caller, method: HTTPMethods, url: string, payload?: object): Promise<LightMyRequestResponse> {
  return api.app.inject({ method, url, headers: headers[caller], ...(payload ? { payload } : {}) });
}

/** A release id no release has (and no device). */
const NO_RELEASE = randomUUID();
const newOperator = () => ({ email: `${unique('new')}@ops.test`, password: PASSWORD, role: 'operator' });

/** [method, path, body, status for an operator, status for an admin] */
const ADMIN_ROUTES: [HTTPMethods, () => string, (() => object) | undefined, number, number][] = [
  ['GET', () => '/v1/admin/me', undefined, 200, 200],
  ['HEAD', () => '/v1/admin/me', undefined, 200, 200],
  ['GET', () => '/v1/admin/operators', undefined, 403, 200],
  ['POST', () => '/v1/admin/operators', newOperator, 403, 201],
  ['GET', () => `/v1/admin/operators/${someOperatorId}`, undefined, 403, 200],
  ['GET', () => '/v1/admin/audit', undefined, 403, 200],
  ['GET', () => '/v1/admin/releases', undefined, 200, 200],
  // A JSON body where an image is taken: 415 once the caller is let in.
  ['POST', () => '/v1/admin/releases', () => ({ image: 'x' }), 415, 415],
  ['GET', () => `/v1/admin/releases/${NO_RELEASE}`, undefined, 404, 404],
  ['GET', () => `/v1/admin/releases/${NO_RELEASE}/report`, undefined, 404, 404],
  ['POST', () => `/v1/admin/releases/${NO_RELEASE}/test`, undefined, 404, 404],
  ['POST', () => `/v1/admin/releases/${NO_RELEASE}/revoke`, undefined, 403, 404],
  ['GET', () => '/v1/admin/signing-keys', undefined, 200, 200],
  ['POST', () => '/v1/admin/signing-keys', () => ({ publicKeyPem: 'not a key' }), 403, 422],
  ['GET', () => `/v1/admin/signing-keys/${'ab'.repeat(32)}`, undefined, 404, 404],
  ['POST', () => `/v1/admin/signing-keys/${'ab'.repeat(32)}/revoke`, undefined, 403, 404],
  ['GET', () => '/v1/admin/devices', undefined, 200, 200],
  ['GET', () => `/v1/admin/devices/${NO_RELEASE}`, undefined, 404, 404],
  ['GET', () => '/v1/admin/gateways', undefined, 200, 200],
  ['GET', () => '/v1/admin/gateways/no-such-gateway', undefined, 404, 404],
  ['POST', () => '/v1/admin/gateways', () => ({}), 403, 201],
  ['POST', () => '/v1/admin/gateways/no-such-gateway/secret', undefined, 403, 404],
  // Paths and methods the scope does not serve.
  ['GET', () => '/v1/admin/nothing-here', undefined, 404, 404],
  ['POST', () => '/v1/admin/releases/x/y/z', () => ({ a: 1 }), 404, 404],
  ['DELETE', () => '/v1/admin/me', undefined, 405, 405],
  ['PUT', () => '/v1/admin/operators', newOperator, 405, 405],
  ['PATCH', () => `/v1/admin/operators/${someOperatorId}`, () => ({ role: 'admin' }), 405, 405],
  ['OPTIONS', () => '/v1/admin/me', undefined, 405, 405],
  ['GET', () => '/v1/admin', undefined, 404, 404],
  ['GET', () => '/v1/admin/', undefined, 404, 404],
];

const OUTSIDERS: Caller[] = ['none', 'garbage', 'expired', 'household', 'forged', 'disabled'];

/** What a path no route serves answers: the reference every hidden answer must equal. */
async function noRoute(method: HTTPMethods, url: string) {
  const res = await api.app.inject({ method, url: `/v1/no-such-scope-${randomUUID()}` });
  expect(res.statusCode).toBe(404);
  return res.body.replace(/\/v1\/no-such-scope-[0-9a-f-]+/, url.split('?')[0]!).replace(/GET|HEAD/, method);
}

describe('the admin scope', () => {
  it('answers anyone without an active operator token as if no route were there, on every path and method', async () => {
    const wrong: string[] = [];
    for (const caller of OUTSIDERS) {
      for (const [method, path, body] of ADMIN_ROUTES) {
        const url = path();
        const res = await call(caller, method, url, body?.());
        const expected = method === 'HEAD' ? '' : await noRoute(method, url);
        const leaks = ['allow', 'www-authenticate'].filter((h) => res.headers[h] !== undefined);
        if (res.statusCode !== 404 || res.body !== expected || leaks.length > 0) {
          wrong.push(`${caller} ${method} ${url}: ${res.statusCode} ${res.body} ${leaks.join(',')}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets an operator and an admin in, with the role deciding the admin-only routes', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const caller of ['operator', 'admin'] as const) {
      for (const [method, path, body, asOperator, asAdmin] of ADMIN_ROUTES) {
        const res = await call(caller, method, path(), body?.());
        got.push(`${caller} ${method} ${path()} ${res.statusCode}`);
        want.push(`${caller} ${method} ${path()} ${caller === 'admin' ? asAdmin : asOperator}`);
      }
    }
    expect(got).toEqual(want);
  });

  it('tells the operator who it is, and a refused role says why', async () => {
    const me = await call('operator', 'GET', '/v1/admin/me');
    expect(me.json()).toEqual({ id: someOperatorId, email: expect.stringMatching(/@ops\.test$/), role: 'operator' });
    const refused = await call('operator', 'GET', '/v1/admin/operators');
    expect(refused.json().error).toMatchObject({ code: 'FORBIDDEN', message: 'only an admin may do this' });
  });
});

describe('the household routes', () => {
  const HOUSEHOLD_ROUTES: [HTTPMethods, () => string, (() => object) | undefined][] = [
    ['GET', () => '/v1/devices', undefined],
    ['GET', () => '/v1/homes', undefined],
    ['POST', () => '/v1/homes', () => ({ name: 'Office' })],
    ['GET', () => `/v1/homes/${homeId}/rooms`, undefined],
    ['GET', () => '/v1/invitations', undefined],
    ['GET', () => `/v1/devices/${randomUUID()}`, undefined],
  ];

  it('answer an operator or an admin as paths without a route, a household as before, no token with 401', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const [method, path, body] of HOUSEHOLD_ROUTES) {
      const url = path();
      for (const caller of ['operator', 'admin', 'household', 'none'] as const) {
        const res = await call(caller, method, url, body?.());
        const expected =
          caller === 'household' ? (url.includes('/v1/devices/') ? 404 : method === 'POST' ? 201 : 200) : undefined;
        if (caller === 'operator' || caller === 'admin') {
          got.push(`${caller} ${method} ${url} ${res.statusCode} ${res.body}`);
          want.push(`${caller} ${method} ${url} 404 ${await noRoute(method, url)}`);
        } else {
          got.push(`${caller} ${method} ${url} ${res.statusCode}`);
          want.push(`${caller} ${method} ${url} ${expected ?? 401}`);
        }
      }
    }
    expect(got).toEqual(want);
  });
});
