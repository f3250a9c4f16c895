import { household } from '@switchfleet/testkit/cloud';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApi } from '../src/index.ts';
import { JWT_SECRET } from './support.ts';

const clouds = useTwoInstances();
const authLimits = { loginPerAccountIp: { max: 4, windowMs: 60_000 }, registerPerIp: { max: 2, windowMs: 60_000 } };
let apis: FastifyInstance[] = [];

beforeAll(async () => {
  apis = [
    await buildApi({ cloud: clouds.one, jwtSecret: JWT_SECRET, authLimits }),
    await buildApi({ cloud: clouds.two, jwtSecret: JWT_SECRET, authLimits }),
  ];
});
afterAll(async () => {
  for (const api of apis) await api.close();
});

it('spends one login budget across two API instances on one database: the attempt past it is refused by either', async () => {
  const h = await household(clouds.one);
  const login = (i: number) =>
    apis[i % 2]!.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: h.user.email, password: 'wrong password' },
      remoteAddress: '10.5.0.1',
    });
  const answers: number[] = [];
  for (let i = 0; i < 6; i++) answers.push((await login(i)).statusCode);
  // Per-instance counting would have let each instance take 4.
  expect(answers).toEqual([401, 401, 401, 401, 429, 429]);
});

it('spends one registration budget across two API instances', async () => {
  const stamp = Date.now();
  const register = (i: number) =>
    apis[i % 2]!.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: `two-${i}-${stamp}@example.test`, password: 'long enough' },
      remoteAddress: '10.5.0.2',
    });
  const answers: number[] = [];
  for (let i = 0; i < 4; i++) answers.push((await register(i)).statusCode);
  expect(answers).toEqual([202, 202, 429, 429]);
});
