/**
 * HTTP semantics of RFC 9110 the API follows: 405 with Allow, Location on 201 and 202, bodies
 * validated without type coercion, the router's own refusals (414, bad URL) in the error shape.
 */
import { gatewayWithSwitch, household } from '@switchfleet/testkit/cloud';
import { describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const api = useApi();

async function owner() {
  const h = await household(api.cloud);
  const token = await login(api.app, h.user.email, h.password);
  return { h, token, ...(await gatewayWithSwitch(api.cloud, h)) };
}

const DEVICE = '6f1c1e9e-1111-4000-8000-000000000001';

function expectErrorShape(body: unknown, code: string) {
  expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Array) } });
}

describe('a method the path does not support', () => {
  it('answers 405 with Allow listing the methods of that path (RFC 9110 §15.5.6)', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/v1/devices', 'GET, HEAD'],
      ['PUT', `/v1/devices/${DEVICE}`, 'GET, HEAD, PATCH'],
      ['PUT', `/v1/schedules/${DEVICE}`, 'DELETE, GET, HEAD'],
      ['PUT', `/v1/homes/${DEVICE}/gateways/claim`, 'GET, HEAD, POST'],
      ['PATCH', '/v1/homes', 'GET, HEAD, POST'],
      ['POST', '/health', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const res = await api.app.inject({ method: method as 'GET', url, payload: method === 'GET' ? undefined : {} });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.headers.allow, `${method} ${url}`).toBe(allow);
      expectErrorShape(res.json(), 'METHOD_NOT_ALLOWED');
    }
  });

  it('leaves a path no route has at 404', async () => {
    const res = await api.app.inject({ method: 'DELETE', url: '/v1/nothing/here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
  });
});

describe('Location (RFC 9110 §10.2.2)', () => {
  it('names the created resource on every 201 of a home, room, invitation, gateway and schedule', async () => {
    const o = await owner();
    const auth = bearer(o.token);
    const home = await api.app.inject({ method: 'POST', url: '/v1/homes', headers: auth, payload: { name: 'Cabin' } });
    expect(home.statusCode).toBe(201);
    expect(home.headers.location).toBe(`/v1/homes/${home.json().id}`);
    const fetched = await api.app.inject({ method: 'GET', url: home.headers.location as string, headers: auth });
    expect(fetched.json()).toEqual(home.json());

    const room = await api.app.inject({
      method: 'POST',
      url: `/v1/homes/${o.h.home.id}/rooms`,
      headers: auth,
      payload: { name: 'Hall' },
    });
    expect(room.headers.location).toBe(`/v1/homes/${o.h.home.id}/rooms/${room.json().id}`);
    const invited = await api.app.inject({
      method: 'POST',
      url: `/v1/homes/${o.h.home.id}/invitations`,
      headers: auth,
      payload: { email: 'guest@example.test' },
    });
    expect(invited.headers.location).toBe(`/v1/invitations/${invited.json().id}`);
    const provisioned = await api.cloud.services.gateways.provisionGateway({ gatewayId: `gw-loc-${Date.now()}` });
    const claimed = await api.app.inject({
      method: 'POST',
      url: `/v1/homes/${o.h.home.id}/gateways/claim`,
      headers: auth,
      payload: { claimCode: provisioned.claimCode },
    });
    expect(claimed.statusCode).toBe(201);
    expect(claimed.headers.location).toBe(`/v1/homes/${o.h.home.id}/gateways/${provisioned.gatewayId}`);
    const schedule = await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${o.deviceId}/schedules`,
      headers: auth,
      payload: { cron: '30 7 * * 1-5', timeZone: 'Europe/Paris', action: 'on' },
    });
    expect(schedule.headers.location).toBe(`/v1/schedules/${schedule.json().id}`);
    // Each Location can be read back, and answers what the 201 carried.
    for (const made of [room, invited, claimed, schedule]) {
      const read = await api.app.inject({ method: 'GET', url: made.headers.location as string, headers: auth });
      expect(read.statusCode, made.headers.location as string).toBe(200);
      expect(read.json()).toEqual(made.json());
    }
    await o.gateway.close();
  });

  it('names the command on the 202 of a command, where its status can be followed', async () => {
    const o = await owner();
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${o.deviceId}/commands`,
      headers: bearer(o.token),
      payload: { action: 'press' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(`/v1/commands/${res.json().commandId}`);
    const status = await api.app.inject({
      method: 'GET',
      url: res.headers.location as string,
      headers: bearer(o.token),
    });
    expect(status.json()).toMatchObject({ commandId: res.json().commandId, deviceId: o.deviceId });
    await o.gateway.close();
  });
});

describe('JSON bodies keep their types', () => {
  it('refuses a number for a name and a string for a boolean, changing nothing', async () => {
    const o = await owner();
    const auth = bearer(o.token);
    const named = await api.app.inject({ method: 'POST', url: '/v1/homes', headers: auth, payload: { name: 12345 } });
    expect(named.statusCode).toBe(400);
    expect(named.json().error.details[0]).toMatchObject({ field: 'name', in: 'body' });
    const off = await api.app.inject({
      method: 'PATCH',
      url: `/v1/devices/${o.deviceId}/desired`,
      headers: auth,
      payload: { on: 'false' },
    });
    expect(off.statusCode).toBe(400);
    expect(off.json().error.details[0]).toMatchObject({ field: 'on', in: 'body' });
    const action = await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${o.deviceId}/commands`,
      headers: auth,
      payload: { action: 'on', ttlMs: '5000' },
    });
    expect(action.statusCode).toBe(400);
    const shadow = await api.app.inject({ method: 'GET', url: `/v1/devices/${o.deviceId}/shadow`, headers: auth });
    expect(shadow.json().state.desired).toEqual({});
    expect((await api.app.inject({ method: 'GET', url: '/v1/homes', headers: auth })).json()).toHaveLength(1);
    await o.gateway.close();
  });

  it('still reads query parameters, which are text, as their types', async () => {
    const o = await owner();
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${o.deviceId}/commands?wait=true&waitMs=50`,
      headers: bearer(o.token),
      payload: { action: 'press' },
    });
    expect(res.statusCode).toBe(202);
    await o.gateway.close();
  });
});

describe('what the router refuses before any route runs', () => {
  it('answers a path segment over the parameter bound 414 in the error shape', async () => {
    const res = await api.app.inject({ method: 'GET', url: `/v1/devices/${'a'.repeat(300)}` });
    expect(res.statusCode).toBe(414);
    expectErrorShape(res.json(), 'URI_TOO_LONG');
  });

  it('answers a target URI over 8000 octets 414 on any route, and a bad percent-encoding 400', async () => {
    const long = await api.app.inject({ method: 'GET', url: `/health?pad=${'x'.repeat(8000)}` });
    expect(long.statusCode).toBe(414);
    expectErrorShape(long.json(), 'URI_TOO_LONG');
    const bad = await api.app.inject({ method: 'GET', url: '/v1/devices/%zz' });
    expect(bad.statusCode).toBe(400);
    expectErrorShape(bad.json(), 'MALFORMED_URL');
  });
});
