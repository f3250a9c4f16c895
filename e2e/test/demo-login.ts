/** Logs in to a running `npm start` as its demo account, over real HTTP; the headers for its calls. */
import { expect } from 'vitest';

export async function demoLogin(base: string): Promise<{ authorization: string }> {
  const login = await fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'demo@switchfleet.local', password: 'switchfleet-demo' }),
  });
  expect(login.status).toBe(200);
  return { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}
