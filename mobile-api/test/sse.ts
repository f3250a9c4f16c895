/** A live event stream read over real HTTP, as an app's EventSource would. */
import { randomUUID } from 'node:crypto';
import type { StateEvent } from '@switchfleet/cloud';
import { expect } from 'vitest';
import { bearer } from './support.ts';

export interface Sse {
  events: { event: string; data: Record<string, unknown> }[];
  /** True once the server ended the stream. */
  readonly ended: boolean;
  close(): void;
}

/** Opens `GET <path>` (the household's stream unless told) on the API at `base`; parses events as they arrive. */
export async function openStream(base: string, token: string, path = '/v1/events'): Promise<Sse> {
  const abort = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: bearer(token), signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const events: Sse['events'] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  void (async () => {
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
      ended = true;
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    get ended() {
      return ended;
    },
    close: () => abort.abort(),
  };
}

/** A state event as the cloud publishes it, for a device of `homeId`. */
export function stateEvent(homeId: string, on: boolean): StateEvent {
  return {
    type: 'state',
    deviceId: randomUUID(),
    homeId,
    online: true,
    state: { on },
    battery: 90,
    rssi: -60,
    version: 1,
  };
}
