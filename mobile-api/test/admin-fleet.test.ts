/**
 * The operators' fleet routes (GET /v1/admin/devices, /devices/{id}, /gateways, /gateways/{id}) over
 * two households' gateways and switches reported through the broker: filters, keyset pages that
 * together hold every switch once, the active update job on a switch, gateway counts and versions,
 * 404 for a household's token and for unknown ids, 400 for a forged cursor, and no name, e-mail or
 * other household text in any answer. On PGlite, and on PostgreSQL with DATABASE_URL.
 */
import { randomUUID } from 'node:crypto';
import { connectGateway, randomAddress, unique } from '@switchfleet/testkit/cloud';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { eventually } from '@switchfleet/testkit/poll';
import { FakeSuite, testImage, testKey, TEST_HARDWARE } from '@switchfleet/testkit/releases';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const api = useApi({
  cloud: {
    initialTrustedKeys: [testKey.publicKeyPem],
    releaseSuite: new FakeSuite(),
    releaseTesting: { timeoutMs: 2000, pollMs: 100, leaseMs: 3000 },
  },
});

/** Text only a household typed: none of it may appear in an operator's answer. */
const PLANTED = {
  email: `${unique('plant-mailbox')}@example.test`,
  home: unique('PLANT-HOME-Grandmas-Cottage'),
  room: unique('PLANT-ROOM-Nursery'),
  device: unique('PLANT-DEVICE-Bedside-Lamp'),
  reported: unique('PLANT-REPORTED-Kettle'),
};
const OTHER_HARDWARE = 'sf-sw2-r1';
const PASSWORD = 'correct horse battery';

let asOperator: Record<string, string>;
let asAdmin: Record<string, string>;
let asHousehold: Record<string, string>;
const gatewaysUp: MqttGateway[] = [];
/** Everything the test made, to compare answers with. */
const made = {
  homeA: '',
  homeB: '',
  gwA: '',
  gwB: '',
  /** deviceId → what it was reported as. */
  devices: new Map<string, { gatewayId: string; homeId: string; hardwareId: string; version: string; on: boolean }>(),
  jobId: '',
  jobDevice: '',
};

async function household(name: string, email: string) {
  const { accounts, homes, gateways } = api.cloud.services;
  const user = await accounts.register(email, PASSWORD);
  const home = await homes.createHome(user.id, name);
  const credentials = await gateways.provisionGateway({ gatewayId: unique('fleet-gw'), homeId: home.id });
  const gateway = await connectGateway(api.cloud, credentials);
  gatewaysUp.push(gateway);
  await gateway.subscribeDown();
  return { user, home, gateway, gatewayId: credentials.gatewayId };
}

async function reportSwitches(
  h: Awaited<ReturnType<typeof household>>,
  specs: { hardwareId: string; version: string; online: boolean }[],
) {
  const addresses: string[] = [];
  for (const spec of specs) {
    const address = randomAddress();
    addresses.push(address);
    await h.gateway.report(
      { address, model: 'WoHand', name: PLANTED.reported, hardwareId: spec.hardwareId, firmwareVersion: spec.version },
      { online: spec.online, state: { on: false }, battery: 80, rssi: -60 },
    );
  }
  const listed = await eventually(async () => {
    const views = await api.cloud.services.devices.listForUser(h.user.id);
    return views.length === specs.length && views;
  });
  for (const view of listed) {
    const spec =
      specs[addresses.indexOf((await api.cloud.services.devices.routeForUser(h.user.id, view.id))!.address)]!;
    made.devices.set(view.id, {
      gatewayId: h.gatewayId,
      homeId: h.home.id,
      hardwareId: spec.hardwareId,
      version: spec.version,
      on: spec.online,
    });
  }
  return listed.map((v) => v.id);
}

