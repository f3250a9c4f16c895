import { connectGateway, randomAddress, unique } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const api = useApi();

const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

async function person() {
  const email = `${unique('p')}@example.test`;
  const password = 'correct horse battery';
  await api.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } });
  return { email, token: await login(api.app, email, password) };
}

/** A user with a home, a gateway claimed into it by code, and one reported switch. */
async function resident() {
  const p = await person();
  const home = (await call(p.token, 'POST', '/v1/homes', { name: 'Home' })).json();
  const provisioned = await api.cloud.services.gateways.provisionGateway({ gatewayId: unique('gw') });
  const claimed = await call(p.token, 'POST', `/v1/homes/${home.id}/gateways/claim`, {
    claimCode: provisioned.claimCode,
  });
  expect(claimed.statusCode).toBe(201);
  const gateway = await connectGateway(api.cloud, provisioned);
  await gateway.announce();
  await gateway.report({ address: randomAddress(), model: 'WoHand' }, { state: { on: false } });
  const device = await eventually(
    async () => (await call(p.token, 'GET', '/v1/devices')).json()[0] as { id: string } | undefined,
  );
  return { ...p, home, gateway, deviceId: device.id, claimCode: provisioned.claimCode! };
}

describe('the authorization matrix of two users, two homes and two gateways', () => {
  it('shows each user only their own home, devices and commands, and everything else is 404', async () => {
    const a = await resident();
    const b = await resident();
    expect((await call(b.token, 'GET', '/v1/homes')).json().map((h: { id: string }) => h.id)).toEqual([b.home.id]);
    expect((await call(b.token, 'GET', '/v1/devices')).json().map((d: { id: string }) => d.id)).toEqual([b.deviceId]);
    const command = (await call(a.token, 'POST', `/v1/devices/${a.deviceId}/commands`, { action: 'press' })).json();

    const foreign: [string, string, object?][] = [
      ['GET', `/v1/homes/${a.home.id}`],
      ['PATCH', `/v1/homes/${a.home.id}`, { name: 'Mine now' }],
      ['GET', `/v1/homes/${a.home.id}/members`],
      ['GET', `/v1/homes/${a.home.id}/rooms`],
      ['POST', `/v1/homes/${a.home.id}/rooms`, { name: 'Attic' }],
      ['GET', `/v1/homes/${a.home.id}/gateways`],
      ['GET', `/v1/homes/${a.home.id}/gateways/${a.gateway.gatewayId}`],
      ['POST', `/v1/homes/${a.home.id}/invitations`, { email: b.email }],
      ['POST', `/v1/homes/${a.home.id}/gateways/claim`, { claimCode: 'AAAAAAAAAAAAAAAA' }],
      ['GET', `/v1/devices/${a.deviceId}`],
      ['PATCH', `/v1/devices/${a.deviceId}`, { name: 'Stolen' }],
      ['GET', `/v1/devices/${a.deviceId}/shadow`],
      ['PATCH', `/v1/devices/${a.deviceId}/desired`, { on: true }],
      ['GET', `/v1/devices/${a.deviceId}/history`],
      ['POST', `/v1/devices/${a.deviceId}/commands`, { action: 'on' }],
      ['GET', `/v1/commands/${command.commandId}`],
    ];
    for (const [method, url, body] of foreign) {
      const res = await call(b.token, method as 'GET', url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await call(a.token, 'GET', `/v1/homes/${a.home.id}`)).json().name).toBe('Home');
    await a.gateway.close();
    await b.gateway.close();
  });
});

describe('invitations', () => {
  it('let the invited user, and only them, join as a member who can see but not manage the home', async () => {
    const a = await resident();
    const b = await person();
    const c = await person();
    const invited = await call(a.token, 'POST', `/v1/homes/${a.home.id}/invitations`, { email: b.email.toUpperCase() });
    expect(invited.statusCode).toBe(201);
    const { id } = invited.json();
    expect((await call(b.token, 'GET', '/v1/invitations')).json()).toMatchObject([
      { id, homeId: a.home.id, status: 'pending' },
    ]);
    expect((await call(c.token, 'GET', '/v1/invitations')).json()).toEqual([]);
    expect((await call(c.token, 'POST', `/v1/invitations/${id}/accept`)).statusCode).toBe(404);
    expect((await call(b.token, 'GET', `/v1/invitations/${id}`)).json()).toMatchObject({ id, status: 'pending' });
    expect((await call(a.token, 'GET', `/v1/invitations/${id}`)).statusCode).toBe(200);
    expect((await call(c.token, 'GET', `/v1/invitations/${id}`)).statusCode).toBe(404);

    const accepted = await call(b.token, 'POST', `/v1/invitations/${id}/accept`);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ id: a.home.id, role: 'member' });
    expect((await call(b.token, 'GET', '/v1/devices')).json().map((d: { id: string }) => d.id)).toEqual([a.deviceId]);
    const members = (await call(a.token, 'GET', `/v1/homes/${a.home.id}/members`)).json();
    expect(members.map((m: { role: string }) => m.role).sort()).toEqual(['member', 'owner']);

    expect((await call(b.token, 'PATCH', `/v1/homes/${a.home.id}`, { name: 'Ours' })).statusCode).toBe(403);
    expect((await call(b.token, 'POST', `/v1/homes/${a.home.id}/invitations`, { email: c.email })).statusCode).toBe(
      403,
    );
    expect((await call(a.token, 'POST', `/v1/homes/${a.home.id}/invitations`, { email: b.email })).statusCode).toBe(
      409,
    );
    await a.gateway.close();
  });
});

