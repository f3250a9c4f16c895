import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { topicFor } from '@switchfleet/protocol';
import { workerBundle } from '../src/worker-bundle.ts';

const ENTRY = new URL('./fixtures/bundle-entry.ts', import.meta.url);

describe('a worker thread bundle', () => {
  it('is held in memory as a data: URL, so nothing is written under node_modules', async () => {
    const bundle = await workerBundle(ENTRY);
    expect(bundle.protocol).toBe('data:');
    expect(await workerBundle(ENTRY)).toBe(bundle);
  });

  it('runs in a plain worker with its npm imports, its workspace imports and the files beside its sources', async () => {
    const worker = new Worker(await workerBundle(ENTRY));
    try {
      const [seen] = (await once(worker, 'message')) as [Record<string, string>];
      expect(seen).toEqual({
        url: ENTRY.href,
        beside: 'found beside the entry',
        npm: 'function',
        workspace: topicFor('deviceState', { gatewayId: 'gw-1', address: 'aabbccddeeff' }),
      });
    } finally {
      await worker.terminate();
    }
  });
});
