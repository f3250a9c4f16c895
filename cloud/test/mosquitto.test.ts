/**
 * The cloud against a real external mosquitto (MQTT_URL), with per-gateway credentials and the ACL
 * generated from the topic map, and two cloud instances sharing one database and one broker.
 * The database is real PostgreSQL when DATABASE_URL is set, otherwise one in-process PGlite that
 * both instances share; the assertions are the same either way.
 */
import { topicFor, encodePayload } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Cloud } from '../src/cloud.ts';
import { rowsOf } from '../src/db/database.ts';
import { schedules } from '../src/db/schema.ts';
import { household, randomAddress } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { useTwoInstances } from '@switchfleet/testkit/two-instances';

const rig = useTwoInstances({ scheduleTickMs: 50 });

async function gatewayFor(cloud: Cloud) {
  const h = await household(cloud);
  const gateway = await rig.broker.connectGateway(h.credentials);
  await gateway.subscribeCommands();
  await gateway.announce();
  await eventually(async () => (await cloud.services.gateways.get(h.credentials.gatewayId))?.online);
  return { h, gateway };
}

describe('mosquitto with per-gateway credentials and the generated ACL', () => {
  it('refuses a gateway with a wrong password', async () => {
    const { h, gateway } = await gatewayFor(rig.one);
    await expect(
      MqttGateway.connect({
        url: rig.broker.url,
        gatewayId: h.credentials.gatewayId,
        secret: 'wrong',
        clientId: 'intruder',
      }),
    ).rejects.toThrow();
    await gateway.close();
  });

  it('keeps a gateway to its own prefix: it neither receives the commands of another gateway nor reports for it', async () => {
    const a = await gatewayFor(rig.one);
    const b = await gatewayFor(rig.one);
    const address = randomAddress();
    await b.gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
    const device = await eventually(async () => (await rig.one.services.devices.listForUser(b.h.user.id))[0]);

    await a.gateway.client
      .subscribeAsync(topicFor('command', { gatewayId: b.h.credentials.gatewayId, address }), { qos: 1 })
      .catch(() => undefined);
    const forged = encodePayload('deviceState', {
      v: 1,
      seq: 99,
      ts: new Date().toISOString(),
      device: { address, model: 'WoHand', name: 'Forged' },
      online: true,
    });
    await a.gateway
      .publish(topicFor('deviceState', { gatewayId: b.h.credentials.gatewayId, address }), forged)
      .catch(() => undefined);

    const command = await rig.one.services.commands.create(b.h.user.id, device.id, 'on');
    await b.gateway.nextCommand((c) => c.request.commandId === command.id);
    expect(a.gateway.commands).toEqual([]);
    expect((await rig.one.services.devices.getForUser(b.h.user.id, device.id))?.name).not.toBe('Forged');
    await a.gateway.close();
    await b.gateway.close();
  });
});

