import { describe, expect, it } from 'vitest';
import { useApi } from './support.ts';

const api = useApi({ api: { authLimits: { registerPerIp: { max: 3, windowMs: 60_000 } } } });

function register(email: string, ip: string) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { email, password: 'long enough' },
    remoteAddress: ip,
  });
}

describe('registration rate limiting', () => {
  it('answers 429 with Retry-After past the limit for one client address, and not for another address', async () => {
    const stamp = Date.now();
    const answers: number[] = [];
    for (let i = 0; i < 4; i++) answers.push((await register(`r${i}-${stamp}@example.test`, '10.4.0.1')).statusCode);
    expect(answers).toEqual([202, 202, 202, 429]);
    const limited = await register(`r9-${stamp}@example.test`, '10.4.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await register(`r10-${stamp}@example.test`, '10.4.0.2')).statusCode).toBe(202);
  });

  it('counts an IPv6 client by its /64, so rotating addresses within it does not buy attempts', async () => {
    const stamp = Date.now();
    const answers: number[] = [];
    for (let i = 1; i <= 4; i++)
      answers.push((await register(`v${i}-${stamp}@example.test`, `2001:db8:1:2::${i}`)).statusCode);
    expect(answers).toEqual([202, 202, 202, 429]);
  });
});
