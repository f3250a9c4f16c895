import { gatewayWithSwitch, household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const api = useApi();

async function owner() {
  const h = await household(api.cloud);
  const token = await login(api.app, h.user.email, h.password);
  const { gateway, deviceId } = await gatewayWithSwitch(api.cloud, h);
  return { token, gateway, deviceId };
}

function post(token: string, deviceId: string, payload: object, headers: Record<string, string> = {}) {
  return api.app.inject({
    method: 'POST',
    url: `/v1/devices/${deviceId}/commands`,
    headers: { ...bearer(token), ...headers },
    payload,
  });
}

describe('POST /v1/devices/:id/commands with an Idempotency-Key', () => {
  it('answers the same command for a retry and 422 for the same key with another body', async () => {
    const o = await owner();
    const first = await post(o.token, o.deviceId, { action: 'press' }, { 'idempotency-key': 'abc' });
    const retry = await post(o.token, o.deviceId, { action: 'press' }, { 'idempotency-key': 'abc' });
    expect(first.statusCode).toBe(202);
    expect(retry.json().commandId).toBe(first.json().commandId);
    const misuse = await post(o.token, o.deviceId, { action: 'on' }, { 'idempotency-key': 'abc' });
    expect(misuse.statusCode).toBe(422);
    expect(misuse.json().error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: [{ field: 'Idempotency-Key' }],
    });
    await o.gateway.nextCommand((c) => c.request.commandId === first.json().commandId);
    expect(o.gateway.commands.filter((c) => c.request.commandId === first.json().commandId)).toHaveLength(1);
    await o.gateway.close();
  });

  it('answers 400 naming ttlMs when the TTL is out of bounds', async () => {
    const o = await owner();
    const res = await post(o.token, o.deviceId, { action: 'on', ttlMs: 10 * 60_000 + 1 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0]).toMatchObject({ field: 'ttlMs', in: 'body' });
    await o.gateway.close();
  });
});

describe('GET /v1/commands/:id', () => {
  it('shows the lifecycle to the owner and answers 404 to anyone else', async () => {
    const o = await owner();
    const accepted = await post(o.token, o.deviceId, { action: 'on', ttlMs: 5000 });
    const { commandId } = accepted.json();
    const received = await o.gateway.nextCommand((c) => c.request.commandId === commandId);
    await o.gateway.result(received.address, commandId, {
      status: 'failed',
      reason: 'busy',
      detail: 'another command runs',
    });
    const done = await eventually(async () => {
      const res = await api.app.inject({ method: 'GET', url: `/v1/commands/${commandId}`, headers: bearer(o.token) });
      return res.json().status === 'failed' ? res : null;
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      commandId,
      deviceId: o.deviceId,
      action: 'on',
      reason: 'busy',
      detail: 'another command runs',
      source: 'user',
    });
    expect(done.json().completedAt).not.toBeNull();

    const stranger = await household(api.cloud);
    const strangerToken = await login(api.app, stranger.user.email, stranger.password);
    const hidden = await api.app.inject({
      method: 'GET',
      url: `/v1/commands/${commandId}`,
      headers: bearer(strangerToken),
    });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().error.code).toBe('NOT_FOUND');
    await o.gateway.close();
  });
});

describe('schedules', () => {
  /** POSTs a schedule for the owner's switch. */
  const schedule = (o: { token: string; deviceId: string }, payload: object) =>
    api.app.inject({
      method: 'POST',
      url: `/v1/devices/${o.deviceId}/schedules`,
      headers: bearer(o.token),
      payload,
    });

  it('are created with their next run, listed, refused with 400 for a bad cron or zone, and 404 for another user', async () => {
    const o = await owner();
    const url = `/v1/devices/${o.deviceId}/schedules`;
    const created = await schedule(o, { cron: '30 7 * * 1-5', timeZone: 'Europe/Paris', action: 'on' });
    expect(created.statusCode).toBe(201);
    expect(Date.parse(created.json().nextRunAt)).toBeGreaterThan(Date.now());
    const badCron = await schedule(o, { cron: '99 99 * * * *', timeZone: 'Europe/Paris', action: 'on' });
    expect(badCron.json().error.details[0].field).toBe('cron');
    const badZone = await schedule(o, { cron: '0 7 * * *', timeZone: 'Mars/Olympus', action: 'on' });
    expect(badZone.json().error.details[0].field).toBe('timeZone');
    expect((await api.app.inject({ method: 'GET', url, headers: bearer(o.token) })).json()).toHaveLength(1);

    const stranger = await household(api.cloud);
    const token = await login(api.app, stranger.user.email, stranger.password);
    expect((await api.app.inject({ method: 'GET', url, headers: bearer(token) })).statusCode).toBe(404);
    const removeTheirs = await api.app.inject({
      method: 'DELETE',
      url: `/v1/schedules/${created.json().id}`,
      headers: bearer(token),
    });
    expect(removeTheirs.statusCode).toBe(404);
    expect(
      (await api.app.inject({ method: 'DELETE', url: `/v1/schedules/${created.json().id}`, headers: bearer(o.token) }))
        .statusCode,
    ).toBe(204);
    await o.gateway.close();
  });

  it('fire at most once a minute: an expression with several seconds answers 400 SCHEDULE_TOO_FREQUENT', async () => {
    const o = await owner();
    const url = `/v1/devices/${o.deviceId}/schedules`;
    for (const cron of ['* * * * * *', '*/30 * * * * *', '0,1 7 * * * *']) {
      const res = await schedule(o, { cron, timeZone: 'UTC', action: 'press' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'SCHEDULE_TOO_FREQUENT', details: [{ field: 'cron' }] });
    }
    for (const cron of ['* * * * *', '15 * * * * *', '0 30 7 * * 1-5'])
      expect((await schedule(o, { cron, timeZone: 'UTC', action: 'press' })).statusCode).toBe(201);
    expect((await api.app.inject({ method: 'GET', url, headers: bearer(o.token) })).json()).toHaveLength(3);
    await o.gateway.close();
  });
});