describe('gateway claim codes', () => {
  it('work once: a used code is 404, even for the same owner', async () => {
    const a = await resident();
    const again = await call(a.token, 'POST', `/v1/homes/${a.home.id}/gateways/claim`, { claimCode: a.claimCode });
    expect(again.statusCode).toBe(404);
    const listed = (await call(a.token, 'GET', `/v1/homes/${a.home.id}/gateways`)).json();
    expect(listed).toEqual([expect.objectContaining({ id: a.gateway.gatewayId, homeId: a.home.id })]);
    await a.gateway.close();
  });
});

describe('rooms and renaming', () => {
  it('rename homes and devices, and move a device into a room of its own home only', async () => {
    const a = await resident();
    const b = await resident();
    expect((await call(a.token, 'PATCH', `/v1/homes/${a.home.id}`, { name: 'Cabin' })).json().name).toBe('Cabin');
    const room = (await call(a.token, 'POST', `/v1/homes/${a.home.id}/rooms`, { name: 'Kitchen' })).json();
    expect(
      (await call(a.token, 'PATCH', `/v1/homes/${a.home.id}/rooms/${room.id}`, { name: 'Galley' })).json().name,
    ).toBe('Galley');
    const moved = await call(a.token, 'PATCH', `/v1/devices/${a.deviceId}`, { name: 'Kettle', roomId: room.id });
    expect(moved.json()).toMatchObject({ name: 'Kettle', roomId: room.id });
    const otherRoom = (await call(b.token, 'POST', `/v1/homes/${b.home.id}/rooms`, { name: 'Hall' })).json();
    const wrong = await call(a.token, 'PATCH', `/v1/devices/${a.deviceId}`, { roomId: otherRoom.id });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0].field).toBe('roomId');
    await a.gateway.close();
    await b.gateway.close();
  });
});

describe('names a user can choose', () => {
  it('answers a room renamed or added to the name of another room 409 NAME_TAKEN, changing nothing', async () => {
    const a = await person();
    const home = (await call(a.token, 'POST', '/v1/homes', { name: 'Home' })).json();
    const kitchen = (await call(a.token, 'POST', `/v1/homes/${home.id}/rooms`, { name: 'Kitchen' })).json();
    const hall = (await call(a.token, 'POST', `/v1/homes/${home.id}/rooms`, { name: 'Hall' })).json();
    const renamed = await call(a.token, 'PATCH', `/v1/homes/${home.id}/rooms/${hall.id}`, { name: 'Kitchen' });
    expect(renamed.statusCode).toBe(409);
    expect(renamed.json().error).toMatchObject({ code: 'NAME_TAKEN', details: [{ field: 'name' }] });
    const added = await call(a.token, 'POST', `/v1/homes/${home.id}/rooms`, { name: ' Kitchen ' });
    expect(added.statusCode).toBe(409);
    expect(added.json().error.code).toBe('NAME_TAKEN');
    const rooms = (await call(a.token, 'GET', `/v1/homes/${home.id}/rooms`)).json();
    expect(rooms.map((r: { id: string; name: string }) => [r.id, r.name])).toEqual([
      [hall.id, 'Hall'],
      [kitchen.id, 'Kitchen'],
    ]);
  });

  it('refuses a NUL character, which PostgreSQL text cannot hold, in every stored string with 400', async () => {
    const a = await resident();
    const room = (await call(a.token, 'POST', `/v1/homes/${a.home.id}/rooms`, { name: 'Den' })).json();
    const nul = 'a\u0000b';
    const cases: [string, string, object][] = [
      ['POST', '/v1/homes', { name: nul }],
      ['PATCH', `/v1/homes/${a.home.id}`, { name: nul }],
      ['POST', `/v1/homes/${a.home.id}/rooms`, { name: nul }],
      ['PATCH', `/v1/homes/${a.home.id}/rooms/${room.id}`, { name: nul }],
      ['PATCH', `/v1/devices/${a.deviceId}`, { name: nul }],
      ['POST', `/v1/homes/${a.home.id}/invitations`, { email: `x${nul}@example.test` }],
      ['POST', `/v1/homes/${a.home.id}/gateways/claim`, { claimCode: `ABCDEFGH${nul}` }],
      ['POST', `/v1/devices/${a.deviceId}/schedules`, { cron: `0 7 * * *${nul}`, timeZone: 'UTC', action: 'on' }],
      ['POST', `/v1/devices/${a.deviceId}/schedules`, { cron: '0 7 * * *', timeZone: `UTC${nul}`, action: 'on' }],
      ['POST', '/v1/auth/login', { email: `${a.email}${nul}`, password: 'correct horse battery' }],
      ['POST', '/v1/auth/register', { email: `n${nul}@example.test`, password: 'correct horse battery' }],
      ['POST', '/v1/auth/refresh', { refreshToken: nul }],
      ['POST', '/v1/auth/logout', { refreshToken: nul }],
    ];
    for (const [method, url, body] of cases) {
      const res = await call(a.token, method as 'POST', url, body);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await call(a.token, 'GET', `/v1/homes/${a.home.id}`)).json().name).toBe('Home');
    await a.gateway.close();
  });
});

