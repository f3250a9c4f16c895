import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/errors.ts';
import {
  gatewayWithSwitch,
  household,
  useTestCloud,
  type GatewayWithSwitch,
  type Household,
} from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const t = useTestCloud();

/** An owner, an online gateway listening for commands, and one switch it has reported. */
async function rig(): Promise<GatewayWithSwitch & { h: Household }> {
  const h = await household(t.cloud);
  return { h, ...(await gatewayWithSwitch(t.cloud, h)) };
}

describe('commands', () => {
  it('are delivered to the gateway of the switch and succeed with its answer', async () => {
    const { h, gateway, address, deviceId } = await rig();
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'on');
    expect(['pending', 'sent']).toContain(created.status);

    const received = await gateway.nextCommand((c) => c.request.commandId === created.id);
    expect(received.address).toBe(address);
    expect(received.request.action).toBe('on');
    expect(Date.parse(received.request.expiresAt)).toBe(created.expiresAt.getTime());

    const waiting = t.cloud.services.commands.waitForTerminal(created.id, 10_000);
    await gateway.result(address, created.id, { status: 'succeeded', state: { on: true } });
    const done = await waiting;
    expect(done).toMatchObject({ id: created.id, status: 'succeeded', reason: null });
    expect(done?.completedAt).not.toBeNull();
    expect((await t.cloud.services.devices.getForUser(h.user.id, deviceId))?.state).toEqual({ on: true });
    await gateway.close();
  });

  it('record the reason of a failure', async () => {
    const { h, gateway, address, deviceId } = await rig();
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'toggle');
    await gateway.nextCommand((c) => c.request.commandId === created.id);
    await gateway.result(address, created.id, {
      status: 'failed',
      reason: 'out_of_range',
      detail: 'no advertisement for 30 s',
    });
    const done = await t.cloud.services.commands.waitForTerminal(created.id, 10_000);
    expect(done).toMatchObject({ status: 'failed', reason: 'out_of_range', detail: 'no advertisement for 30 s' });
    await gateway.close();
  });

  it('expire when nobody answers, and a late answer does not revive them', async () => {
    const { h, gateway, address, deviceId } = await rig();
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'on', { ttlMs: 300 });
    const done = await t.cloud.services.commands.waitForTerminal(created.id, 10_000);
    expect(done).toMatchObject({ status: 'expired', reason: 'expired' });

    await gateway.result(address, created.id, { status: 'succeeded', state: { on: true } });
    // The carried state is still news about the switch, so it lands even though the command stays expired.
    await eventually(async () => (await t.cloud.services.devices.getForUser(h.user.id, deviceId))?.state?.on);
    expect((await t.cloud.services.commands.get(created.id))?.status).toBe('expired');
    await gateway.close();
  });

  it('expire for a gateway that is offline', async () => {
    const { h, gateway, deviceId } = await rig();
    await gateway.close();
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'off', { ttlMs: 300 });
    const done = await t.cloud.services.commands.waitForTerminal(created.id, 10_000);
    expect(done?.status).toBe('expired');
  });

  it('return the current record when the wait ends before an answer', async () => {
    const { h, gateway, deviceId } = await rig();
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'on');
    const current = await t.cloud.services.commands.waitForTerminal(created.id, 50);
    expect(current?.id).toBe(created.id);
    expect(['pending', 'sent']).toContain(current?.status);
    await gateway.close();
  });

  it('cannot be completed by another gateway', async () => {
    const mine = await rig();
    const other = await rig();
    const created = await t.cloud.services.commands.create(mine.h.user.id, mine.deviceId, 'on');
    await mine.gateway.nextCommand((c) => c.request.commandId === created.id);
    const rejectedBefore = t.cloud.services.ingest.stats().rejected;
    await other.gateway.result(other.address, created.id, { status: 'succeeded' });
    await eventually(async () => t.cloud.services.ingest.stats().rejected > rejectedBefore);
    expect((await t.cloud.services.commands.get(created.id))?.status).toBe('sent');
    await mine.gateway.close();
    await other.gateway.close();
  });

  it('are refused for a switch of another home, as if it did not exist', async () => {
    const mine = await rig();
    const stranger = await household(t.cloud);
    await expect(t.cloud.services.commands.create(stranger.user.id, mine.deviceId, 'on')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(t.cloud.services.commands.create(stranger.user.id, 'not-a-uuid', 'on')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await mine.gateway.close();
  });
});
