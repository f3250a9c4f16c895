import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenIssuer } from '../src/index.ts';
import { bearer, JWT_SECRET, login, useApi } from './support.ts';

const api = useApi();

let n = 0;
const email = () => `user${++n}-${Date.now()}@example.test`;

function register(payload: unknown) {
  return api.app.inject({ method: 'POST', url: '/v1/auth/register', payload: payload as object });
}

describe('registration', () => {
  it('creates an account and answers 202; the account then logs in', async () => {
    const address = email();
    const res = await register({ email: address, password: 'long enough' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ email: address, message: expect.any(String) });
    expect(await login(api.app, address, 'long enough')).toEqual(expect.any(String));
  });

  it('answers an address that has an account exactly as a new one, and leaves that account as it was', async () => {
    const taken = email();
    await register({ email: taken, password: 'long enough' });
    const again = await register({ email: taken, password: 'another one' });
    const fresh = await register({ email: email(), password: 'another one' });
    expect(again.statusCode).toBe(fresh.statusCode);
    expect(again.headers['content-type']).toBe(fresh.headers['content-type']);
    expect(again.json().message).toBe(fresh.json().message);
    expect(Object.keys(again.json()).sort()).toEqual(Object.keys(fresh.json()).sort());
    expect(again.json().email).toBe(taken);
    await expect(login(api.app, taken, 'another one')).rejects.toThrow(/401/);
    expect(await login(api.app, taken, 'long enough')).toEqual(expect.any(String));
  });

  it('takes about as long for an address that has an account as for a new one', async () => {
    const taken = email();
    await register({ email: taken, password: 'long enough' });
    const timed = async (address: string) => {
      const started = performance.now();
      await register({ email: address, password: 'long enough' });
      return performance.now() - started;
    };
    const existing: number[] = [];
    const fresh: number[] = [];
    for (let i = 0; i < 7; i++) {
      existing.push(await timed(taken));
      fresh.push(await timed(email()));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Both hash the password (scrypt, tens of milliseconds); a path that skipped it would be many times faster.
    const ratio = median(existing) / median(fresh);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('answers 400 naming the field for a short password, a bad email, a missing or an extra field', async () => {
    const cases: [unknown, string][] = [
      [{ email: email(), password: 'short' }, 'password'],
      [{ email: 'not-an-email', password: 'long enough' }, 'email'],
      [{ password: 'long enough' }, 'email'],
      [{ email: email(), password: 'long enough', admin: true }, 'admin'],
    ];
    for (const [payload, field] of cases) {
      const res = await register(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.details[0]).toMatchObject({ field, in: 'body' });
    }
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'MALFORMED_BODY', details: [{ field: 'body' }] });
  });
});

describe('login', () => {
  it('returns a Bearer token that opens the protected routes', async () => {
    const address = email();
    await register({ email: address, password: 'long enough' });
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: address, password: 'long enough' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, accessToken: expect.any(String) });
    const devices = await api.app.inject({
      method: 'GET',
      url: '/v1/devices',
      headers: bearer(res.json().accessToken),
    });
    expect(devices.statusCode).toBe(200);
    expect(devices.json()).toEqual([]);
  });

  it('answers 401 alike for a wrong password and an unknown email', async () => {
    const address = email();
    await register({ email: address, password: 'long enough' });
    const wrong = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: address, password: 'not the one' },
    });
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: email(), password: 'long enough' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
  });
});

describe('protected routes', () => {
  it('answer 401 without a token, with a malformed one, a forged one and an expired one', async () => {
    const address = email();
    await register({ email: address, password: 'long enough' });
    const id = randomUUID();
    const forged = (await new TokenIssuer('some-other-secret-of-enough-length!').sign(id, randomUUID())).token;
    const expired = (await new TokenIssuer(JWT_SECRET, 60, () => Date.now() - 3_600_000).sign(id, randomUUID())).token;
    const attempts = [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Basic abc' },
      bearer('a.b.c'),
      bearer(forged),
      bearer(expired),
    ];
    for (const headers of attempts) {
      const res = await api.app.inject({ method: 'GET', url: '/v1/devices', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
    const ok = await api.app.inject({
      method: 'GET',
      url: '/v1/devices',
      headers: bearer(await login(api.app, address, 'long enough')),
    });
    expect(ok.statusCode).toBe(200);
  });
});
