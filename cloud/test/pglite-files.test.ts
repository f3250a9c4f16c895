import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openPglite } from '../src/db/pglite.ts';
import { AccountService } from '../src/services/accounts.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

it('keeps data in its directory across restarts, applying the migrations only once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-pglite-'));
  dirs.push(dir);
  const first = await openPglite({ dataDir: join(dir, 'db') });
  const user = await new AccountService(first.db).register('persist@example.test', 'long enough secret');
  await first.close();
  await first.close();

  const second = await openPglite({ dataDir: join(dir, 'db') });
  try {
    expect(await second.ping()).toBe(true);
    expect(await new AccountService(second.db).findByEmail('persist@example.test')).toEqual(user);
  } finally {
    await second.close();
  }
  expect(await second.ping()).toBe(false);
});
