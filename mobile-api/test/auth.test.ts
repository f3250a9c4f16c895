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
  it('creates an account and answers 201 with its id and email', async () => {
    const address = email();
    const res = await register({ email: address, password: 'long enough' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: address });
  });

  it('answers 409 for an email that already has an account', async () => {
    const address = email();
    await register({ email: address, password: 'long enough' });
    const res = await register({ email: address, password: 'another one' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'EMAIL_TAKEN', details: [{ field: 'email' }] });
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
    const res = await api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: address, password: 'long enough' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, accessToken: expect.any(String) });
    const devices = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(res.json().accessToken) });
    expect(devices.statusCode).toBe(200);
    expect(devices.json()).toEqual([]);
  });

  it('answers 401 alike for a wrong password and an unknown email', async () => {
    const address = email();
    await register({ email: address, password: 'long enough' });
    const wrong = await api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: address, password: 'not the one' } });
    const unknown = await api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: email(), password: 'long enough' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
  });
});

describe('protected routes', () => {
  it('answer 401 without a token, with a malformed one, a forged one and an expired one', async () => {
    const address = email();
    const { id } = (await register({ email: address, password: 'long enough' })).json();
    const forged = (await new TokenIssuer('some-other-secret-of-enough-length!').sign(id, randomUUID())).token;
    const expired = (await new TokenIssuer(JWT_SECRET, 60, () => Date.now() - 3_600_000).sign(id, randomUUID())).token;
    const attempts = [{}, { authorization: 'Bearer' }, { authorization: 'Basic abc' }, bearer('a.b.c'), bearer(forged), bearer(expired)];
    for (const headers of attempts) {
      const res = await api.app.inject({ method: 'GET', url: '/v1/devices', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
    const ok = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(await login(api.app, address, 'long enough')) });
    expect(ok.statusCode).toBe(200);
  });
});
