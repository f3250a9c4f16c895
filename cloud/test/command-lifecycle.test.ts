import { describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError } from '../src/errors.ts';
import { connectGateway, household, randomAddress, useTestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const t = useTestCloud();

/** An owner whose gateway has reported one switch (off) and then gone away. */
async function offlineSwitch() {
  const h = await household(t.cloud);
  const gateway = await connectGateway(t.cloud, h.credentials);
  await gateway.announce();
  const address = randomAddress();
  await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
  const device = await eventually(async () => (await t.cloud.services.devices.listForUser(h.user.id))[0]);
  await gateway.drop();
  await eventually(async () => (await t.cloud.services.gateways.get(h.credentials.gatewayId))?.online === false);
  return { h, address, deviceId: device.id };
}

describe('a command for an offline gateway', () => {
  it('waits as pending and is dispatched once the gateway announces itself', async () => {
    const { h, address, deviceId } = await offlineSwitch();
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'press', { ttlMs: 60_000 });
    expect(created.status).toBe('pending');

    const back = await connectGateway(t.cloud, h.credentials);
    await back.subscribeCommands();
    await back.announce();
    const received = await back.nextCommand((c) => c.request.commandId === created.id);
    expect(received).toMatchObject({ address, request: { action: 'press' } });
    expect((await t.cloud.services.commands.get(created.id))?.status).toBe('sent');
    // A press is an action, not a state: the shadow has no desired side for it.
    expect((await t.cloud.services.shadows.getForUser(h.user.id, deviceId))?.state.desired).toEqual({});
    await back.close();
  });

  it('expires with the reason "expired" when its TTL passes first', async () => {
    const { h, deviceId } = await offlineSwitch();
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'on', { ttlMs: 300 });
    const done = await t.cloud.services.commands.waitForTerminal(created.id, 10_000);
    expect(done).toMatchObject({ status: 'expired', reason: 'expired' });
    expect(done?.sentAt).toBeNull();
  });
});

describe('on and off', () => {
  it('also set the desired state of the shadow', async () => {
    const { h, deviceId } = await offlineSwitch();
    await t.cloud.services.commands.create(h.user.id, deviceId, 'on', { ttlMs: 1000 });
    const shadow = await t.cloud.services.shadows.getForUser(h.user.id, deviceId);
    expect(shadow?.state).toMatchObject({ desired: { on: true }, reported: { on: false }, delta: { on: true } });
    expect(shadow?.metadata.desired.on?.timestamp).toMatch(/^\d{4}-/);
  });
});

describe('an Idempotency-Key', () => {
  it('makes a retried request return the first command instead of a second one', async () => {
    const { h, deviceId } = await offlineSwitch();
    const first = await t.cloud.services.commands.create(h.user.id, deviceId, 'off', {
      idempotencyKey: 'tap-1',
      ttlMs: 5000,
    });
    const retry = await t.cloud.services.commands.create(h.user.id, deviceId, 'off', {
      idempotencyKey: 'tap-1',
      ttlMs: 5000,
    });
    expect(retry.id).toBe(first.id);
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => t.cloud.services.commands.create(h.user.id, deviceId, 'toggle', { idempotencyKey: 'tap-2' })),
    );
    expect(new Set(concurrent.map((c) => c.id)).size).toBe(1);
  });

  it('is refused when reused for a different request, and is scoped to its user', async () => {
    const { h, deviceId } = await offlineSwitch();
    await t.cloud.services.commands.create(h.user.id, deviceId, 'on', { idempotencyKey: 'k' });
    await expect(
      t.cloud.services.commands.create(h.user.id, deviceId, 'off', { idempotencyKey: 'k' }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);

    const other = await offlineSwitch();
    const theirs = await t.cloud.services.commands.create(other.h.user.id, other.deviceId, 'on', {
      idempotencyKey: 'k',
    });
    expect(theirs.deviceId).toBe(other.deviceId);
  });
});
