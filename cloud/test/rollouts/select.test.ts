import { describe, expect, it } from 'vitest';
import {
  type DeviceSnapshot,
  homeCap,
  nextRetryAt,
  type RolloutDeviceState,
  type SelectInput,
  selectStarts,
} from '../../src/rollouts/rules/select.ts';
import { MINUTE, makeSpec, pick, seededRandom } from './fixtures.ts';

const NOW = Date.parse('2026-01-15T02:00:00Z');

const device = (id: string, patch: Partial<DeviceSnapshot> = {}): DeviceSnapshot => ({
  deviceId: id,
  stage: 0,
  state: 'pending',
  homeId: `home-${id}`,
  gatewayId: `gw-${id}`,
  gatewayOnline: true,
  online: true,
  battery: 80,
  timeZone: 'UTC',
  attempts: 0,
  retryAt: null,
  ...patch,
});

const input = (devices: DeviceSnapshot[], patch: Partial<SelectInput> = {}): SelectInput => ({
  spec: makeSpec(),
  now: NOW,
  openStages: [0],
  devices,
  busyByGateway: new Map(),
  busyByHome: new Map(),
  homeSize: new Map(),
  fleetBusy: 0,
  ...patch,
});

describe('homeCap', () => {
  it.each([
    [1, 50, 1],
    [2, 50, 1],
    [2, 100, 1],
    [3, 50, 1],
    [4, 50, 2],
    [5, 50, 2],
    [10, 50, 5],
    [10, 100, 9],
    [10, 5, 1],
    [3, 66.67, 2],
  ])('a home of %i switches at %d %% updates %i at once', (n, percent, cap) => {
    expect(homeCap(n, percent)).toBe(cap);
  });
});

