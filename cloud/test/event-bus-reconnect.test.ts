/**
 * The event bus listens on a PostgreSQL session of its own. A server restart, a failover or a cut
 * connection ends that session; the bus listens again on a new one and says that events may have
 * gone by unheard meanwhile. Cutting sessions needs a server: this runs where DATABASE_URL is set
 * (.ci/run sets it); PGlite lives in this process.
 */
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import type { CloudEvent } from '../src/events/bus.ts';
import { cutListeningSessions } from '@switchfleet/testkit/database';
import { gatewayWithSwitch, household, useTestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const databaseUrl = parseConfig().databaseUrl;
const t = useTestCloud({}, { when: databaseUrl });

const event = (commandId: string): CloudEvent => ({
  type: 'command',
  commandId,
  deviceId: '00000000-0000-4000-8000-000000000001',
  homeId: '00000000-0000-4000-8000-000000000002',
  status: 'succeeded',
  reason: null,
});

it.runIf(databaseUrl)(
  'hears events again after its listening session is cut, and tells its followers some may have been missed',
  async () => {
    const bus = t.cloud.events;
    const heard: string[] = [];
    let gaps = 0;
    const unsubscribe = bus.subscribe((e) => e.type === 'command' && heard.push(e.commandId));
    const stopGaps = bus.onGap(() => (gaps += 1));
    try {
      await bus.publish([event('before')]);
      await eventually(async () => heard.includes('before'));

      expect(await cutListeningSessions(t.cloud.database)).toBeGreaterThan(0);
      await eventually(async () => gaps === 1);
      await bus.publish([event('after')]);
      await eventually(async () => heard.includes('after'));
      expect(gaps).toBe(1);
    } finally {
      unsubscribe();
      stopGaps();
    }
  },
);

it.runIf(databaseUrl)(
  "ends a wait for a command whose outcome went by unheard as soon as it listens again, not at the wait's timeout",
  async () => {
    const h = await household(t.cloud);
    const { gateway, deviceId } = await gatewayWithSwitch(t.cloud, h);
    try {
      const command = await t.cloud.services.commands.create(h.user.id, deviceId, 'on');
      const waited = t.cloud.services.commands.waitForTerminal(command.id, 60_000);
      // The outcome is stored with no notification, as one sent while the bus was not listening.
      await t.cloud.db.execute(
        sql`update commands set status = 'succeeded', completed_at = now() where id = ${command.id}`,
      );
      expect(await cutListeningSessions(t.cloud.database)).toBeGreaterThan(0);
      expect(await waited).toMatchObject({ id: command.id, status: 'succeeded' });
    } finally {
      await gateway.close();
    }
  },
  20_000,
);
