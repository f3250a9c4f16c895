import { cutListeningSessions } from '@switchfleet/testkit/database';
import { gatewayWithSwitch, household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { describe, expect, it } from 'vitest';
import { openStream, stateEvent, type Sse } from './sse.ts';
import { bearer, login, useApi } from './support.ts';

const api = useApi({ listen: true });

function stream(token: string): Promise<Sse> {
  return openStream(api.base, token);
}

async function owner() {
  const h = await household(api.cloud);
  const token = await login(api.app, h.user.email, h.password);
  return { token, ...(await gatewayWithSwitch(api.cloud, h)) };
}

describe('GET /v1/events', () => {
  it('answers 401 without a token', async () => {
    const res = await fetch(`${api.base}/v1/events`);
    expect(res.status).toBe(401);
  });

  it('ends the stream when the session of its token is logged out, and only that one', async () => {
    const h = await household(api.cloud);
    const signIn = () =>
      api.app
        .inject({ method: 'POST', url: '/v1/auth/login', payload: { email: h.user.email, password: h.password } })
        .then((r) => r.json());
    const phone = await signIn();
    const tablet = await signIn();
    const onPhone = await stream(phone.accessToken);
    const onTablet = await stream(tablet.accessToken);
    const out = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refreshToken: phone.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    await eventually(async () => onPhone.ended);
    expect(onTablet.ended).toBe(false);
    onTablet.close();
  });

  // Cutting the cloud's listening session needs a PostgreSQL server (.ci/run sets DATABASE_URL).
  it.runIf(process.env.DATABASE_URL)(
    'ends the stream when the cloud may have missed events, and a new stream hears them again',
    async () => {
      const a = await owner();
      const before = await stream(a.token);
      expect(await cutListeningSessions(api.cloud.database)).toBeGreaterThan(0);
      // The cloud listens again on a new session; the stream it could not vouch for is ended.
      await eventually(async () => before.ended);
      const after = await stream(a.token);
      await a.gateway.report({ address: a.address, model: 'WoHand' }, { state: { on: true } });
      const state = await eventually(async () =>
        after.events.find((e) => e.event === 'state' && e.data.deviceId === a.deviceId),
      );
      expect(state.data.state).toEqual({ on: true });
      after.close();
      await a.gateway.close();
    },
  );

  it('delivers a toggle to its owner as a command outcome and a state change, and nothing of it to anyone else', async () => {
    const a = await owner();
    const b = await owner();
    const mine = await stream(a.token);
    const theirs = await stream(b.token);
    a.gateway.client.on('message', () => {
      const received = a.gateway.commands.at(-1);
      if (received)
        void a.gateway.result(received.address, received.request.commandId, {
          status: 'succeeded',
          state: { on: true },
        });
    });
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${a.deviceId}/commands`,
      headers: bearer(a.token),
      payload: { action: 'toggle' },
    });
    const { commandId } = res.json();
    await eventually(async () => mine.events.find((e) => e.event === 'command' && e.data.commandId === commandId));
    const state = await eventually(async () =>
      mine.events.find((e) => e.event === 'state' && e.data.deviceId === a.deviceId),
    );
    expect(state.data.state).toEqual({ on: true });
    expect(mine.events.find((e) => e.event === 'command')?.data).toMatchObject({
      commandId,
      deviceId: a.deviceId,
      status: 'succeeded',
    });

    // b's own switch reports; once that arrives on b's stream, a's events would have arrived before it.
    await b.gateway.report({ address: b.address, model: 'WoHand' }, { state: { on: true } });
    await eventually(async () => theirs.events.find((e) => e.data.deviceId === b.deviceId));
    expect(theirs.events.every((e) => e.data.deviceId === b.deviceId)).toBe(true);
    mine.close();
    theirs.close();
    await a.gateway.close();
    await b.gateway.close();
  });

  it("follows the caller's memberships: a home joined is heard at once, a home left is not heard again", async () => {
    const home = await household(api.cloud);
    const guest = await household(api.cloud);
    const guestToken = await login(api.app, guest.user.email, guest.password);
    const live = await stream(guestToken);
    const invitation = await api.cloud.services.invitations.invite(home.user.id, home.home.id, guest.user.email);
    const accepted = await api.app.inject({
      method: 'POST',
      url: `/v1/invitations/${invitation.id}/accept`,
      headers: bearer(guestToken),
    });
    expect(accepted.statusCode).toBe(200);
    const joined = stateEvent(home.home.id, true);
    await api.cloud.events.publish([joined]);
    await eventually(async () => live.events.find((e) => e.data.deviceId === joined.deviceId));

    const ownerToken = await login(api.app, home.user.email, home.password);
    const removed = await api.app.inject({
      method: 'DELETE',
      url: `/v1/homes/${home.home.id}/members/${guest.user.id}`,
      headers: bearer(ownerToken),
    });
    expect(removed.statusCode).toBe(204);
    const after = stateEvent(home.home.id, false);
    const own = stateEvent(guest.home.id, true);
    await api.cloud.events.publish([after]);
    await api.cloud.events.publish([own]);
    // The guest's own home's event was published later; by the time it arrives, the other would have.
    await eventually(async () => live.events.find((e) => e.data.deviceId === own.deviceId));
    expect(live.events.some((e) => e.data.deviceId === after.deviceId)).toBe(false);
    expect(live.ended).toBe(false);
    live.close();
  });
});
