import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.ts';
import type { LimitedKey } from '../src/index.ts';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';

const clouds = useTwoInstances();
const rule = { max: 3, windowMs: 60_000 };
const fresh = () => `login-email:${randomUUID()}@example.test`;
type Instance = (typeof clouds)['one'];
/** One attempt on one key, as the API's limiter counts it: the attempt number in the window and its time left. */
const attempt = async (cloud: Instance, key: string, r = rule) =>
  (await cloud.services.rateLimits.count([{ key, rule: r }]))[0]!;

it('counts one budget across instances: the attempt past it is over, whichever instance takes it', async () => {
  const { one, two } = clouds;
  const key = fresh();
  expect((await attempt(one, key)).attempts).toBe(1);
  expect((await attempt(two, key)).attempts).toBe(2);
  expect((await attempt(one, key)).attempts).toBe(3);
  const over = await attempt(two, key);
  expect(over.attempts).toBe(4);
  expect(over.remainingMs).toBeGreaterThan(55_000);
  expect(over.remainingMs).toBeLessThanOrEqual(60_000);
});

it('numbers every attempt of a burst on both instances at once exactly once', async () => {
  const { one, two } = clouds;
  const key = fresh();
  const burst = Array.from({ length: 20 }, (_, i) => attempt(i % 2 ? one : two, key));
  const numbers = (await Promise.all(burst)).map((w) => w.attempts).sort((a, b) => a - b);
  expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
});

it('counts an attempt against each of several keys in one statement, each in its own window', async () => {
  const { one } = clouds;
  const keys: LimitedKey[] = [
    { key: fresh(), rule },
    { key: `login-ip:${randomUUID()}`, rule: { max: 1, windowMs: 10_000 } },
  ];
  await one.services.rateLimits.count(keys);
  const [email, ip] = await one.services.rateLimits.count(keys);
  expect(email!.attempts).toBe(2);
  expect(ip!.attempts).toBe(2);
  expect(email!.remainingMs).toBeGreaterThan(50_000);
  expect(ip!.remainingMs).toBeLessThanOrEqual(10_000);
});

it('opens a new window once the old one ends, and prunes ended windows', async () => {
  const { one, two } = clouds;
  const key = fresh();
  const short = { max: 1, windowMs: 300 };
  expect((await attempt(one, key, short)).attempts).toBe(1);
  expect((await attempt(two, key, short)).attempts).toBe(2);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect((await attempt(two, key, short)).attempts).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(await one.services.rateLimits.prune()).toBeGreaterThanOrEqual(1);
  const left = rowsOf<{ n: number }>(
    await one.db.execute(sql`select count(*)::integer as n from rate_limit_windows where expires_at <= now()`),
  );
  expect(left[0]!.n).toBe(0);
});

it('keeps neither the email nor the address it limits, only their hashes', async () => {
  const { one } = clouds;
  await attempt(one, fresh());
  const rows = rowsOf<{ key_hash: string }>(await one.db.execute(sql`select key_hash from rate_limit_windows`));
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.some((r) => r.key_hash.includes('@') || r.key_hash.includes('login-'))).toBe(false);
});
