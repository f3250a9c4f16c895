import { topicFor } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import type { StateEvent } from '../src/events/bus.ts';
import type { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { connectGateway, household, randomAddress, useTestCloud, type Household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const t = useTestCloud();

async function onlineHousehold(): Promise<{ h: Household; gateway: MqttGateway }> {
  const h = await household(t.cloud);
  const gateway = await connectGateway(t.cloud, h.credentials);
  await gateway.announce();
  return { h, gateway };
}

function deviceNamed(userId: string, name: string) {
  return eventually(async () => (await t.cloud.services.devices.listForUser(userId)).find((d) => d.name === name));
}

/** Runs `jobs` with at most `window` in flight, as a publisher with a bounded in-flight window would. */
async function inWindow(jobs: (() => Promise<unknown>)[], window: number): Promise<void> {
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: window }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
}

describe('ingest', () => {
  it('registers a reported switch into the home of the gateway that hears it, with its state', async () => {
    const { h, gateway } = await onlineHousehold();
    const address = randomAddress();
    await gateway.report(
      { address, model: 'WoHand', name: 'Hall light', firmwareVersion: '6.3' },
      { state: { on: true }, battery: 87, rssi: -61 },
    );
    const device = await deviceNamed(h.user.id, 'Hall light');
    expect(device).toMatchObject({
      model: 'WoHand',
      firmwareVersion: '6.3',
      online: true,
      state: { on: true },
      battery: 87,
      rssi: -61,
    });
    expect(device.lastSeen).not.toBeNull();
    await gateway.close();
  });

  it('updates a registered switch when it reports new firmware and keeps it when a report leaves it out', async () => {
    const { h, gateway } = await onlineHousehold();
    const address = randomAddress();
    await gateway.report(
      { address, model: 'WoHand', name: 'Desk lamp', firmwareVersion: '6.3' },
      { state: { on: false } },
    );
    await deviceNamed(h.user.id, 'Desk lamp');
    await gateway.report({ address, model: 'WoHand', firmwareVersion: '6.4' }, { state: { on: true } });
    await eventually(async () => (await deviceNamed(h.user.id, 'Desk lamp')).firmwareVersion === '6.4' || undefined);
    await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
    await t.cloud.services.ingest.idle();
    const device = await eventually(async () => {
      const d = await deviceNamed(h.user.id, 'Desk lamp');
      return d.state?.on === false ? d : undefined;
    });
    expect(device.firmwareVersion).toBe('6.4');
    await gateway.close();
  });

  it('counts and drops a malformed payload and still applies the next good one', async () => {
    const { h, gateway } = await onlineHousehold();
    const before = t.cloud.services.ingest.stats();
    const address = randomAddress();
    const topic = topicFor('deviceState', { gatewayId: h.credentials.gatewayId, address });
    await gateway.publish(topic, '{ not json');
    await gateway.publish(
      topic,
      JSON.stringify({ v: 1, seq: 1, ts: 'yesterday', device: { address, model: 'WoHand' }, online: 'yes' }),
    );
    await gateway.report({ address, model: 'WoHand', name: 'After the garbage' }, { state: { on: false } });

    const device = await deviceNamed(h.user.id, 'After the garbage');
    expect(device.state).toEqual({ on: false });
    expect(t.cloud.services.ingest.stats().malformed - before.malformed).toBe(2);
    expect(gateway.client.connected).toBe(true);
    await gateway.close();
  });

  it('drops a report whose time a Date cannot hold and keeps the reports batched around it', async () => {
    const { h, gateway } = await onlineHousehold();
    const before = t.cloud.services.ingest.stats();
    const report = (name: string, ts: string) => {
      const address = randomAddress();
      const payload = {
        v: 1,
        seq: 1,
        ts,
        device: { address, model: 'WoHand', name },
        online: true,
        state: { on: true },
      };
      return gateway.publish(
        topicFor('deviceState', { gatewayId: h.credentials.gatewayId, address }),
        JSON.stringify(payload),
      );
    };
    // Published together, so that they travel in one batch.
    await Promise.all([
      report('Before', new Date().toISOString()),
      report('Leap second', '2016-12-31T23:59:60Z'),
      report('Zone suffix', '2026-01-01T00:00:00Z[Europe/Paris]'),
      report('After', new Date().toISOString()),
    ]);
    await eventually(async () => t.cloud.services.ingest.stats().received - before.received >= 4);
    await t.cloud.services.ingest.idle();
    const names = (await t.cloud.services.devices.listForUser(h.user.id)).map((d) => d.name).sort();
    expect(names).toEqual(['After', 'Before']);
    const after = t.cloud.services.ingest.stats();
    expect(after.malformed - before.malformed).toBe(2);
    expect(after.failed - before.failed).toBe(0);
    await gateway.close();
  });

  it('rejects a report whose payload names another switch than its topic', async () => {
    const { h, gateway } = await onlineHousehold();
    const before = t.cloud.services.ingest.stats().rejected;
    const address = randomAddress();
    await gateway.publish(
      topicFor('deviceState', { gatewayId: h.credentials.gatewayId, address }),
      JSON.stringify({
        v: 1,
        seq: 1,
        ts: new Date().toISOString(),
        device: { address: randomAddress(), model: 'WoHand' },
        online: true,
      }),
    );
    await eventually(async () => t.cloud.services.ingest.stats().rejected > before);
    await t.cloud.services.ingest.idle();
    expect(await t.cloud.services.devices.listForUser(h.user.id)).toEqual([]);
    await gateway.close();
  });

  it('ignores a report that is not newer than the last one applied for that switch', async () => {
    const { h, gateway } = await onlineHousehold();
    const address = randomAddress();
    const topic = topicFor('deviceState', { gatewayId: h.credentials.gatewayId, address });
    const report = (seq: number, on: boolean) =>
      JSON.stringify({
        v: 1,
        seq,
        ts: new Date().toISOString(),
        device: { address, model: 'WoHand', name: 'Seq' },
        online: true,
        state: { on },
      });
    await gateway.publish(topic, report(10, true));
    await deviceNamed(h.user.id, 'Seq');
    const staleBefore = t.cloud.services.ingest.stats().stale;
    await gateway.publish(topic, report(9, false));
    await eventually(async () => t.cloud.services.ingest.stats().stale > staleBefore);
    const [device] = await t.cloud.services.devices.listForUser(h.user.id);
    expect(device?.state).toEqual({ on: true });
    await gateway.close();
  });

  it('marks a gateway online when it announces itself and offline through its last will', async () => {
    const h = await household(t.cloud);
    const gateway = await connectGateway(t.cloud, h.credentials);
    await gateway.announce();
    await eventually(async () => (await t.cloud.services.gateways.get(h.credentials.gatewayId))?.online);
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand', name: 'Behind the gateway' });
    await deviceNamed(h.user.id, 'Behind the gateway');

    await gateway.drop();
    await eventually(async () => (await t.cloud.services.gateways.get(h.credentials.gatewayId))?.online === false);
    const [device] = await t.cloud.services.devices.listForUser(h.user.id);
    // The switch was heard, but its only way in is gone, so it is not reachable.
    expect(device?.online).toBe(false);
  });

  it('keeps a switch that the gateway reports as lost, offline and with its last sighting', async () => {
    const { h, gateway } = await onlineHousehold();
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand', name: 'Flaky' }, { state: { on: true } });
    const seen = await deviceNamed(h.user.id, 'Flaky');
    await gateway.report({ address, model: 'WoHand' }, { online: false });
    const lost = await eventually(async () =>
      (await t.cloud.services.devices.listForUser(h.user.id)).find((d) => !d.online),
    );
    expect(lost).toMatchObject({ name: 'Flaky', state: { on: true }, lastSeen: seen.lastSeen });
    await gateway.close();
  });

  it('applies a burst of reports from many switches, every one of them', async () => {
    const { h, gateway } = await onlineHousehold();
    const before = t.cloud.services.ingest.stats().deviceStates;
    const addresses = Array.from({ length: 200 }, () => randomAddress());
    await inWindow(
      addresses.map(
        (address, i) => () =>
          gateway.report({ address, model: 'WoHand' }, { state: { on: i % 2 === 0 }, battery: i % 101 }),
      ),
      20,
    );
    const devices = await eventually(async () => {
      const list = await t.cloud.services.devices.listForUser(h.user.id);
      return list.length === addresses.length ? list : null;
    });
    expect(devices.filter((d) => d.state?.on).length).toBe(100);
    // The last batch is visible in the database a moment before its write returns and is counted.
    await t.cloud.services.ingest.idle();
    expect(t.cloud.services.ingest.stats().deviceStates - before).toBe(200);
    await gateway.close();
  });

  it('writes a burst of reports in batches, not one statement per report', async () => {
    const { gateway } = await onlineHousehold();
    const before = t.cloud.services.ingest.stats();
    const addresses = Array.from({ length: 20 }, () => randomAddress());
    const reports = Array.from(
      { length: 600 },
      (_, i) => () => gateway.report({ address: addresses[i % 20]!, model: 'WoHand' }, { state: { on: i % 2 === 0 } }),
    );
    await inWindow(reports, 50);
    await eventually(async () => t.cloud.services.ingest.stats().deviceStates - before.deviceStates >= 600);
    await t.cloud.services.ingest.idle();
    const after = t.cloud.services.ingest.stats();
    expect(after.deviceStates - before.deviceStates).toBe(600);
    expect(after.reportBatches - before.reportBatches).toBeLessThan(600 / 10);
    await gateway.close();
  });

  it('announces every switch a burst moved on the event bus, in events the bus decodes whole', async () => {
    const { h, gateway } = await onlineHousehold();
    const heard = new Map<string, StateEvent>();
    const stop = t.cloud.events.subscribe((event) => {
      if (event.type === 'state' && event.homeId === h.home.id) heard.set(event.deviceId, event);
    });
    try {
      // More switches than one notification carries, so the statement sends several.
      const addresses = Array.from({ length: 130 }, () => randomAddress());
      await inWindow(
        addresses.map(
          (address, i) => () =>
            gateway.report(
              { address, model: 'WoHand' },
              { state: { on: i % 3 === 0 }, battery: i % 101, rssi: -40 - (i % 50) },
            ),
        ),
        25,
      );
      await eventually(async () => heard.size === addresses.length);
      const devices = await t.cloud.services.devices.listForUser(h.user.id);
      for (const device of devices) {
        const event = heard.get(device.id);
        expect(event).toMatchObject({ online: true, state: device.state, battery: device.battery, rssi: device.rssi });
        expect(event?.version).toBeGreaterThanOrEqual(1);
      }
    } finally {
      stop();
      await gateway.close();
    }
  });

  it('keeps the newest of many reports for one switch', async () => {
    const { h, gateway } = await onlineHousehold();
    const { ingest } = t.cloud.services;
    const received = ingest.stats().received;
    const address = randomAddress();
    await inWindow(
      Array.from(
        { length: 50 },
        (_, i) => () => gateway.report({ address, model: 'WoHand', name: 'Busy' }, { battery: i + 1 }),
      ),
      10,
    );
    await eventually(async () => ingest.stats().received - received >= 50);
    await ingest.idle();
    const devices = await t.cloud.services.devices.listForUser(h.user.id);
    expect(devices.map((d) => [d.name, d.battery])).toEqual([['Busy', 50]]);
    await gateway.close();
  });
});
