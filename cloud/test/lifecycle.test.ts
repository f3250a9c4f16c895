import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createCloud } from '../src/cloud.ts';
import { connectGateway, household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

it('keeps its PGlite files across a restart, releases everything on close (twice is fine), and forgets stale presence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-cloud-'));
  dirs.push(dir);
  const first = await createCloud({ dataDir: join(dir, 'db'), mqttPort: 0 });
  const { user, credentials } = await household(first);
  const gateway = await connectGateway(first, credentials);
  await gateway.announce();
  await eventually(async () => (await first.services.gateways.get(credentials.gatewayId))?.online);
  const port = first.broker.port!;
  await gateway.close();

  await Promise.all([first.close(), first.close()]);
  await first.close();
  expect(await refusesConnections(port)).toBe(true);
  expect(await first.database.ping()).toBe(false);

  // The gateway left while it was recorded online (a clean disconnect sends no will); a new embedded
  // broker has no connections, so the restart must not report it online.
  const second = await createCloud({ dataDir: join(dir, 'db'), mqttPort: 0 });
  try {
    expect(await second.services.accounts.findByEmail(user.email)).toEqual(user);
    expect((await second.services.gateways.get(credentials.gatewayId))?.online).toBe(false);
    expect(await second.services.gateways.verifySecret(credentials.gatewayId, credentials.secret)).toBe(true);
  } finally {
    await second.close();
  }
  // Two file-backed PGlite boots, each applying every migration: ~7 s alone, far more on a busy machine.
}, 90_000);
