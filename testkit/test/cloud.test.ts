import { describe, expect, it } from 'vitest';
import { household, useTestCloud } from '../src/cloud.ts';

describe('useTestCloud', () => {
  const t = useTestCloud();

  it('has the cloud running inside the tests of the file that asked for it', async () => {
    const h = await household(t.cloud);
    expect(await t.cloud.services.homes.homesForUser(h.user.id)).toHaveLength(1);
  });
});

describe('useTestCloud when the file cannot run', () => {
  const t = useTestCloud({}, { when: false });

  it('starts no cloud, and says so when one is read', () => {
    expect(() => t.cloud).toThrow(/not started/);
  });
});
