import { household } from '@switchfleet/testkit/cloud';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { TokenIssuer } from '../src/index.ts';
import { bearer, JWT_SECRET, useApi } from './support.ts';

const api = useApi({
  api: { authLimits: { loginPerAccountIp: { max: 3, windowMs: 60_000 }, loginPerIp: { max: 8, windowMs: 60_000 } } },
});

function login(email: string, password: string, ip = '10.0.0.1') {
  return api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress: ip });
}
function refresh(refreshToken: string) {
  return api.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
}

describe('refresh tokens', () => {
  it('rotate: each refresh returns new tokens that work, and the used refresh token stops working', async () => {
    const h = await household(api.cloud);
    const first = (await login(h.user.email, h.password, '10.1.0.1')).json();
    expect(first.refreshToken).toEqual(expect.any(String));
    const next = await refresh(first.refreshToken);
    expect(next.statusCode).toBe(200);
    expect(next.json().refreshToken).not.toBe(first.refreshToken);
    const devices = await api.app.inject({
      method: 'GET',
      url: '/v1/devices',
      headers: bearer(next.json().accessToken),
    });
    expect(devices.statusCode).toBe(200);
    const again = await refresh(first.refreshToken);
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('revoke the whole session when a used one is presented again (a copy leaked)', async () => {
    const h = await household(api.cloud);
    const first = (await login(h.user.email, h.password, '10.1.0.2')).json();
    const second = (await refresh(first.refreshToken)).json();
    expect((await refresh(first.refreshToken)).statusCode).toBe(401);
    // The thief replayed the old token; the legitimate newest token is now dead too, and so are the
    // access tokens already handed out in that session.
    expect((await refresh(second.refreshToken)).statusCode).toBe(401);
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(second.accessToken) })).statusCode,
    ).toBe(401);
  });

  it("end only the session logged out: the same user's other session keeps working", async () => {
    const h = await household(api.cloud);
    const phone = (await login(h.user.email, h.password, '10.1.0.4')).json();
    const tablet = (await login(h.user.email, h.password, '10.1.0.5')).json();
    const before = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(phone.accessToken) });
    expect(before.statusCode).toBe(200);
    await api.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: phone.refreshToken } });
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(phone.accessToken) })).statusCode,
    ).toBe(401);
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(tablet.accessToken) })).statusCode,
    ).toBe(200);
  });

  it('stop working after logout, and logout is idempotent', async () => {
    const h = await household(api.cloud);
    const tokens = (await login(h.user.email, h.password, '10.1.0.3')).json();
    const out = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
    const devices = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(tokens.accessToken) });
    expect(devices.statusCode).toBe(401);
    expect(devices.json().error.message).toMatch(/session/);
    const twice = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(twice.statusCode).toBe(204);
  });
});

describe('access tokens', () => {
  it("are refused when their session is another user's or was never started, though validly signed", async () => {
    const victim = await household(api.cloud);
    const intruder = await household(api.cloud);
    const victimSession = (await login(victim.user.email, victim.password, '10.1.0.6')).json();
    const { sid } = decodeJwt(victimSession.accessToken);
    const issuer = new TokenIssuer(JWT_SECRET);
    const borrowed = (await issuer.sign(intruder.user.id, String(sid))).token;
    const invented = (await issuer.sign(intruder.user.id, randomUUID())).token;
    for (const token of [borrowed, invented]) {
      const res = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(token) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
    const own = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(victimSession.accessToken) });
    expect(own.statusCode).toBe(200);
  });
});

describe('login rate limiting', () => {
  it('answers 429 with Retry-After past the limit for one email from one address, even with the right password', async () => {
    const h = await household(api.cloud);
    for (let i = 0; i < 3; i++) expect((await login(h.user.email, 'wrong password', '10.2.0.1')).statusCode).toBe(401);
    const limited = await login(h.user.email, h.password, '10.2.0.1');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
  });

  it("does not lock the account's owner out: wrong passwords from one address leave another address's login alone", async () => {
    const h = await household(api.cloud);
    for (let i = 0; i < 6; i++) await login(h.user.email, 'wrong password', '10.2.1.1');
    expect((await login(h.user.email, h.password, '10.2.1.1')).statusCode).toBe(429);
    const owner = await login(h.user.email, h.password, '10.2.1.2');
    expect(owner.statusCode).toBe(200);
    expect(owner.json().accessToken).toEqual(expect.any(String));
  });

  it('answers 429 past the limit for one client address across many emails', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 9; i++)
      answers.push((await login(`nobody-${i}@example.test`, 'whatever1', '10.3.0.1')).statusCode);
    expect(answers.slice(0, 8).every((s) => s === 401)).toBe(true);
    expect(answers[8]).toBe(429);
    const elsewhere = await login('nobody-0@example.test', 'whatever1', '10.3.0.2');
    expect(elsewhere.statusCode).toBe(401);
  });
});
