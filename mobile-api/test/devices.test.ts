import { gatewayWithSwitch, household, type Household } from '@switchfleet/testkit/cloud';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

// Commands live 3 s here, so "nobody answered" is observable without the default 30 s.
const api = useApi({ cloud: { commandTtlMs: 3_000 } });

interface Owner {
  h: Household;
  token: string;
  gateway: MqttGateway;
  address: string;
  deviceId: string;
}

/** A user whose online gateway has reported one switch (off), logged in through the API. */
async function owner(): Promise<Owner> {
  const h = await household(api.cloud);
  const token = await login(api.app, h.user.email, h.password);
  const reported = await gatewayWithSwitch(
    api.cloud,
    h,
    { name: 'Desk lamp', firmwareVersion: '6.3' },
    { state: { on: false }, battery: 91, rssi: -58 },
  );
  return { h, token, ...reported };
}

function sendCommand(o: Pick<Owner, 'token' | 'deviceId'>, payload: unknown, query = '') {
  return api.app.inject({
    method: 'POST',
    url: `/v1/devices/${o.deviceId}/commands${query}`,
    headers: bearer(o.token),
    payload: payload as object,
  });
}

describe('GET /v1/devices', () => {
  it("lists the switches of the caller's home with their state", async () => {
    const o = await owner();
    const res = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(o.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      {
        id: o.deviceId,
        name: 'Desk lamp',
        model: 'WoHand',
        firmwareVersion: '6.3',
        online: true,
        state: { on: false },
        battery: 91,
        rssi: -58,
        lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        roomId: null,
        firmware: { version: '6.3', update: null },
      },
    ]);
    await o.gateway.close();
  });

  it("answers 404 for another user's device and for one that does not exist, 400 for a malformed id", async () => {
    const o = await owner();
    const stranger = await household(api.cloud);
    const strangerToken = await login(api.app, stranger.user.email, stranger.password);
    const theirs = await api.app.inject({
      method: 'GET',
      url: `/v1/devices/${o.deviceId}`,
      headers: bearer(strangerToken),
    });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe('NOT_FOUND');
    const absent = await api.app.inject({
      method: 'GET',
      url: '/v1/devices/6f1c1e9e-0000-4000-8000-000000000000',
      headers: bearer(o.token),
    });
    expect(absent.statusCode).toBe(404);
    const malformed = await api.app.inject({ method: 'GET', url: '/v1/devices/not-a-uuid', headers: bearer(o.token) });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.details[0]).toMatchObject({ field: 'id', in: 'params' });
    const mine = await api.app.inject({ method: 'GET', url: `/v1/devices/${o.deviceId}`, headers: bearer(o.token) });
    expect(mine.statusCode).toBe(200);
    await o.gateway.close();
  });
});

describe('POST /v1/devices/:id/commands', () => {
  it('with wait=true answers 200 succeeded once the gateway reports the result, and GET shows the new state', async () => {
    const o = await owner();
    o.gateway.client.on('message', () => {
      const received = o.gateway.commands.at(-1);
      if (received)
        void o.gateway.result(received.address, received.request.commandId, {
          status: 'succeeded',
          state: { on: true },
        });
    });
    const res = await sendCommand(o, { action: 'on' }, '?wait=true');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      commandId: o.gateway.commands[0]?.request.commandId,
      status: 'succeeded',
      state: { on: true },
    });
    const device = await api.app.inject({ method: 'GET', url: `/v1/devices/${o.deviceId}`, headers: bearer(o.token) });
    expect(device.json().state).toEqual({ on: true });
    await o.gateway.close();
  });

  it('without wait answers 202 and the command reaches the gateway of the switch', async () => {
    const o = await owner();
    const res = await sendCommand(o, { action: 'toggle' });
    expect(res.statusCode).toBe(202);
    const { commandId, status } = res.json();
    expect(['pending', 'sent']).toContain(status);
    const received = await o.gateway.nextCommand((c) => c.request.commandId === commandId);
    expect(received).toMatchObject({ address: o.address, request: { action: 'toggle' } });
    await o.gateway.close();
  });

  it('with wait=true answers 200 expired when nobody answers before the command expires', async () => {
    const o = await owner();
    await o.gateway.close();
    const res = await sendCommand(o, { action: 'off' }, '?wait=true&waitMs=30000');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'expired', reason: 'expired', state: { on: false } });
  });

  it('answers 202 with the current status when the wait ends first', async () => {
    const o = await owner();
    const res = await sendCommand(o, { action: 'on' }, '?wait=true&waitMs=0');
    expect(res.statusCode).toBe(202);
    expect(['pending', 'sent']).toContain(res.json().status);
    await o.gateway.close();
  });

  it('reports a failure with its reason', async () => {
    const o = await owner();
    o.gateway.client.on('message', () => {
      const received = o.gateway.commands.at(-1);
      if (received)
        void o.gateway.result(received.address, received.request.commandId, {
          status: 'failed',
          reason: 'out_of_range',
        });
    });
    const res = await sendCommand(o, { action: 'on' }, '?wait=true');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'failed', reason: 'out_of_range', state: { on: false } });
    await o.gateway.close();
  });

  it('answers 400 naming the field for an unknown action, an extra property, a missing body and a too long wait', async () => {
    const o = await owner();
    const cases: [unknown, string, string, string][] = [
      [{ action: 'dance' }, '', 'action', 'body'],
      [{ action: 'on', force: true }, '', 'force', 'body'],
      [{}, '', 'action', 'body'],
      [{ action: 'on' }, '?wait=true&waitMs=60000', 'waitMs', 'querystring'],
      [{ action: 'on' }, '?wait=maybe', 'wait', 'querystring'],
    ];
    for (const [payload, query, field, where] of cases) {
      const res = await sendCommand(o, payload, query);
      expect(res.statusCode, `${JSON.stringify(payload)}${query}`).toBe(400);
      expect(res.json().error.details[0]).toMatchObject({ field, in: where });
    }
    expect(o.gateway.commands).toEqual([]);
    await o.gateway.close();
  });

  it('answers 404 for a device of another home and sends nothing', async () => {
    const o = await owner();
    const stranger = await household(api.cloud);
    const strangerToken = await login(api.app, stranger.user.email, stranger.password);
    const res = await sendCommand({ token: strangerToken, deviceId: o.deviceId }, { action: 'on' });
    expect(res.statusCode).toBe(404);
    expect(o.gateway.commands).toEqual([]);
    await o.gateway.close();
  });
});
