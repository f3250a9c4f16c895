/**
 * Issue 5, "Device state": when a gateway reconnects, the cloud sends it the delta between desired and
 * reported; and "Past one machine": two cloud instances on one database and one broker dispatch each
 * command once. Here both hold at the same time: a gateway reconnects to a real mosquitto while two
 * cloud instances share the database. Its online status reaches both instances (gateway status is the
 * one topic every instance takes, see cloud.ts), so both reconcile, while their sweepers keep trying
 * to dispatch pending commands.
 * The database is real PostgreSQL when DATABASE_URL is set, otherwise one in-process PGlite that both
 * instances share; the assertions are the same either way.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/db/schema.ts';
import { household, randomAddress, type Household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';

const rig = useTwoInstances();

/** Connects the household's gateway to mosquitto, listening for commands, and announces it online. */
async function connect(h: Household): Promise<MqttGateway> {
  // mosquitto re-reads its password file asynchronously after addUser: retry the first connect.
  const gateway = await eventually(() =>
    MqttGateway.connect({
      url: rig.broker.url,
      gatewayId: h.credentials.gatewayId,
      secret: h.credentials.secret,
    }).catch(() => null),
  );
  await gateway.subscribeCommands();
  await gateway.announce();
  await eventually(async () => (await rig.one.services.gateways.get(h.credentials.gatewayId))?.online);
  return gateway;
}

/** Drops the gateway as a crash would; resolves once its last will has marked it offline. */
async function goOffline(h: Household, gateway: MqttGateway): Promise<void> {
  await gateway.drop();
  await eventually(async () => (await rig.two.services.gateways.get(h.credentials.gatewayId))?.online === false);
}

/** A household whose gateway has reported one switch, off, and is then gone. */
async function offlineSwitch() {
  const h = await household(rig.one);
  await rig.broker.addUser(h.credentials.gatewayId, h.credentials.secret);
  const gateway = await connect(h);
  const address = randomAddress();
  await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
  const device = await eventually(async () => (await rig.one.services.devices.listForUser(h.user.id))[0]);
  await goOffline(h, gateway);
  return { h, address, deviceId: device.id };
}

const commandsFor = (deviceId: string) => rig.one.db.select().from(commands).where(eq(commands.deviceId, deviceId));

/** Lets both instances finish what the last messages started, and both sweepers run a few rounds. */
async function settle(): Promise<void> {
  await rig.one.services.ingest.idle();
  await rig.two.services.ingest.idle();
  await new Promise((resolve) => setTimeout(resolve, 500));
}

describe('a gateway reconnecting while two cloud instances run', () => {
  it('receives the delta of a desired change made while it was offline once, and nothing more once the shadow agrees', async () => {
    const { h, address, deviceId } = await offlineSwitch();
    const written = await rig.two.services.commands.applyDesired(h.user.id, deviceId, true);
    expect(written.state.delta).toEqual({ on: true });

    const back = await connect(h);
    const delta = await back.nextCommand(() => true, 10_000);
    expect(delta).toMatchObject({ address, request: { action: 'on' } });
    await settle();
    expect(back.commands).toHaveLength(1);
    expect(await commandsFor(deviceId)).toHaveLength(1);

    await back.result(address, delta.request.commandId, { status: 'succeeded', state: { on: true } });
    const done = await rig.one.services.commands.waitForTerminal(delta.request.commandId, 10_000);
    expect(done?.status).toBe('succeeded');
    const shadow = await rig.one.services.shadows.getForUser(h.user.id, deviceId);
    expect(shadow?.state).toMatchObject({ desired: { on: true }, reported: { on: true } });
    expect(shadow?.state.delta).toBeUndefined();

    // Once more, with nothing left to reconcile: the reconnect brings no command.
    await goOffline(h, back);
    const again = await connect(h);
    await settle();
    expect(again.commands).toEqual([]);
    expect(await commandsFor(deviceId)).toHaveLength(1);
    await again.close();
  });

  it('turns a delta found at reconnect into one command even when both instances reconcile the gateway at once', async () => {
    const { h, address, deviceId } = await offlineSwitch();
    // Desired written without a command, as when the command for it lapsed while the gateway was away:
    // the delta exists only in the shadow, and reconnect is what must turn it into a command.
    await rig.one.services.shadows.setDesiredForUser(h.user.id, deviceId, true);
    expect(await commandsFor(deviceId)).toEqual([]);

    // The announce reaches one instance through the shared subscription; meanwhile both instances
    // reconcile the same gateway themselves, as they would if each had received an announce.
    const { gatewayId } = h.credentials;
    const [back, ...createdHere] = await Promise.all([
      connect(h),
      rig.one.services.commands.reconcileGateway(gatewayId),
      rig.two.services.commands.reconcileGateway(gatewayId),
      rig.one.services.commands.reconcileGateway(gatewayId),
      rig.two.services.commands.reconcileGateway(gatewayId),
    ]);
    expect(createdHere.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1);
    const delta = await back.nextCommand(() => true, 10_000);
    expect(delta).toMatchObject({ address, request: { action: 'on' } });
    await settle();
    expect(back.commands).toHaveLength(1);
    const stored = await commandsFor(deviceId);
    expect(stored.map((c) => [c.source, c.action])).toEqual([['delta', 'on']]);

    await back.result(address, delta.request.commandId, { status: 'succeeded', state: { on: true } });
    await eventually(
      async () => (await rig.two.services.shadows.getForUser(h.user.id, deviceId))?.state.reported.on === true,
    );
    expect((await rig.two.services.shadows.getForUser(h.user.id, deviceId))?.state.delta).toBeUndefined();
    await back.close();
  });
});
