/**
 * A switch not heard for DEVICE_OFFLINE_AFTER_S shows offline (here set to one second), and a
 * gateway registers at most GATEWAY_MAX_DEVICES switches (here three): reports of further new
 * switches are refused and counted, its known switches go on. On the test cloud's database (PGlite,
 * or PostgreSQL with DATABASE_URL), over the embedded broker.
 */
import { describe, expect, it } from 'vitest';
import type { StateEvent } from '../src/events/bus.ts';
import { gatewayWithSwitch, household, randomAddress, useTestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const t = useTestCloud({ deviceOfflineAfterMs: 1000, gatewayMaxDevices: 3 });

describe('a switch that is no longer heard', () => {
  it('goes offline once not heard for the configured time, tells the app, and comes back with a report', async () => {
    const h = await household(t.cloud);
    const heard: StateEvent[] = [];
    const stop = t.cloud.events.subscribe((event) => {
      if (event.type === 'state' && event.homeId === h.home.id) heard.push(event);
    });
    const { gateway, address, deviceId } = await gatewayWithSwitch(t.cloud, h);
    const view = () => t.cloud.services.devices.getForUser(h.user.id, deviceId);
    // Online as reported first (read from the events: on a busy machine a second passes quickly).
    await eventually(async () => heard.find((e) => e.deviceId === deviceId)?.online === true);

    await eventually(async () => (await view())?.online === false, 5000);
    expect(heard.at(-1)).toMatchObject({ deviceId, online: false });
    expect((await t.cloud.services.shadows.getForUser(h.user.id, deviceId))?.state.reported.online).toBe(false);
    // The gateway itself stayed connected and online all along: only the switch is gone.
    expect((await t.cloud.services.gateways.get(h.credentials.gatewayId))?.online).toBe(true);

    await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
    await eventually(async () => (await view())?.online === true, 5000);
    stop();
    await gateway.close();
  }, 30_000);
});

describe('the device cap of a gateway', () => {
  it('refuses and counts reports of new switches past the cap while its known switches go on', async () => {
    const h = await household(t.cloud);
    const { gateway, address } = await gatewayWithSwitch(t.cloud, h);
    const before = t.cloud.services.ingest.stats().overCap;
    const invented = Array.from({ length: 5 }, () => randomAddress());
    for (const a of invented) await gateway.report({ address: a, model: 'WoHand' }, { state: { on: true } });
    await eventually(async () => t.cloud.services.ingest.stats().overCap - before >= 3);
    await t.cloud.services.ingest.idle();
    const devices = await t.cloud.services.devices.listForUser(h.user.id);
    expect(devices.length).toBe(3);
    expect(t.cloud.services.ingest.stats().overCap - before).toBe(3);
    const metric = await t.cloud.metrics.registry.getSingleMetricAsString('sf_ingest_messages_total');
    expect(metric).toMatch(/outcome="overCap"\} [1-9]/);

    // A known switch keeps reporting, and so do the switches admitted before the cap.
    await gateway.report({ address, model: 'WoHand' }, { state: { on: true } });
    const list = () => t.cloud.services.devices.listForUser(h.user.id);
    await eventually(async () => (await list()).every((d) => d.state?.on === true));
    // Another gateway is not held by this one's cap.
    const other = await household(t.cloud);
    const second = await gatewayWithSwitch(t.cloud, other);
    expect((await t.cloud.services.devices.listForUser(other.user.id)).length).toBe(1);
    await second.gateway.close();
    await gateway.close();
  }, 30_000);
});
