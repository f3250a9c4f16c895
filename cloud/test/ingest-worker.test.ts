import { describe, expect, it } from 'vitest';
import { connectGateway, household, randomAddress, useTestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const t = useTestCloud();

describe('the ingest worker thread', () => {
  it('is started again after it dies, and stores the reports that come after', async () => {
    const { ingest, health } = t.cloud.services;
    const h = await household(t.cloud);
    const gateway = await connectGateway(t.cloud, h.credentials);
    await gateway.announce();
    const first = randomAddress();
    await gateway.report({ address: first, model: 'WoHand', name: 'Before' }, { state: { on: true } });
    await eventually(async () => (await t.cloud.services.devices.listForUser(h.user.id)).length === 1);

    await ingest.interrupt();
    expect(ingest.up).toBe(false);
    // Nothing is left to wait for in a worker that is gone.
    await expect(ingest.idle()).resolves.toBeUndefined();
    expect((await health.check()).broker).toBe('down');

    await eventually(async () => ingest.up);
    await gateway.report({ address: randomAddress(), model: 'WoHand', name: 'After' }, { state: { on: false } });
    const names = await eventually(async () => {
      const devices = await t.cloud.services.devices.listForUser(h.user.id);
      return devices.length === 2 && devices.map((d) => d.name).sort();
    });
    expect(names).toEqual(['After', 'Before']);
    await gateway.close();
  });
});