describe('selectStarts', () => {
  it('says why each device waits', () => {
    const spec = makeSpec({ batteryMin: 30, windows: [{ from: '01:00', to: '05:00' }] });
    const { start, waiting } = selectStarts(
      input(
        [
          device('gw-off', { gatewayOnline: false }),
          device('dev-off', { online: false }),
          device('backoff', { retryAt: NOW + MINUTE, attempts: 1 }),
          device('retry-due', { retryAt: NOW - 1, attempts: 1 }),
          device('low', { battery: 29 }),
          device('at-min', { battery: 30 }),
          device('unknown-battery', { battery: null }),
          device('night-elsewhere', { timeZone: 'America/New_York' }), // 21:00 there
          device('done', { state: 'succeeded' }),
          device('later-stage', { stage: 1 }),
          device('was-waiting', { state: 'waiting' }),
        ],
        { spec },
      ),
    );
    expect(start).toEqual(['retry-due', 'at-min', 'unknown-battery', 'was-waiting']);
    expect(waiting).toEqual([
      { deviceId: 'gw-off', reason: 'gateway_offline' },
      { deviceId: 'dev-off', reason: 'device_offline' },
      { deviceId: 'backoff', reason: 'backoff' },
      { deviceId: 'low', reason: 'battery' },
      { deviceId: 'night-elsewhere', reason: 'out_of_window' },
    ]);
  });

  it('counts what is already busy against every cap', () => {
    const spec = makeSpec({ caps: { perGateway: 2, perHomePercent: 50, fleet: 3 } });
    const devices = [
      device('a', { gatewayId: 'g1', homeId: 'h1' }),
      device('b', { gatewayId: 'g1', homeId: 'h2' }),
      device('c', { gatewayId: 'g2', homeId: 'h3' }),
      device('d', { gatewayId: 'g3', homeId: 'h4' }),
      device('e', { gatewayId: 'g4', homeId: 'h5' }),
    ];
    const { start, waiting } = selectStarts(
      input(devices, {
        spec,
        busyByGateway: new Map([['g1', 1]]), // one single-switch job on g1 already
        busyByHome: new Map([['h3', 1]]),
        homeSize: new Map([['h3', 2]]), // h3 has two switches: one at a time
        fleetBusy: 1,
      }),
    );
    expect(start).toEqual(['a', 'd']);
    expect(waiting.map((w) => [w.deviceId, w.reason])).toEqual([
      ['b', 'cap'],
      ['c', 'cap'],
      ['e', 'cap'],
    ]);
  });

  it('caps are never exceeded and never leave a free slot unused (random snapshots)', () => {
    const random = seededRandom(19);
    const states: RolloutDeviceState[] = ['pending', 'pending', 'waiting', 'updating', 'succeeded', 'failed'];
    for (let round = 0; round < 300; round++) {
      const gateways = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => `g${i}`);
      const homes = Array.from({ length: 1 + Math.floor(random() * 10) }, (_, i) => `h${i}`);
      const homeOf = new Map(homes.map((h) => [h, pick(random, gateways)]));
      const spec = makeSpec({
        caps: {
          perGateway: 1 + Math.floor(random() * 3),
          perHomePercent: pick(random, [10, 34, 50, 75, 100]),
          fleet: 1 + Math.floor(random() * 12),
        },
      });
      const devices = Array.from({ length: Math.floor(random() * 60) }, (_, i) => {
        const homeId = pick(random, homes);
        return device(`d${i}`, {
          homeId,
          gatewayId: homeOf.get(homeId)!,
          stage: Math.floor(random() * 2),
          state: pick(random, states),
          online: random() > 0.1,
        });
      });
      const homeSize = new Map<string, number>();
      for (const d of devices) homeSize.set(d.homeId, (homeSize.get(d.homeId) ?? 0) + 1 + (random() < 0.2 ? 1 : 0));
      const busyByGateway = new Map(gateways.map((g) => [g, Math.floor(random() * 2)]));
      const busyByHome = new Map(homes.map((h) => [h, random() < 0.2 ? 1 : 0]));
      const fleetBusy = [...busyByGateway.values()].reduce((a, b) => a + b, 0);
      const snapshot = input(devices, { spec, busyByGateway, busyByHome, homeSize, fleetBusy });
      const { start, waiting } = selectStarts(snapshot);

      const byId = new Map(devices.map((d) => [d.deviceId, d]));
      const gw = new Map(busyByGateway);
      const home = new Map(busyByHome);
      const touched = { gateways: new Set<string>(), homes: new Set<string>() };
      for (const id of start) {
        const d = byId.get(id)!;
        expect(['pending', 'waiting']).toContain(d.state);
        expect(d.stage).toBe(0);
        gw.set(d.gatewayId, (gw.get(d.gatewayId) ?? 0) + 1);
        home.set(d.homeId, (home.get(d.homeId) ?? 0) + 1);
        touched.gateways.add(d.gatewayId);
        touched.homes.add(d.homeId);
      }
      for (const g of touched.gateways) expect(gw.get(g)).toBeLessThanOrEqual(spec.caps.perGateway);
      for (const h of touched.homes) {
        expect(home.get(h)).toBeLessThanOrEqual(homeCap(homeSize.get(h)!, spec.caps.perHomePercent));
      }
      if (start.length > 0) expect(fleetBusy + start.length).toBeLessThanOrEqual(spec.caps.fleet);
      // Work-conserving: a device left waiting on a cap really meets a full cap.
      const fleetFull = fleetBusy + start.length >= spec.caps.fleet;
      for (const w of waiting.filter((x) => x.reason === 'cap')) {
        const d = byId.get(w.deviceId)!;
        const full =
          fleetFull ||
          (gw.get(d.gatewayId) ?? 0) >= spec.caps.perGateway ||
          (home.get(d.homeId) ?? 0) >= homeCap(homeSize.get(d.homeId) ?? 1, spec.caps.perHomePercent);
        expect(full).toBe(true);
      }
      expect(start.length + waiting.length).toBe(
        devices.filter((d) => d.stage === 0 && (d.state === 'pending' || d.state === 'waiting')).length,
      );
    }
  });

  it('nextRetryAt doubles the backoff per attempt and stops after retry.max retries', () => {
    const spec = makeSpec({ retry: { max: 2, backoffSeconds: 60 } });
    expect(nextRetryAt(spec, 1, NOW)).toBe(NOW + 60_000);
    expect(nextRetryAt(spec, 2, NOW)).toBe(NOW + 120_000);
    expect(nextRetryAt(spec, 3, NOW)).toBeNull();
    expect(nextRetryAt(makeSpec({ retry: { max: 0 } }), 1, NOW)).toBeNull();
  });
});
