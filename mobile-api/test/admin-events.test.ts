/**
 * The operators' live stream over real HTTP: fleet-wide update events in commit order whatever the
 * home, rollout events that never reach a household, the admin scope's 404 for anyone else, and the
 * stream's end with the operator's session.
 */
import { randomUUID } from 'node:crypto';
import type { RolloutEvent, UpdateEvent } from '@switchfleet/cloud';
import { household, unique } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { describe, expect, it } from 'vitest';
import { openStream, stateEvent, type Sse } from './sse.ts';
import { bearer, login, useApi } from './support.ts';

const api = useApi({ listen: true });
const PASSWORD = 'operator passphrase';
const PATH = '/v1/admin/events';

async function operator(): Promise<{ accessToken: string; refreshToken: string }> {
  const email = `${unique('ops')}@ops.test`;
  await api.cloud.services.operators.create({ email, password: PASSWORD, role: 'operator' });
  const res = await api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function opsStream(token: string): Promise<Sse> {
  return openStream(api.base, token, PATH);
}

function updateEvent(homeId: string, jobId: string, phase: string, bytes: number): UpdateEvent {
  return {
    type: 'update',
    jobId,
    deviceId: randomUUID(),
    homeId,
    state: 'running',
    phase,
    bytes,
    totalBytes: 4096,
    reason: null,
  };
}

const rollout = (): RolloutEvent => ({
  type: 'rollout',
  rolloutId: randomUUID(),
  state: 'running',
  stage: 0,
  counts: { updating: 2, succeeded: 1 },
});

describe('GET /v1/admin/events', () => {
  it("sends an operator every home's update events, in the order they were published", async () => {
    const a = await household(api.cloud);
    const b = await household(api.cloud);
    const { accessToken } = await operator();
    const live = await opsStream(accessToken);
    const [jobA, jobB] = [randomUUID(), randomUUID()];
    const sent = [
      updateEvent(a.home.id, jobA, 'downloading', 0),
      updateEvent(b.home.id, jobB, 'downloading', 0),
      updateEvent(a.home.id, jobA, 'uploading', 1024),
      updateEvent(b.home.id, jobB, 'uploading', 2048),
      updateEvent(a.home.id, jobA, 'uploading', 4096),
    ];
    // One notification for the first two, then one each: order holds across notifications too.
    await api.cloud.events.publish(sent.slice(0, 2));
    for (const event of sent.slice(2)) await api.cloud.events.publish([event]);
    await eventually(async () => live.events.length >= sent.length);
    // Ids and progress only: the whole event but its type, nothing added (no names or emails).
    expect(live.events).toEqual(sent.map(({ type, ...data }) => ({ event: type, data })));
    live.close();
  });

  it('sends a rollout event to operators and never to a household', async () => {
    const h = await household(api.cloud);
    const householdLive = await openStream(api.base, await login(api.app, h.user.email, h.password));
    const { accessToken } = await operator();
    const live = await opsStream(accessToken);
    const event = rollout();
    await api.cloud.events.publish([event]);
    const own = stateEvent(h.home.id, true);
    await api.cloud.events.publish([own]);
    const { type: _type, ...data } = event;
    await eventually(async () => live.events.find((e) => e.event === 'rollout'));
    expect(live.events).toEqual([{ event: 'rollout', data }]);
    // The household's own event was published after the rollout's; by the time it arrives, the other would have.
    await eventually(async () => householdLive.events.find((e) => e.data.deviceId === own.deviceId));
    expect(householdLive.events.map((e) => e.event)).toEqual(['state']);
    live.close();
    householdLive.close();
  });

  it("answers a household's token, and none, as a path without a route (404)", async () => {
    const h = await household(api.cloud);
    const token = await login(api.app, h.user.email, h.password);
    const asHousehold = await fetch(`${api.base}${PATH}`, { headers: bearer(token) });
    expect(asHousehold.status).toBe(404);
    expect((await asHousehold.json()).error.code).toBe('NOT_FOUND');
    expect((await fetch(`${api.base}${PATH}`)).status).toBe(404);
  });

  it("ends the stream when the operator's session is logged out, and only that one", async () => {
    const laptop = await operator();
    const other = await operator();
    const onLaptop = await opsStream(laptop.accessToken);
    const onOther = await opsStream(other.accessToken);
    const out = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refreshToken: laptop.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    await eventually(async () => onLaptop.ended);
    expect(onOther.ended).toBe(false);
    onOther.close();
  });
});
