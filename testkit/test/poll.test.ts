import { describe, expect, it } from 'vitest';
import { eventually } from '../src/poll.ts';

describe('eventually', () => {
  it('resolves with the first value that is not undefined, null or false', async () => {
    const answers = [undefined, null, false, 0, 7];
    expect(await eventually(() => answers.shift(), { intervalMs: 1 })).toBe(0);
  });

  it('awaits an async probe', async () => {
    let calls = 0;
    expect(await eventually(async () => (++calls >= 3 ? 'ready' : undefined), { intervalMs: 1 })).toBe('ready');
    expect(calls).toBe(3);
  });

  it('times out saying what it waited for, or with the bare timeout', async () => {
    await expect(eventually(() => false, { timeoutMs: 30, what: 'the switch' })).rejects.toThrow(
      'timed out after 30 ms waiting for the switch',
    );
    await expect(eventually(() => undefined, 30)).rejects.toThrow('condition not met within 30 ms');
  });

  it('ends the wait with the error a probe throws', async () => {
    await expect(
      eventually(() => {
        throw new Error('broken probe');
      }),
    ).rejects.toThrow('broken probe');
  });
});