beforeAll(async () => {
  const { operators, homes, devices, releases, updates } = api.cloud.services;
  const make = async (role: 'operator' | 'admin') => {
    const email = `${unique(role)}@ops.test`;
    const operator = await operators.create({ email, password: PASSWORD, role });
    return { id: operator.id, auth: bearer(await login(api.app, email, PASSWORD)) };
  };
  const operator = await make('operator');
  asOperator = operator.auth;
  asAdmin = (await make('admin')).auth;

  const a = await household(PLANTED.home, PLANTED.email);
  await a.gateway.announce(true, '0.9.1');
  const b = await household(unique('PLANT-HOME-Second'), `${unique('plant-second')}@example.test`);
  await b.gateway.announce(true);
  Object.assign(made, { homeA: a.home.id, homeB: b.home.id, gwA: a.gatewayId, gwB: b.gatewayId });
  asHousehold = bearer(await login(api.app, PLANTED.email, PASSWORD));

  const idsA = await reportSwitches(a, [
    { hardwareId: TEST_HARDWARE, version: '1.0.0', online: true },
    { hardwareId: TEST_HARDWARE, version: '1.0.0', online: true },
    { hardwareId: TEST_HARDWARE, version: '1.1.0', online: false },
    { hardwareId: OTHER_HARDWARE, version: '1.0.0', online: true },
  ]);
  await reportSwitches(b, [
    { hardwareId: TEST_HARDWARE, version: '1.1.0', online: true },
    { hardwareId: OTHER_HARDWARE, version: '2.0.0', online: true },
    { hardwareId: TEST_HARDWARE, version: '1.0.0', online: true },
  ]);
  // Gateway B goes away: its switches are unreachable whatever they last reported.
  await b.gateway.drop();
  await eventually(async () => (await api.cloud.services.gateways.get(b.gatewayId))?.online === false);
  for (const [, d] of made.devices) if (d.gatewayId === b.gatewayId) d.on = false;

  // The household names its things; it is these names the operators must never see.
  const room = await homes.createRoom(a.user.id, a.home.id, PLANTED.room);
  for (const id of idsA) await devices.updateForUser(a.user.id, id, { name: PLANTED.device, roomId: room.id });

  // An active update job on the first 1.0.0 switch of home A.
  const release = await releases.upload(testImage({ version: '1.2.0' }));
  await eventually(async () => (await releases.get(release.id)).state === 'passed');
  made.jobDevice = [...made.devices].find(
    ([, d]) => d.gatewayId === a.gatewayId && d.hardwareId === TEST_HARDWARE && d.version === '1.0.0',
  )![0];
  made.jobId = (await updates.create(made.jobDevice, release.id, { createdBy: operator.id })).id;
}, 60_000);

afterAll(async () => {
  for (const gateway of gatewaysUp) await gateway.close().catch(() => undefined);
});

const get = (url: string, auth = asOperator) =>
  api.app.inject({ method: 'GET', url: `/v1/admin${url}`, headers: auth });
const ids = async (query: string) => {
  const r = await get(`/devices?limit=200&${query}`);
  expect(r.statusCode).toBe(200);
  return (r.json().items as { id: string }[]).map((d) => d.id);
};
const expected = (keep: (d: typeof made.devices extends Map<string, infer D> ? D : never) => boolean) =>
  [...made.devices]
    .filter(([, d]) => keep(d))
    .map(([id]) => id)
    .sort();

describe('the fleet device routes', () => {
  it('list every switch in id order, each filter keeping only the switches it names', async () => {
    expect(await ids('')).toEqual(expected(() => true));
    expect(await ids(`hardwareId=${OTHER_HARDWARE}`)).toEqual(expected((d) => d.hardwareId === OTHER_HARDWARE));
    expect(await ids('version=1.0.0')).toEqual(expected((d) => d.version === '1.0.0'));
    expect(await ids(`gatewayId=${made.gwB}`)).toEqual(expected((d) => d.gatewayId === made.gwB));
    expect(await ids(`homeId=${made.homeA}`)).toEqual(expected((d) => d.homeId === made.homeA));
    expect(await ids('online=true')).toEqual(expected((d) => d.on));
    expect(await ids('online=false')).toEqual(expected((d) => !d.on));
    expect(await ids(`version=1.0.0&hardwareId=${TEST_HARDWARE}&online=true`)).toEqual(
      expected((d) => d.version === '1.0.0' && d.hardwareId === TEST_HARDWARE && d.on),
    );
    expect(await ids('version=9.9.9')).toEqual([]);
    expect(await ids(`homeId=${randomUUID()}`)).toEqual([]);
  });

  it('page through the fleet with nothing missed or repeated, for an operator and an admin alike', async () => {
    for (const auth of [asOperator, asAdmin]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await get(`/devices?limit=2${cursor ? `&cursor=${cursor}` : ''}`, auth);
        expect(r.statusCode).toBe(200);
        const page = r.json() as { items: { id: string }[]; nextCursor: string | null };
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((d) => d.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 20);
      expect(pages).toBe(Math.ceil(made.devices.size / 2));
      expect(seen).toEqual(expected(() => true));
    }
  });

  it('show one switch with its firmware, active update job and presence', async () => {
    const r = await get(`/devices/${made.jobDevice}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      id: made.jobDevice,
      homeId: made.homeA,
      gatewayId: made.gwA,
      address: expect.stringMatching(/^[0-9a-f]{12}$/),
      hardwareId: TEST_HARDWARE,
      model: 'WoHand',
      firmware: {
        version: '1.0.0',
        update: {
          id: made.jobId,
          releaseId: expect.any(String),
          state: expect.stringMatching(/^(queued|waiting|running)$/),
          phase: null,
          progress: null,
        },
      },
      online: true,
      lastSeen: expect.any(String),
      battery: 80,
      rssi: -60,
      createdAt: expect.any(String),
    });
    const listed = (await get(`/devices?gatewayId=${made.gwA}`)).json().items as { id: string; firmware: object }[];
    expect(listed.find((d) => d.id === made.jobDevice)?.firmware).toEqual(r.json().firmware);
    expect(listed.filter((d) => d.id !== made.jobDevice).map((d) => d.firmware)).toEqual(
      expect.arrayContaining([expect.objectContaining({ update: null })]),
    );
  });
});

describe('the fleet gateway routes', () => {
  it('list gateways with their presence, version, switch counts and active updates', async () => {
    const r = await get('/gateways?limit=200');
    expect(r.statusCode).toBe(200);
    const items = r.json().items as { id: string }[];
    expect(items.map((g) => g.id)).toEqual([made.gwA, made.gwB].sort());
    expect(items.find((g) => g.id === made.gwA)).toMatchObject({
      homeId: made.homeA,
      online: true,
      version: '0.9.1',
      devices: { total: 4, online: 3 },
      activeUpdates: 1,
    });
    expect(items.find((g) => g.id === made.gwB)).toMatchObject({
      homeId: made.homeB,
      online: false,
      version: null,
      devices: { total: 3, online: 0 },
      activeUpdates: 0,
    });
    expect(((await get('/gateways?online=false')).json().items as { id: string }[]).map((g) => g.id)).toEqual([
      made.gwB,
    ]);
    const first = (await get('/gateways?limit=1')).json();
    expect(first.items).toHaveLength(1);
    const second = (await get(`/gateways?limit=1&cursor=${first.nextCursor}`)).json();
    expect([first.items[0].id, second.items[0].id]).toEqual([made.gwA, made.gwB].sort());
    expect(second.nextCursor).toBeNull();
  });

  it('show one gateway with the update jobs on its switches', async () => {
    const r = await get(`/gateways/${made.gwA}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      id: made.gwA,
      online: true,
      lastSeen: expect.any(String),
      updates: [{ id: made.jobId, deviceId: made.jobDevice, state: expect.any(String) }],
    });
    expect((await get(`/gateways/${made.gwB}`)).json().updates).toEqual([]);
  });
});

