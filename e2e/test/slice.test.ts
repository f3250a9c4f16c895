/**
 * The walking skeleton end to end, as a phone app and a household see it: log in, list the switches,
 * toggle one and wait, read the new state, and check the simulated switch's own relay moved.
 * Runs on PGlite, or on the PostgreSQL of DATABASE_URL when it is set.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useSystem } from '@switchfleet/testkit/system';

const email = 'household@example.test';
const password = 'correct horse battery';
let token: string;
const rig = useSystem({
  demoEmail: email,
  demoPassword: password,
  gatewayId: 'e2e-gw',
  switches: 8,
  radio: { seed: 42, connectLatencyMs: 5, gattLatencyMs: 2, actuationMs: 20 },
});
beforeAll(async () => {
  const res = await rig.system.api.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  expect(res.statusCode).toBe(200);
  token = res.json().accessToken;
});

const auth = () => ({ authorization: `Bearer ${token}` });

async function devices(): Promise<
  { id: string; online: boolean; firmwareVersion: string | null; state: { on: boolean } | null }[]
> {
  const res = await rig.system.api.inject({ method: 'GET', url: '/v1/devices', headers: auth() });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('a tap in the app reaches the switch and comes back', () => {
  it('lists the eight switches the gateway found, online, with their firmware', async () => {
    await expect
      .poll(async () => (await devices()).filter((d) => d.online && d.firmwareVersion).length, { timeout: 15_000 })
      .toBe(8);
  });

  it('toggles a switch with wait=true, and both the API and the switch show the new state', async () => {
    const [device] = await devices();
    const before = device!.state?.on ?? false;
    const res = await rig.system.api.inject({
      method: 'POST',
      url: `/v1/devices/${device!.id}/commands?wait=true`,
      headers: auth(),
      payload: { action: 'toggle' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'succeeded', state: { on: !before } });

    const after = await rig.system.api.inject({ method: 'GET', url: `/v1/devices/${device!.id}`, headers: auth() });
    expect(after.json().state).toEqual({ on: !before });

    const route = await rig.system.cloud.services.devices.routeForUser(rig.system.demo.user.id, device!.id);
    const sw = rig.system.radio.switches.find((s) => s.address.replace(/:/g, '') === route?.address);
    expect(sw?.state.on).toBe(!before);
  });

  it('lists each toggle in the history at the time the switch changed', async () => {
    const [, device] = await devices();
    const toggledAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      toggledAt.push(Date.now());
      const url = `/v1/devices/${device!.id}/commands?wait=true`;
      const res = await rig.system.api.inject({ method: 'POST', url, headers: auth(), payload: { action: 'toggle' } });
      expect(res.json()).toMatchObject({ status: 'succeeded' });
    }
    const rowsFor = async () => {
      const res = await rig.system.api.inject({
        method: 'GET',
        url: `/v1/devices/${device!.id}/history`,
        headers: auth(),
      });
      return (res.json() as { ts: string }[]).map((r) => Date.parse(r.ts)).filter((ts) => ts >= toggledAt[0]!);
    };
    // One row per toggle, each dated after the tap that caused it: not the time of an older sighting.
    await expect.poll(async () => (await rowsFor()).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const rows = await rowsFor();
    for (const [i, at] of toggledAt.entries()) {
      const next = toggledAt[i + 1] ?? Number.POSITIVE_INFINITY;
      expect(rows.some((ts) => ts >= at && ts < next)).toBe(true);
    }
  });

  it('reports health once the gateway is online', async () => {
    const res = await rig.system.api.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', gatewaysOnline: 1 });
  });
});
