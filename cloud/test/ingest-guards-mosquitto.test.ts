/**
 * The ingest's guards hold behind a real mosquitto run with the shipped listeners, as they do on the
 * embedded broker (ingest-time, device-liveness): a report dated years ahead is refused and freezes
 * nothing, a switch no longer heard goes offline, a gateway's device cap holds, and a command result
 * that carries the state is a sighting. Two cloud instances share the gateways' reports (shared
 * subscription), so counts are summed over both. On PGlite, or PostgreSQL with DATABASE_URL.
 */
import { encodePayload, topicFor, type DeviceReport } from '@switchfleet/protocol';
import { expect, it } from 'vitest';
import type { IngestStats } from '../src/ingest/pipeline.ts';
import { household, randomAddress, type Household } from '@switchfleet/testkit/cloud';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { eventually } from '@switchfleet/testkit/poll';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';

const rig = useTwoInstances({ deviceOfflineAfterMs: 1000, gatewayMaxDevices: 3 });

const YEAR_MS = 365 * 24 * 3600_000;

function counted(outcome: keyof IngestStats): number {
  return rig.one.services.ingest.stats()[outcome] + rig.two.services.ingest.stats()[outcome];
}

/** The household's gateway behind mosquitto, announced, with one switch the cloud lists. */
async function onlineSwitch(h: Household): Promise<{ gateway: MqttGateway; address: string; deviceId: string }> {
  const gateway = await rig.broker.connectGateway(h.credentials);
  await gateway.announce();
  const address = randomAddress();
  await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
  const listed = await eventually(async () => (await rig.one.services.devices.listForUser(h.user.id))[0]);
  return { gateway, address, deviceId: listed.id };
}

it('refuses a report dated ten years ahead as malformed, and the next report of now counts', async () => {
  const h = await household(rig.one);
  const { gateway, address, deviceId } = await onlineSwitch(h);
  const state = async () => (await rig.one.services.devices.getForUser(h.user.id, deviceId))?.state;
  const malformed = counted('malformed');
  const device = { address, model: 'WoHand' };
  const ts = new Date(Date.now() + 10 * YEAR_MS).toISOString();
  const ahead: DeviceReport = { v: 1, seq: 1000, ts, device, online: true, state: { on: true } };
  const topic = topicFor('deviceState', { gatewayId: gateway.gatewayId, address });
  await gateway.publish(topic, encodePayload('deviceState', ahead));
  await eventually(async () => counted('malformed') > malformed);
  expect(await state()).toEqual({ on: false });

  // After a re-announcement the gateway's seq restarts; a report of now still wins.
  await gateway.announce();
  await gateway.report(device, { state: { on: true } });
  await eventually(async () => (await state())?.on === true, 10_000);
  await gateway.close();
}, 30_000);

it('takes a switch no longer heard offline, and refuses new switches past the cap while the known one goes on', async () => {
  const h = await household(rig.one);
  const { gateway, address, deviceId } = await onlineSwitch(h);
  const view = () => rig.one.services.devices.getForUser(h.user.id, deviceId);
  await eventually(async () => (await view())?.online === false, 10_000);

  const overCap = counted('overCap');
  // One new switch at a time: the two instances share the gateway's reports, and instances registering
  // at the same moment may each admit a switch past the cap (docs/mqtt-protocol.md says so).
  for (let i = 0; i < 5; i++) {
    const before = counted('deviceStates') + counted('overCap');
    await gateway.report({ address: randomAddress(), model: 'WoHand' }, { state: { on: true } });
    await eventually(async () => counted('deviceStates') + counted('overCap') > before, 10_000);
  }
  expect(counted('overCap') - overCap).toBe(3);
  expect((await rig.one.services.devices.listForUser(h.user.id)).length).toBe(3);
  // Reported again at each look, as a gateway re-reports a switch it hears: with a one-second offline
  // time, a slow look could otherwise find the switch already swept offline again.
  await eventually(async () => {
    await gateway.report({ address, model: 'WoHand' }, { state: { on: true } });
    const seen = await view();
    return seen?.online === true && seen.state?.on === true;
  }, 10_000);
  await gateway.close();
}, 30_000);

it('moves lastSeen when a command result carries the state', async () => {
  const h = await household(rig.one);
  const { gateway, address, deviceId } = await onlineSwitch(h);
  await gateway.subscribeCommands();
  const view = () => rig.one.services.devices.getForUser(h.user.id, deviceId);
  const before = (await view())!.lastSeen!;
  await new Promise((resolve) => setTimeout(resolve, 50));
  const created = await rig.one.services.commands.create(h.user.id, deviceId, 'on');
  await gateway.nextCommand((c) => c.request.commandId === created.id);
  await gateway.result(address, created.id, { status: 'succeeded', state: { on: true } });
  await eventually(async () => (await rig.one.services.commands.get(created.id))?.status === 'succeeded');
  const after = (await view())!;
  expect(after.state).toEqual({ on: true });
  expect(Date.parse(after.lastSeen!)).toBeGreaterThan(Date.parse(before));
  await gateway.close();
}, 30_000);
