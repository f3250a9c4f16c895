import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.ts';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';

const clouds = useTwoInstances();
const rule = { max: 3, windowMs: 60_000 };
const fresh = () => `login-email:${randomUUID()}@example.test`;

it('spends one budget across instances: the attempt past it is refused, whichever instance takes it', async () => {
  const { one, two } = clouds;
  const key = fresh();
  expect((await one.services.rateLimits.consume([{ key, rule }])).allowed).toBe(true);
  expect((await two.services.rateLimits.consume([{ key, rule }])).allowed).toBe(true);
  expect((await one.services.rateLimits.consume([{ key, rule }])).allowed).toBe(true);
  const refused = await two.services.rateLimits.consume([{ key, rule }]);
  expect(refused.allowed).toBe(false);
  expect(refused.retryAfterS).toBeGreaterThan(55);
  expect(refused.retryAfterS).toBeLessThanOrEqual(60);
});

it('lets exactly the budget through when a burst of attempts hits both instances at once', async () => {
  const { one, two } = clouds;
  const key = fresh();
  const burst = Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).services.rateLimits.consume([{ key, rule }]));
  const decisions = await Promise.all(burst);
  expect(decisions.filter((d) => d.allowed)).toHaveLength(rule.max);
});

it('refuses when any one of the keys is past its budget, and counts the attempt against the others too', async () => {
  const { one } = clouds;
  const email = fresh();
  const ip = `login-ip:${randomUUID()}`;
  const tight = { max: 1, windowMs: 60_000 };
  expect(
    (
      await one.services.rateLimits.consume([
        { key: email, rule },
        { key: ip, rule: tight },
      ])
    ).allowed,
  ).toBe(true);
  expect(
    (
      await one.services.rateLimits.consume([
        { key: email, rule },
        { key: ip, rule: tight },
      ])
    ).allowed,
  ).toBe(false);
  // The email's budget (3) took both attempts: one more is all it has left.
  expect((await one.services.rateLimits.consume([{ key: email, rule }])).allowed).toBe(true);
  expect((await one.services.rateLimits.consume([{ key: email, rule }])).allowed).toBe(false);
});

it('opens a new window once the old one ends, and prunes ended windows', async () => {
  const { one, two } = clouds;
  const key = fresh();
  const short = { max: 1, windowMs: 300 };
  expect((await one.services.rateLimits.consume([{ key, rule: short }])).allowed).toBe(true);
  expect((await two.services.rateLimits.consume([{ key, rule: short }])).allowed).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect((await two.services.rateLimits.consume([{ key, rule: short }])).allowed).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(await one.services.rateLimits.prune()).toBeGreaterThanOrEqual(1);
  const left = rowsOf<{ n: number }>(
    await one.db.execute(sql`select count(*)::integer as n from rate_limit_windows where expires_at <= now()`),
  );
  expect(left[0]!.n).toBe(0);
});

it('keeps neither the email nor the address it limits, only their hashes', async () => {
  const { one } = clouds;
  const key = fresh();
  await one.services.rateLimits.consume([{ key, rule }]);
  const rows = rowsOf<{ key_hash: string }>(await one.db.execute(sql`select key_hash from rate_limit_windows`));
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.some((r) => r.key_hash.includes('@') || r.key_hash.includes('login-'))).toBe(false);
});