describe("a home's time zone", () => {
  it('is UTC until the owner sets an IANA name, which GET returns in its canonical spelling', async () => {
    const a = await person();
    const home = (await call(a.token, 'POST', '/v1/homes', { name: 'Flat' })).json();
    expect(home.timeZone).toBe('UTC');
    const set = await call(a.token, 'PATCH', `/v1/homes/${home.id}`, { timeZone: 'europe/berlin' });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ name: 'Flat', timeZone: 'Europe/Berlin' });
    expect((await call(a.token, 'GET', `/v1/homes/${home.id}`)).json().timeZone).toBe('Europe/Berlin');
    expect((await call(a.token, 'GET', '/v1/homes')).json()[0].timeZone).toBe('Europe/Berlin');
    const both = await call(a.token, 'PATCH', `/v1/homes/${home.id}`, { name: 'Loft', timeZone: 'Asia/Tokyo' });
    expect(both.json()).toMatchObject({ name: 'Loft', timeZone: 'Asia/Tokyo' });
  });

  it('refuses a name Intl does not know, or nothing to change, with 400 and keeps the old zone', async () => {
    const a = await person();
    const home = (await call(a.token, 'POST', '/v1/homes', { name: 'Flat' })).json();
    for (const body of [{ timeZone: 'Mars/Olympus_Mons' }, { timeZone: '+01:00' }, { timeZone: '' }, {}]) {
      const bad = await call(a.token, 'PATCH', `/v1/homes/${home.id}`, body);
      expect(bad.statusCode, JSON.stringify(body)).toBe(400);
      expect(bad.json().error.code, JSON.stringify(body)).toMatch(/^(INVALID_INPUT|VALIDATION_FAILED)$/);
    }
    const refused = await call(a.token, 'PATCH', `/v1/homes/${home.id}`, { timeZone: 'Mars/Olympus_Mons' });
    expect(refused.json().error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(refused.json().error.message).toContain('Mars/Olympus_Mons');
    expect((await call(a.token, 'GET', `/v1/homes/${home.id}`)).json().timeZone).toBe('UTC');
  });

  it("follows the rename rules: another user's home is 404, a member's change 403", async () => {
    const a = await resident();
    const b = await person();
    const other = await call(b.token, 'PATCH', `/v1/homes/${a.home.id}`, { timeZone: 'Asia/Tokyo' });
    expect(other.statusCode).toBe(404);
    const invitation = (await call(a.token, 'POST', `/v1/homes/${a.home.id}/invitations`, { email: b.email })).json();
    await call(b.token, 'POST', `/v1/invitations/${invitation.id}/accept`);
    expect((await call(b.token, 'PATCH', `/v1/homes/${a.home.id}`, { timeZone: 'Asia/Tokyo' })).statusCode).toBe(403);
    expect((await call(b.token, 'GET', `/v1/homes/${a.home.id}`)).json().timeZone).toBe('UTC');
    await a.gateway.close();
  });
});
