/** Helpers for driving the API with `inject` as a phone app would. */
import type { FastifyInstance } from 'fastify';

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
