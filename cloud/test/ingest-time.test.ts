/**
 * Report times the cloud cannot trust, and times it must keep: a report dated far ahead of the
 * cloud's clock is refused, one dated a little ahead never outranks the reports after it, and a
 * command result that carries the switch's state is a sighting (lastSeen moves). On the test cloud's
 * database (PGlite, or PostgreSQL with DATABASE_URL), over the embedded broker.
 */
import { encodePayload, topicFor, type DeviceReport } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { gatewayWithSwitch, household, useTestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const t = useTestCloud();

const YEAR_MS = 365 * 24 * 3600_000;

/** Publishes a report of the switch dated `ts`, with a seq above anything the test gateway sent. */
async function reportAt(gateway: MqttGateway, address: string, seq: number, ts: Date, on: boolean): Promise<void> {
  const device = { address, model: 'WoHand' };
  const report: DeviceReport = { v: 1, seq, ts: ts.toISOString(), device, online: true, state: { on } };
  const topic = topicFor('deviceState', { gatewayId: gateway.gatewayId, address });
  await gateway.publish(topic, encodePayload('deviceState', report));
}

async function stateOf(userId: string, deviceId: string) {
  return (await t.cloud.services.devices.getForUser(userId, deviceId))?.state;
}

describe('report times', () => {
  it('a report dated ten years ahead is refused as malformed and does not freeze the switch', async () => {
    const h = await household(t.cloud);
    const { gateway, address, deviceId } = await gatewayWithSwitch(t.cloud, h);
    const malformed = t.cloud.services.ingest.stats().malformed;
    await reportAt(gateway, address, 1000, new Date(Date.now() + 10 * YEAR_MS), true);
    await eventually(async () => t.cloud.services.ingest.stats().malformed > malformed);
    await t.cloud.services.ingest.idle();
    expect((await t.cloud.services.devices.getForUser(h.user.id, deviceId))?.state).toEqual({ on: false });
    const until = new Date(Date.now() + 20 * YEAR_MS);
    const history = await t.cloud.services.devices.historyForUser(h.user.id, deviceId, new Date(0), until);
    expect(history!.every((row) => Date.parse(row.ts) <= Date.now())).toBe(true);

    // After the gateway re-announces itself (its seq may have restarted), a report of now still counts.
    await gateway.announce();
    await reportAt(gateway, address, 1, new Date(), true);
    await eventually(async () => (await stateOf(h.user.id, deviceId))?.on === true);
    await gateway.close();
  }, 30_000);

  it("a report dated a little ahead is stored, but ordered at the cloud's time, so the next report wins", async () => {
    const h = await household(t.cloud);
    const { gateway, address, deviceId } = await gatewayWithSwitch(t.cloud, h);
    await reportAt(gateway, address, 1000, new Date(Date.now() + 60_000), true);
    await eventually(async () => (await stateOf(h.user.id, deviceId))?.on === true);
    await gateway.announce();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await reportAt(gateway, address, 1, new Date(), false);
    await eventually(async () => (await stateOf(h.user.id, deviceId))?.on === false, 5000);
    await gateway.close();
  }, 30_000);

  it('a command result that carries the state moves lastSeen and brings the switch online', async () => {
    const h = await household(t.cloud);
    const { gateway, address, deviceId } = await gatewayWithSwitch(t.cloud, h);
    const before = (await t.cloud.services.devices.getForUser(h.user.id, deviceId))!.lastSeen!;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const created = await t.cloud.services.commands.create(h.user.id, deviceId, 'on');
    await gateway.nextCommand((c) => c.request.commandId === created.id);
    const waiting = t.cloud.services.commands.waitForTerminal(created.id, 10_000);
    await gateway.result(address, created.id, { status: 'succeeded', state: { on: true } });
    expect((await waiting)?.status).toBe('succeeded');
    const after = (await t.cloud.services.devices.getForUser(h.user.id, deviceId))!;
    expect(after.state).toEqual({ on: true });
    expect(Date.parse(after.lastSeen!)).toBeGreaterThan(Date.parse(before));
    await gateway.close();
  }, 30_000);
});
