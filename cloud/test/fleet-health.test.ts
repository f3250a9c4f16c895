/**
 * FleetHealth.sample: per kind, what a set of switches did over an interval, and nothing of
 * switches outside the set or of rows outside the interval. Rows are written as the ingest and the
 * command service leave them. On PGlite, and on the PostgreSQL of DATABASE_URL when it is set.
 */
import { randomUUID } from 'node:crypto';
import { scratchDatabase } from '@switchfleet/testkit/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, parseConfig, type Database } from '../src/index.ts';
import { schema } from '../src/db/schema.ts';
import { FleetHealth, FleetHealthError } from '../src/fleet-health/index.ts';

let database: Database;
let drop = async () => {};
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const HOUR = 60;
const [A, B, OUTSIDE] = [randomUUID(), randomUUID(), randomUUID()];
let seq = 0;

beforeAll(async () => {
  const scratch = await scratchDatabase(parseConfig().databaseUrl);
  drop = scratch.drop;
  database = await openDatabase({ databaseUrl: scratch.url });
  const db = database.db;
  const [user] = await db
    .insert(schema.users)
    .values({ email: `${randomUUID()}@example.test`, passwordHash: 'x' })
    .returning();
  const [home] = await db.insert(schema.homes).values({ name: 'h', ownerId: user!.id }).returning();
  await db.insert(schema.gateways).values({ id: 'gw-health', homeId: home!.id, secretHash: 'x' });
  await db.insert(schema.devices).values(
    [A, B, OUTSIDE].map((id, i) => ({
      id,
      gatewayId: 'gw-health',
      homeId: home!.id,
      address: `c0ffee00000${i}`,
      name: `s${i}`,
      model: 'WoHand',
    })),
  );
  await db.insert(schema.releaseImages).values({ sha256: 'ab'.repeat(32), bytes: Buffer.from('x'), size: 1 });
  const [release] = await db
    .insert(schema.releases)
    .values({ version: '1.0.0', hardwareId: 'hw', sha256: 'ab'.repeat(32), size: 1, keyId: 'k', state: 'passed' })
    .returning();

  const history = (deviceId: string, minutes: number, online: boolean) => ({
    gatewayId: 'gw-health',
    seq: ++seq,
    ts: at(minutes),
    deviceId,
    online,
  });
  await db.insert(schema.deviceStateHistory).values([
    // A: online before the interval, drops twice inside it (once with a repeated offline report),
    // and once after it: 2 disconnects, online 0..30 + 40..50 + 55..60 = 45 minutes.
    history(A, -10, true),
    history(A, 30, false),
    history(A, 35, false),
    history(A, 40, true),
    history(A, 50, false),
    history(A, 55, true),
    history(A, 70, false),
    // B: first heard inside, at 20; a drop before the interval does not count: online 20..60.
    history(B, -30, true),
    history(B, -20, false),
    history(B, 20, true),
    // Outside the set: every drop is ignored.
    history(OUTSIDE, 10, true),
    history(OUTSIDE, 11, false),
  ]);

  const command = (deviceId: string, minutes: number, status: 'succeeded' | 'failed' | 'expired', reason?: string) => ({
    deviceId,
    action: 'on',
    status,
    ...(reason ? { reason } : {}),
    expiresAt: at(minutes + 1),
    completedAt: at(minutes),
  });
  await db.insert(schema.commands).values([
    command(A, 1, 'succeeded'),
    command(A, 2, 'succeeded'),
    command(B, 59, 'succeeded'),
    command(A, 3, 'failed', 'no_effect'),
    command(B, 4, 'failed', 'device_error'),
    // Not the switch's doing: expired, refused during an update, not something it supports.
    command(A, 5, 'expired', 'timeout'),
    command(A, 6, 'failed', 'device_updating'),
    command(B, 7, 'failed', 'unsupported'),
    // Outside the interval (the end is open) or the set.
    command(A, -1, 'succeeded'),
    command(A, HOUR, 'failed', 'no_effect'),
    command(OUTSIDE, 8, 'failed', 'no_effect'),
    command(OUTSIDE, 9, 'succeeded'),
  ]);
  // Still open: not counted anywhere.
  await db.insert(schema.commands).values({ deviceId: A, action: 'on', status: 'sent', expiresAt: at(9) });

  const job = (deviceId: string, minutes: number, state: 'succeeded' | 'failed', reason?: string) => ({
    deviceId,
    releaseId: release!.id,
    sha256: 'ab'.repeat(32),
    state,
    ...(reason ? { reason } : {}),
    deadline: at(minutes + 10),
    endedAt: at(minutes),
  });
  await db
    .insert(schema.updateJobs)
    .values([
      job(A, 12, 'failed', 'reverted'),
      job(B, 13, 'succeeded'),
      job(B, 14, 'failed', 'timeout'),
      job(A, -5, 'failed', 'reverted'),
      job(OUTSIDE, 15, 'failed', 'reverted'),
    ]);
}, 60_000);

afterAll(async () => {
  await database?.close();
  await drop();
});

describe('FleetHealth.sample', () => {
  it('counts each kind over the set and the interval only', async () => {
    const sample = await new FleetHealth(database.db).sample([A, B], at(0), at(HOUR));
    expect(sample).toEqual({
      commandsOk: 3,
      commandsFailed: 2,
      disconnects: 2,
      reboots: 1,
      deviceHours: expect.closeTo((45 + 40) / 60, 9),
    });
  });

  it('gives one switch its own share, and nothing for a set or a window without rows', async () => {
    const health = new FleetHealth(database.db);
    expect(await health.sample([B, B], at(0), at(HOUR))).toEqual({
      commandsOk: 1,
      commandsFailed: 1,
      disconnects: 0,
      reboots: 0,
      deviceHours: expect.closeTo(40 / 60, 9),
    });
    expect(await health.sample([], at(0), at(HOUR))).toEqual({
      commandsOk: 0,
      commandsFailed: 0,
      disconnects: 0,
      reboots: 0,
      deviceHours: 0,
    });
    // Before anything was heard of A: nothing observed at all.
    expect((await health.sample([A], at(-60), at(-30))).deviceHours).toBe(0);
  });

  it('refuses an interval that does not move forward and an id that is no device id, as typed errors', async () => {
    const health = new FleetHealth(database.db);
    await expect(health.sample([A], at(5), at(5))).rejects.toMatchObject({ code: 'INVALID_INTERVAL' });
    const bad = await health.sample([A, 'nope'], at(0), at(5)).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(FleetHealthError);
    expect(bad).toMatchObject({ code: 'INVALID_DEVICE_ID', statusCode: 422, message: expect.stringContaining('nope') });
  });
});
