import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { devices, deviceState } from '../src/db/schema.ts';
import { writeDeviceReports, type ReportRow } from '../src/ingest/sql.ts';
import { household, randomAddress, useTestCloud, type Household } from '@switchfleet/testkit/cloud';

const t = useTestCloud();
let h: Household;
beforeAll(async () => {
  h = await household(t.cloud);
});

const base = Date.now() - 60_000;
function report(address: string, seq: number, on: boolean): ReportRow {
  return {
    gateway_id: h.credentials.gatewayId,
    seq,
    address,
    model: 'WoHand',
    name: null,
    firmware_version: null,
    hardware_id: null,
    serial: null,
    online: true,
    on,
    battery: 90,
    rssi: -60,
    seen_at: new Date(base + seq).toISOString(),
  };
}

/** The switch's history (relay states, oldest first) as the app reads it, and its shadow's reported side. */
async function history(address: string) {
  const [shadow] = await t.cloud.db
    .select({ id: devices.id, on: deviceState.on, version: deviceState.version })
    .from(devices)
    .innerJoin(deviceState, eq(deviceState.deviceId, devices.id))
    .where(eq(devices.address, address));
  const entries = await t.cloud.services.devices.historyForUser(
    h.user.id,
    shadow!.id,
    new Date(base - 1000),
    new Date(),
  );
  return { shadow: shadow!, states: entries!.map((e) => e.state?.on) };
}

describe('a batch that carries reports already stored (the gateway outbox delivered them again)', () => {
  it('stores the new reports of that batch once each, the old ones not again, and moves the shadow to the newest', async () => {
    const address = randomAddress();
    const first = await writeDeviceReports(t.cloud.db, [report(address, 1, true), report(address, 2, false)]);
    expect(first.stored.get(address)).toBe(2);

    const again = await writeDeviceReports(t.cloud.db, [
      report(address, 2, false),
      report(address, 3, true),
      report(address, 4, false),
    ]);
    expect(again.registered.has(address)).toBe(true);
    expect(again.stored.get(address)).toBe(2);
    expect(again.moved.has(address)).toBe(true);
    const { shadow, states } = await history(address);
    expect(states).toEqual([true, false, true, false]);
    expect(shadow.on).toBe(false);
  });

  it('stores nothing and leaves the shadow as it is when every report of the batch was stored before', async () => {
    const address = randomAddress();
    await writeDeviceReports(t.cloud.db, [report(address, 1, true), report(address, 2, false)]);
    const before = await history(address);

    const again = await writeDeviceReports(t.cloud.db, [report(address, 1, true), report(address, 2, false)]);
    expect(again.stored.size).toBe(0);
    expect(again.moved.size).toBe(0);
    const after = await history(address);
    expect(after.states).toEqual([true, false]);
    expect(after.shadow.version).toBe(before.shadow.version);
  });

  it('stores a report that appears twice in one batch once', async () => {
    const address = randomAddress();
    const outcome = await writeDeviceReports(t.cloud.db, [
      report(address, 1, true),
      report(address, 1, true),
      report(address, 2, false),
    ]);
    expect(outcome.stored.get(address)).toBe(2);
    expect((await history(address)).states).toEqual([true, false]);
  });
});

describe('a batch of reports none of which was stored before', () => {
  it('stores every one and moves the shadow to the newest, whatever order they arrived in', async () => {
    const address = randomAddress();
    const outcome = await writeDeviceReports(t.cloud.db, [
      report(address, 3, false),
      report(address, 1, true),
      report(address, 2, true),
    ]);
    expect(outcome.stored.get(address)).toBe(3);
    expect(outcome.moved.has(address)).toBe(true);
    const { shadow, states } = await history(address);
    expect(states).toEqual([true, true, false]);
    expect(shadow.on).toBe(false);
  });

  it('stores a batch older than the shadow without moving it', async () => {
    const address = randomAddress();
    await writeDeviceReports(t.cloud.db, [report(address, 10, true)]);
    const outcome = await writeDeviceReports(t.cloud.db, [report(address, 4, false), report(address, 5, false)]);
    expect(outcome.stored.get(address)).toBe(2);
    expect(outcome.moved.has(address)).toBe(false);
    const { shadow, states } = await history(address);
    expect(states).toEqual([false, false, true]);
    expect(shadow.on).toBe(true);
  });
});
