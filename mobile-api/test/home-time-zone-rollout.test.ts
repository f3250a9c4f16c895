/**
 * A home's time zone set by its owner through PATCH /v1/homes/{id} is the one a rollout's maintenance
 * window is read in: the engine runs on a fixed clock, so the window is shut in UTC and open in Tokyo.
 */
import { gatewayWithSwitch, household, unique, type GatewayWithSwitch } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, TEST_HARDWARE, testImage, testKey } from '@switchfleet/testkit/releases';
import { afterAll, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

/** Monday 06:30 UTC: 15:30 in Tokyo (UTC+9 all year, no daylight saving). */
const NOW = Date.parse('2026-01-05T06:30:00Z');
const api = useApi({
  cloud: {
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: new FakeSuite(),
    releaseTesting: { pollMs: 50 },
    rolloutTickMs: 100,
    rolloutClock: () => NOW,
  },
});
let sw: GatewayWithSwitch | undefined;
afterAll(async () => sw?.gateway.close());

it("starts a switch once its owner sets the home's time zone to one where the window is open", async () => {
  const email = `${unique('op')}@ops.test`;
  await api.cloud.services.operators.create({ email, password: 'operator passphrase', role: 'operator' });
  const operator = bearer(await login(api.app, email, 'operator passphrase'));
  const release = await api.cloud.services.releases.upload(testImage());
  await eventually(async () => (await api.cloud.services.releases.get(release.id)).state === 'passed', 20_000);
  const h = await household(api.cloud);
  sw = await gatewayWithSwitch(api.cloud, h, { hardwareId: TEST_HARDWARE, firmwareVersion: '0.1.0' });
  const owner = bearer(await login(api.app, h.user.email, h.password));

  const created = await api.app.inject({
    method: 'POST',
    url: '/v1/admin/rollouts',
    headers: operator,
    payload: {
      releaseId: release.id,
      target: { deviceIds: [sw.deviceId] },
      stages: [{ percent: 100, soakSeconds: 0 }],
      windows: [{ days: ['mon'], from: '15:00', to: '16:00' }],
    },
  });
  expect(created.statusCode).toBe(201);
  const devices = async () =>
    (
      await api.app.inject({ method: 'GET', url: `/v1/admin/rollouts/${created.json().id}/devices`, headers: operator })
    ).json().items as { state: string; waitReason: string | null }[];
  await eventually(async () => (await devices())[0]?.waitReason === 'out_of_window');

  const set = await api.app.inject({
    method: 'PATCH',
    url: `/v1/homes/${h.home.id}`,
    headers: owner,
    payload: { timeZone: 'Asia/Tokyo' },
  });
  expect(set.json().timeZone).toBe('Asia/Tokyo');
  const started = await eventually(async () => {
    const [d] = await devices();
    return d && d.state !== 'waiting' && d.state !== 'pending' && d;
  });
  expect(started.waitReason).toBeNull();
});
