import { household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApi } from '../src/index.ts';
import { openStream, stateEvent } from './sse.ts';
import { bearer, JWT_SECRET, login } from './support.ts';

const clouds = useTwoInstances();
let one: FastifyInstance;
let two: FastifyInstance;
let twoBase = '';

beforeAll(async () => {
  one = await buildApi({ cloud: clouds.one, jwtSecret: JWT_SECRET });
  two = await buildApi({ cloud: clouds.two, jwtSecret: JWT_SECRET });
  twoBase = await two.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await one?.close();
  await two?.close();
});

it("stops a removed member's open stream on another instance from hearing the home at once", async () => {
  const home = await household(clouds.one);
  const member = await household(clouds.one);
  const invitation = await clouds.one.services.invitations.invite(home.user.id, home.home.id, member.user.email);
  await clouds.one.services.invitations.accept(member.user.id, invitation.id);
  const live = await openStream(twoBase, await login(two, member.user.email, member.password));
  const before = stateEvent(home.home.id, true);
  await clouds.one.events.publish([before]);
  await eventually(async () => live.events.find((e) => e.data.deviceId === before.deviceId));

  const ownerToken = await login(one, home.user.email, home.password);
  const removed = await one.inject({
    method: 'DELETE',
    url: `/v1/homes/${home.home.id}/members/${member.user.id}`,
    headers: bearer(ownerToken),
  });
  expect(removed.statusCode).toBe(204);
  // Published at once after the removal, by the instance that removed, to the stream held by the other.
  const after = stateEvent(home.home.id, false);
  const own = stateEvent(member.home.id, true);
  await clouds.one.events.publish([after]);
  await clouds.one.events.publish([own]);
  await eventually(async () => live.events.find((e) => e.data.deviceId === own.deviceId));
  expect(live.events.some((e) => e.data.deviceId === after.deviceId)).toBe(false);
  live.close();
});
