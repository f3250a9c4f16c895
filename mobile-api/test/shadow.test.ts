import { encodePayload, topicFor } from '@switchfleet/protocol';
import { connectGateway, gatewayWithSwitch, household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

// Cloud-made commands (shadow deltas) live 1 s here, so one can expire while the gateway is away.
const api = useApi({ cloud: { commandTtlMs: 1000 } });

async function owner() {
  const h = await household(api.cloud);
  const token = await login(api.app, h.user.email, h.password);
  return { h, token, ...(await gatewayWithSwitch(api.cloud, h, {}, { state: { on: false }, battery: 80 })) };
}

function patchDesired(token: string, deviceId: string, on: boolean, ifMatch?: string) {
  return api.app.inject({
    method: 'PATCH',
    url: `/v1/devices/${deviceId}/desired`,
    headers: { ...bearer(token), ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    payload: { on },
  });
}

describe('the device shadow', () => {
  it('shows reported state with timestamps, and refuses a change based on a stale version with 412', async () => {
    const o = await owner();
    const got = await api.app.inject({
      method: 'GET',
      url: `/v1/devices/${o.deviceId}/shadow`,
      headers: bearer(o.token),
    });
    expect(got.statusCode).toBe(200);
    const shadow = got.json();
    expect(shadow.state).toEqual({ desired: {}, reported: { on: false, online: true, battery: 80 } });
    expect(shadow.metadata.reported.battery.timestamp).toMatch(/^\d{4}-/);
    expect(got.headers.etag).toBe(`"${shadow.version}"`);

    const changed = await patchDesired(o.token, o.deviceId, true, `"${shadow.version}"`);
    expect(changed.statusCode).toBe(200);
    expect(changed.json().version).toBeGreaterThan(shadow.version);
    expect(changed.json().state.desired).toEqual({ on: true });

    const stale = await patchDesired(o.token, o.deviceId, false, `"${shadow.version}"`);
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error.code).toBe('VERSION_CONFLICT');
    // The delta of the accepted change went to the switch's gateway as a command.
    const delta = await o.gateway.nextCommand((c) => c.address === o.address);
    expect(delta.request.action).toBe('on');
    await o.gateway.close();
  });

  it("is 404 for another user's device, for reading and for writing", async () => {
    const o = await owner();
    const stranger = await household(api.cloud);
    const token = await login(api.app, stranger.user.email, stranger.password);
    expect(
      (await api.app.inject({ method: 'GET', url: `/v1/devices/${o.deviceId}/shadow`, headers: bearer(token) }))
        .statusCode,
    ).toBe(404);
    expect((await patchDesired(token, o.deviceId, true)).statusCode).toBe(404);
    expect(o.gateway.commands).toEqual([]);
    await o.gateway.close();
  });

  it('sends the delta to a gateway that reconnects after its earlier delta command expired', async () => {
    const o = await owner();
    await o.gateway.drop();
    await eventually(async () => (await api.cloud.services.gateways.get(o.h.credentials.gatewayId))?.online === false);
    expect((await patchDesired(o.token, o.deviceId, true)).statusCode).toBe(200);
    const [first] = await api.cloud.db.query.commands.findMany({ where: (c, { eq }) => eq(c.deviceId, o.deviceId) });
    expect(first).toMatchObject({ source: 'delta', action: 'on', status: 'pending' });
    await eventually(async () => (await api.cloud.services.commands.get(first!.id))?.status === 'expired');

    const back = await connectGateway(api.cloud, o.h.credentials);
    await back.subscribeCommands();
    await back.announce();
    const delta = await back.nextCommand((c) => c.address === o.address);
    expect(delta.request).toMatchObject({ action: 'on' });
    expect(delta.request.commandId).not.toBe(first!.id);
    await back.result(o.address, delta.request.commandId, { status: 'succeeded', state: { on: true } });
    const settled = await eventually(async () => {
      const s = (
        await api.app.inject({ method: 'GET', url: `/v1/devices/${o.deviceId}/shadow`, headers: bearer(o.token) })
      ).json();
      return s.state.reported.on === true ? s : null;
    });
    expect(settled.state.delta).toBeUndefined();
    await back.close();
  });
});

describe('If-Match on the desired state (RFC 9110 §13.1.1)', () => {
  const shadowOf = async (o: { token: string; deviceId: string }) =>
    api.app.inject({ method: 'GET', url: `/v1/devices/${o.deviceId}/shadow`, headers: bearer(o.token) });

  it('matches a strong tag anywhere in a list, and `*`, and answers each change with the new ETag', async () => {
    const o = await owner();
    const v = (await shadowOf(o)).json().version as number;
    const listed = await patchDesired(o.token, o.deviceId, true, `"${v + 40}", "${v}" , W/"${v + 41}"`);
    expect(listed.statusCode).toBe(200);
    expect(listed.headers.etag).toBe(`"${listed.json().version}"`);
    const any = await patchDesired(o.token, o.deviceId, false, '*');
    expect(any.statusCode).toBe(200);
    expect(any.json().version).toBe(listed.json().version + 1);
    expect((await shadowOf(o)).headers.etag).toBe(`"${any.json().version}"`);
    await o.gateway.close();
  });

  it('never matches a weak tag, a tag of another form or a version past the column; changes nothing', async () => {
    const o = await owner();
    const before = (await shadowOf(o)).json();
    for (const field of [`W/"${before.version}"`, '"v1"', '"99999999999"', '""']) {
      const res = await patchDesired(o.token, o.deviceId, true, field);
      expect(res.statusCode, field).toBe(412);
      expect(res.json().error.code).toBe('VERSION_CONFLICT');
    }
    expect((await shadowOf(o)).json()).toEqual(before);
    await o.gateway.close();
  });

  it('refuses a field that is not `*` or a list of entity tags with 400', async () => {
    const o = await owner();
    const v = (await shadowOf(o)).json().version as number;
    for (const field of [String(v), `"${v}`, `"${v}" "${v}"`, '**']) {
      const res = await patchDesired(o.token, o.deviceId, true, field);
      expect(res.statusCode, field).toBe(400);
      expect(res.json().error.details[0]).toMatchObject({ field: 'if-match', in: 'headers' });
    }
    await o.gateway.close();
  });
});

describe('GET /v1/devices/:id/history', () => {
  it('lists each report once even when the gateway delivers one twice, oldest first', async () => {
    const o = await owner();
    const topic = topicFor('deviceState', { gatewayId: o.h.credentials.gatewayId, address: o.address });
    const base = Date.now() - 10_000;
    const report = (seq: number, on: boolean) =>
      encodePayload('deviceState', {
        v: 1,
        seq,
        ts: new Date(base + seq).toISOString(),
        device: { address: o.address, model: 'WoHand' },
        online: true,
        state: { on },
      });
    const duplicatesBefore = api.cloud.services.ingest.stats().duplicates;
    await o.gateway.publish(topic, report(100, true));
    await o.gateway.publish(topic, report(101, false));
    await o.gateway.publish(topic, report(101, false));
    await eventually(async () => api.cloud.services.ingest.stats().duplicates > duplicatesBefore);
    await api.cloud.services.ingest.idle();
    const res = await api.app.inject({
      method: 'GET',
      url: `/v1/devices/${o.deviceId}/history`,
      headers: bearer(o.token),
    });
    expect(res.statusCode).toBe(200);
    const entries = res.json() as { ts: string; state: { on: boolean } }[];
    // seq 100 and 101 (sent twice) lie 10 s in the past, before the switch's first report.
    expect(entries.map((e) => e.state)).toEqual([{ on: true }, { on: false }, { on: false }]);
    expect(entries.map((e) => e.ts)).toEqual([...entries.map((e) => e.ts)].sort());
    await o.gateway.close();
  });

  it("answers 200 with an empty list for a range without reports, and 404 for another user's device", async () => {
    const o = await owner();
    const empty = await api.app.inject({
      method: 'GET',
      url: `/v1/devices/${o.deviceId}/history?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`,
      headers: bearer(o.token),
    });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual([]);
    const stranger = await household(api.cloud);
    const token = await login(api.app, stranger.user.email, stranger.password);
    expect(
      (await api.app.inject({ method: 'GET', url: `/v1/devices/${o.deviceId}/history`, headers: bearer(token) }))
        .statusCode,
    ).toBe(404);
    await o.gateway.close();
  });
});
