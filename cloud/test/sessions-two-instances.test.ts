import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { refreshTokens } from '../src/db/schema.ts';
import { SessionService } from '../src/accounts/sessions.ts';
import { household, unique } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';

const clouds = useTwoInstances();

it('ends a session on every instance as soon as one of them logs it out, before any recheck', async () => {
  const { one, two } = clouds;
  const h = await household(one);
  const session = await one.services.sessions.start(h.user.id);
  // Instance two has already answered "active" and would not ask the database again for ten minutes:
  // only the notification can change its mind.
  const elsewhere = new SessionService(two.db, two.events, { activeRecheckMs: 600_000 });
  expect(await elsewhere.isActive(session.familyId, h.user.id)).toBe(true);
  const other = await one.services.sessions.start(h.user.id);
  expect(await elsewhere.isActive(other.familyId, h.user.id)).toBe(true);

  await one.services.sessions.revoke(session.refreshToken);
  expect(await one.services.sessions.isActive(session.familyId, h.user.id)).toBe(false);
  await eventually(async () => (await elsewhere.isActive(session.familyId, h.user.id)) === false);
  expect(await elsewhere.isActive(other.familyId, h.user.id)).toBe(true);
});

it('reads the database again once its answer is older than the recheck bound, so a lost notification costs at most that', async () => {
  const { one } = clouds;
  const h = await household(one);
  const session = await one.services.sessions.start(h.user.id);
  // No event bus: this instance can only learn of the end from the database.
  const deaf = new SessionService(one.db, undefined, { activeRecheckMs: 0 });
  expect(await deaf.isActive(session.familyId, h.user.id)).toBe(true);
  await one.db.update(refreshTokens).set({ revokedAt: new Date() }).where(eq(refreshTokens.familyId, session.familyId));
  expect(await deaf.isActive(session.familyId, h.user.id)).toBe(false);
});

it('answers a session as active only for the user who started it, and never for a session nobody started', async () => {
  const { one, two } = clouds;
  const owner = await household(one);
  const intruder = await household(one);
  const session = await one.services.sessions.start(owner.user.id);
  for (const sessions of [one.services.sessions, two.services.sessions]) {
    expect(await sessions.isActive(session.familyId, intruder.user.id)).toBe(false);
    expect(await sessions.isActive(session.familyId, owner.user.id)).toBe(true);
    // Asked again, from what the instance remembers, the answer still depends on whose session it is.
    expect(await sessions.isActive(session.familyId, intruder.user.id)).toBe(false);
    expect(await sessions.isActive(randomUUID(), owner.user.id)).toBe(false);
  }
});

it("answers an operator's session for it alone, never as a user's, and ends them all on every instance once it is disabled", async () => {
  const { one, two } = clouds;
  const admin = await one.services.operators.create({
    email: `${unique('admin')}@ops.test`,
    password: 'long enough',
    role: 'admin',
  });
  const operator = await one.services.operators.create({
    email: `${unique('op')}@ops.test`,
    password: 'long enough',
    role: 'operator',
  });
  const sessions = [
    await one.services.sessions.start(operator.id, 'operator'),
    await one.services.sessions.start(operator.id, 'operator'),
  ];
  const elsewhere = new SessionService(two.db, two.events, { activeRecheckMs: 600_000 });
  for (const s of sessions) {
    expect(s.kind).toBe('operator');
    expect(await elsewhere.isActive(s.familyId, operator.id, 'operator')).toBe(true);
    expect(await elsewhere.isActive(s.familyId, operator.id, 'user')).toBe(false);
  }
  await one.services.operators.disable(operator.id);
  for (const s of sessions) {
    await eventually(async () => (await elsewhere.isActive(s.familyId, operator.id, 'operator')) === false);
  }
  expect(await one.services.operators.active(operator.id)).toBeNull();
  expect(await one.services.operators.active(admin.id)).toMatchObject({ role: 'admin' });
});
