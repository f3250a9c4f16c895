/**
 * `npm start`'s household usage model (SIM_USAGE_PER_MIN) in the whole system: presses go through
 * the cloud's command service down to the simulated switches, and each outcome is recorded per
 * switch, where the fleet's health telemetry counts it. On PGlite, or the PostgreSQL of DATABASE_URL.
 */
import { FleetHealth, rowsOf } from '@switchfleet/cloud';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useSystem } from '@switchfleet/testkit/system';

const rig = useSystem({
  demoEmail: 'usage@example.test',
  demoPassword: 'correct horse battery',
  gatewayId: 'usage-gw',
  switches: 3,
  radio: { seed: 9, connectLatencyMs: 5, gattLatencyMs: 2, actuationMs: 20 },
  usagePerMinute: 60,
});

describe('the usage model in the system', () => {
  it('presses the demo home switches through the command service, each outcome recorded per switch', async () => {
    const since = new Date();
    const { system } = rig;
    interface Row {
      device_id: string;
      user_id: string;
      source: string;
      action: string;
      status: string;
      completed_at: Date | string;
    }
    const done = async () =>
      rowsOf<Row>(
        await system.cloud.db.execute(
          sql`select device_id, user_id, source, action, status, completed_at from commands
               where status not in ('pending', 'sent')`,
        ),
      );
    // Three switches at one press a second each: a dozen outcomes come within seconds of them being heard.
    await expect.poll(async () => (await done()).length, { timeout: 45_000, interval: 250 }).toBeGreaterThanOrEqual(12);
    const rows = await done();
    const devices = await system.cloud.services.devices.listForUser(system.demo.user.id);
    expect(new Set(rows.map((r) => r.device_id)).size).toBeGreaterThanOrEqual(2);
    for (const r of rows) {
      expect(devices.map((d) => d.id)).toContain(r.device_id);
      expect(r).toMatchObject({ user_id: system.demo.user.id, source: 'user', action: 'toggle' });
    }
    expect(rows.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(rows.length * 0.8);
    expect(system.usage.issued).toBeGreaterThanOrEqual(rows.length);
    expect(system.radio.switches.reduce((n, s) => n + s.state.pressCount, 0)).toBeGreaterThanOrEqual(10);

    const until = new Date(Date.now() + 1);
    const ids = devices.map((d) => d.id);
    const sample = await new FleetHealth(system.cloud.db).sample(ids, since, until);
    const inWindow = (await done()).filter((r) => {
      const at = new Date(r.completed_at);
      return r.status === 'succeeded' && at >= since && at < until;
    });
    expect(sample.commandsOk).toBe(inWindow.length);
    expect(sample.deviceHours).toBeGreaterThan(0);
  }, 60_000);
});
