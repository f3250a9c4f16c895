import { describe, expect, it } from 'vitest';
import { DeviceViewCache } from '../src/devices/view-cache.ts';
import type { DeviceView } from '../src/devices/device-view.ts';
import { gatewayWithSwitch, household, startTestCloud } from '@switchfleet/testkit/cloud';

const view = (name: string): DeviceView => ({
  id: 'd1',
  name,
  model: 'WoHand',
  firmwareVersion: '1.0.0',
  online: true,
  state: { on: true },
  battery: 90,
  rssi: -60,
  lastSeen: null,
  roomId: null,
  firmware: { version: '1.0.0', update: null },
});

describe('the device view cache', () => {
  it('answers a cached view until the device is named by an event', () => {
    const cache = new DeviceViewCache();
    cache.set('u1', 'd1', view('Lamp'), cache.token('d1'));
    expect(cache.get('u1', 'd1')?.name).toBe('Lamp');
    cache.forgetDevice('d1');
    expect(cache.get('u1', 'd1')).toBeUndefined();
  });

  it('does not store a view read before the device changed', () => {
    const cache = new DeviceViewCache();
    const token = cache.token('d1');
    cache.forgetDevice('d1'); // the change lands while the read is under way
    cache.set('u1', 'd1', view('stale'), token);
    expect(cache.get('u1', 'd1')).toBeUndefined();
  });

  it('does not store a view read before access changed anywhere', () => {
    const cache = new DeviceViewCache();
    const token = cache.token('d1');
    cache.clear();
    cache.set('u1', 'd1', view('stale'), token);
    expect(cache.get('u1', 'd1')).toBeUndefined();
  });

  it('lets a view expire after its time to live', () => {
    let now = 1000;
    const cache = new DeviceViewCache(500, 100, () => now);
    cache.set('u1', 'd1', view('Lamp'), cache.token('d1'));
    now += 499;
    expect(cache.get('u1', 'd1')).toBeDefined();
    now += 1;
    expect(cache.get('u1', 'd1')).toBeUndefined();
  });
});

describe('cached device views and access', () => {
  it('a member removed from a home loses its devices at once, and a gateway going offline shows at once', async () => {
    const test = await startTestCloud();
    try {
      const { cloud } = test;
      const h = await household(cloud);
      const { deviceId, gateway } = await gatewayWithSwitch(cloud, h);
      const guest = await cloud.services.accounts.register(`guest-${Date.now()}@example.test`, 'correct horse battery');
      const invitation = await cloud.services.invitations.invite(h.user.id, h.home.id, guest.email);
      await cloud.services.invitations.accept(guest.id, invitation.id);

      expect((await cloud.services.devices.getForUser(guest.id, deviceId))?.online).toBe(true);
      expect(await cloud.services.devices.getForUser(guest.id, deviceId)).not.toBeNull(); // now from the cache

      await gateway.announce(false);
      await expect.poll(async () => (await cloud.services.devices.getForUser(h.user.id, deviceId))?.online).toBe(false);

      await cloud.services.homes.removeMember(h.user.id, h.home.id, guest.id);
      expect(await cloud.services.devices.getForUser(guest.id, deviceId)).toBeNull();
      await gateway.close();
    } finally {
      await test.close();
    }
  });
});