describe('the fleet routes refuse', () => {
  it('a household token as paths without a route (404), on every fleet route', async () => {
    for (const url of ['/devices', `/devices/${made.jobDevice}`, '/gateways', `/gateways/${made.gwA}`]) {
      const r = await get(url, asHousehold);
      expect({ url, status: r.statusCode }).toEqual({ url, status: 404 });
      expect(r.json().error.message).toBe(`no route for GET /v1/admin${url}`);
    }
  });

  it('unknown ids with 404 and malformed ids with 400', async () => {
    expect((await get(`/devices/${randomUUID()}`)).statusCode).toBe(404);
    expect((await get('/gateways/no-such-gateway')).statusCode).toBe(404);
    // Not even a gateway id (a NUL, upper case): 404 as well, never a 5xx from the database.
    expect((await get('/gateways/%7D%00%7D')).statusCode).toBe(404);
    expect((await get('/gateways/GW-1')).statusCode).toBe(404);
    expect((await get('/devices/not-a-uuid')).statusCode).toBe(400);
  });

  it('a cursor it did not hand out, and bad filters, with 400 and never a 5xx', async () => {
    const page = (await get('/devices?limit=1')).json();
    const gatewayCursor = (await get('/gateways?limit=1')).json().nextCursor as string;
    const bad = [
      '/devices?cursor=garbage',
      '/devices?cursor=%00',
      `/devices?cursor=${Buffer.from('d:not-a-uuid').toString('base64url')}`,
      `/devices?cursor=${gatewayCursor}`,
      `/gateways?cursor=${page.nextCursor}`,
      `/gateways?cursor=${Buffer.from('g:\u0000').toString('base64url')}`,
      `/devices?cursor=${page.nextCursor}x`,
      '/devices?limit=0',
      '/devices?limit=201',
      '/devices?online=maybe',
      '/devices?homeId=not-a-uuid',
      '/devices?colour=red',
    ];
    for (const url of bad) {
      const r = await get(url);
      expect({ url, status: r.statusCode }).toEqual({ url, status: 400 });
    }
  });
});

describe('the fleet routes leak nothing a household typed', () => {
  it('in any answer: no device, room or home name, no e-mail address', async () => {
    const answers = [
      await get('/devices?limit=200'),
      await get(`/devices?homeId=${made.homeA}`),
      ...(await Promise.all([...made.devices.keys()].map((id) => get(`/devices/${id}`)))),
      await get('/gateways'),
      await get(`/gateways/${made.gwA}`),
      await get(`/gateways/${made.gwB}`),
    ];
    // The names are there to be leaked: the household's own view shows them.
    const own = await api.app.inject({ method: 'GET', url: '/v1/devices', headers: asHousehold });
    expect(own.body).toContain(PLANTED.device);
    for (const r of answers) {
      expect(r.statusCode).toBe(200);
      for (const text of Object.values(PLANTED)) expect(r.body).not.toContain(text);
      expect(r.body).not.toMatch(/PLANT-|@/);
    }
  });
});
