/**
 * The health gate's telemetry as the cloud records it from a gateway speaking the protocol: a
 * command the switch answered without effect (reason no_effect) counts as a failure of that switch,
 * its report going offline as a disconnect, and a command that expired counts as neither.
 */
import { describe, expect, it } from 'vitest';
import { connectGateway, household, randomAddress, useTestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { FleetHealth } from '../src/index.ts';

const t = useTestCloud();

describe('telemetry through the ingest', () => {
  it('counts a no_effect result and an offline report of the switch, not an expired command', async () => {
    const since = new Date(Date.now() - 1000);
    const h = await household(t.cloud);
    const gateway = await connectGateway(t.cloud, h.credentials);
    await gateway.subscribeCommands();
    await gateway.announce();
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
    const device = await eventually(async () => (await t.cloud.services.devices.listForUser(h.user.id))[0]);

    const missed = await t.cloud.services.commands.create(h.user.id, device.id, 'on', { ttlMs: 10_000 });
    await gateway.nextCommand((c) => c.request.commandId === missed.id);
    await gateway.result(address, missed.id, {
      status: 'failed',
      reason: 'no_effect',
      detail: 'the switch answered the action as done but still reports off',
      state: { on: false },
    });
    expect(await t.cloud.services.commands.waitForTerminal(missed.id, 10_000)).toMatchObject({
      status: 'failed',
      reason: 'no_effect',
    });
    const late = await t.cloud.services.commands.create(h.user.id, device.id, 'off', { ttlMs: 10_000 });
    await gateway.nextCommand((c) => c.request.commandId === late.id);
    await gateway.result(address, late.id, { status: 'expired', reason: 'timeout' });
    await t.cloud.services.commands.waitForTerminal(late.id, 10_000);

    await gateway.report({ address, model: 'WoHand' }, { online: false });
    const health = new FleetHealth(t.cloud.db);
    const sample = await eventually(async () => {
      const s = await health.sample([device.id], since, new Date(Date.now() + 1000));
      return s.disconnects === 1 && s;
    });
    expect(sample).toMatchObject({ commandsOk: 0, commandsFailed: 1, disconnects: 1, reboots: 0 });
    expect(sample.deviceHours).toBeGreaterThan(0);
    await gateway.close();
  });
});