describe('two cloud instances on one database and one broker', () => {
  it('store each state report once, whichever instance receives it', async () => {
    const { h, gateway } = await gatewayFor(rig.one);
    const address = randomAddress();
    const before = rig.one.services.ingest.stats().deviceStates + rig.two.services.ingest.stats().deviceStates;
    const duplicatesBefore = rig.one.services.ingest.stats().duplicates + rig.two.services.ingest.stats().duplicates;
    for (let i = 0; i < 40; i++)
      await gateway.report({ address, model: 'WoHand' }, { state: { on: i % 2 === 0 }, battery: 50 + i });
    await eventually(
      async () =>
        rig.one.services.ingest.stats().deviceStates + rig.two.services.ingest.stats().deviceStates - before >= 40,
    );
    await rig.one.services.ingest.idle();
    await rig.two.services.ingest.idle();
    const device = (await rig.one.services.devices.listForUser(h.user.id))[0]!;
    const history = await rig.one.services.devices.historyForUser(
      h.user.id,
      device.id,
      new Date(0),
      new Date(Date.now() + 60_000),
    );
    expect(history).toHaveLength(40);
    expect(rig.one.services.ingest.stats().deviceStates + rig.two.services.ingest.stats().deviceStates - before).toBe(
      40,
    );
    // A shared subscription hands each message to one instance: nobody saw a report twice.
    expect(rig.one.services.ingest.stats().duplicates + rig.two.services.ingest.stats().duplicates).toBe(
      duplicatesBefore,
    );
    // The newest report wins, whichever instance applied it.
    expect(device.battery).toBe(89);
    await gateway.close();
  });

  it('store every report of a burst published faster than they write, as the broker acknowledged each to the gateway', async () => {
    const { h, gateway } = await gatewayFor(rig.one);
    const addresses = Array.from({ length: 50 }, () => randomAddress());
    const burst = 3000;
    // Well past what mosquitto holds for a client by default (20 in flight, 1000 queued): the
    // instances acknowledge a report once it is stored, and drop nothing they were sent.
    await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        gateway.report({ address: addresses[i % addresses.length]!, model: 'WoHand' }, { battery: i % 100 }),
      ),
    );
    const stored = async () => {
      const result = await rig.one.database.db.execute(
        sql`select count(*)::integer as n from device_state_history where gateway_id = ${h.credentials.gatewayId}`,
      );
      return rowsOf<{ n: number }>(result)[0]!.n;
    };
    await eventually(async () => (await stored()) === burst, 20_000);
    await gateway.close();
  });

  it('dispatch each command once, and a wait on one instance ends with a result received by the other', async () => {
    const { h, gateway } = await gatewayFor(rig.two);
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
    const device = await eventually(async () => (await rig.one.services.devices.listForUser(h.user.id))[0]);
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? rig.one : rig.two).services.commands.create(h.user.id, device.id, 'press', { ttlMs: 30_000 }),
      ),
    );
    for (const c of created) await gateway.nextCommand((r) => r.request.commandId === c.id);
    // Both sweepers keep trying to dispatch pending commands; give them a few rounds to misbehave.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = gateway.commands.map((c) => c.request.commandId);
    expect(ids.sort()).toEqual(created.map((c) => c.id).sort());

    const first = created[0]!;
    const waits = [rig.one, rig.two].map((cloud) => cloud.services.commands.waitForTerminal(first.id, 10_000));
    await gateway.result(address, first.id, { status: 'succeeded' });
    for (const done of await Promise.all(waits)) expect(done?.status).toBe('succeeded');
    await gateway.close();
  });
});

describe('schedules with two cloud instances', () => {
  it('run each occurrence once: one command per occurrence, delivered once', async () => {
    const { h, gateway } = await gatewayFor(rig.one);
    const address = randomAddress();
    await gateway.report({ address, model: 'WoHand' }, { state: { on: false } });
    const device = await eventually(async () => (await rig.one.services.devices.listForUser(h.user.id))[0]);
    const db = rig.one.db;
    // Several schedules due at once, both instances polling: each occurrence must run on one of them
    // only. (A schedule runs at most once a minute, so one occurrence each is what a test can wait for.)
    const made = await db
      .insert(schedules)
      .values(
        Array.from({ length: 4 }, () => ({
          deviceId: device.id,
          cron: '* * * * *',
          timeZone: 'Europe/Paris',
          action: 'press' as const,
          nextRunAt: new Date(),
          createdBy: h.user.id,
        })),
      )
      .returning({ id: schedules.id });
    const ids = made.map((m) => m.id);
    const runs = () => db.query.scheduleRuns.findMany({ where: (r, { inArray }) => inArray(r.scheduleId, ids) });
    await eventually(async () => (await runs()).length >= ids.length, 15_000);
    await new Promise((settle) => setTimeout(settle, 1500));

    const scheduled = await db.query.commands.findMany({
      where: (c, { and, eq }) => and(eq(c.deviceId, device.id), eq(c.source, 'schedule')),
    });
    const occurrences = await runs();
    expect(scheduled).toHaveLength(ids.length);
    expect(occurrences).toHaveLength(ids.length);
    expect(new Set(occurrences.map((o) => o.scheduleId)).size).toBe(ids.length);
    for (const c of scheduled) await gateway.nextCommand((r) => r.request.commandId === c.id);
    const delivered = gateway.commands.filter((r) => scheduled.some((c) => c.id === r.request.commandId));
    expect(delivered).toHaveLength(scheduled.length);
    await gateway.close();
  });
});
