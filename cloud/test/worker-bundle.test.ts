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
      const { stack, ...rest } = seen;
      // Frames name the bundle briefly, not by its data: URL (the whole bundle, base64, per frame).
      expect(stack).toContain('worker-bundle:bundle-entry.mjs');
      expect(stack).not.toContain('data:');
      expect(rest).toEqual({
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
