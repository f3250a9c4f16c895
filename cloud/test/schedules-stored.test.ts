import { eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.ts';
import { schedules } from '../src/db/schema.ts';
import { MIN_SCHEDULE_INTERVAL_S } from '../src/commands/schedules.ts';
import { gatewayWithSwitch, household, useTestCloud } from '@switchfleet/testkit/cloud';

const t = useTestCloud({ scheduleTickMs: 3_600_000 });

/** A schedule row as an older version may have stored it, past the checks creation makes today. */
async function stored(cron: string, nextRunAt: Date) {
  const h = await household(t.cloud);
  const { gateway, deviceId } = await gatewayWithSwitch(t.cloud, h);
  const [row] = await t.cloud.db
    .insert(schedules)
    .values({ deviceId, cron, timeZone: 'UTC', action: 'press', nextRunAt, createdBy: h.user.id })
    .returning();
  return { id: row!.id, deviceId, gateway };
}

const commandsOf = async (deviceId: string) =>
  rowsOf<{ n: number }>(
    await t.cloud.db.execute(
      sql`select count(*)::integer as n from commands where device_id = ${deviceId} and source = 'schedule'`,
    ),
  )[0]!.n;

it('holds a stored every-second schedule to one run a minute', async () => {
  const start = new Date(Date.now() - 1000);
  const s = await stored('* * * * * *', start);
  let now = start.getTime();
  for (let i = 0; i < 30; i++, now += 1000) await t.cloud.services.schedules.runDue(new Date(now));
  expect(await commandsOf(s.deviceId)).toBe(1);
  const [row] = await t.cloud.db.select().from(schedules).where(eq(schedules.id, s.id));
  expect(row!.nextRunAt.getTime() - start.getTime()).toBeGreaterThanOrEqual(MIN_SCHEDULE_INTERVAL_S * 1000);
  await s.gateway.close();
});

it('switches off a stored schedule it cannot read, and still runs the others due with it', async () => {
  const due = new Date(Date.now() - 1000);
  const broken = await stored('not a cron', due);
  const good = await stored('* * * * *', due);
  await t.cloud.services.schedules.runDue(new Date());
  expect(await commandsOf(good.deviceId)).toBe(1);
  const [row] = await t.cloud.db.select().from(schedules).where(eq(schedules.id, broken.id));
  expect(row!.enabled).toBe(false);
  expect(await commandsOf(broken.deviceId)).toBe(0);
  await broken.gateway.close();
  await good.gateway.close();
});
