/**
 * LISTEN on a connection of its own that outlives the connection. LISTEN belongs to a session
 * (PostgreSQL docs, LISTEN): when the server restarts or fails over, or the connection is cut, the
 * session and its LISTEN are gone. Without this the cloud would go on believing it listens, and live
 * streams would stay silent until the process restarts. Notifications sent while no session
 * listened are lost; `onGap` says so once listening again.
 */
import pg from 'pg';
import { keepSession, sessionClient } from './kept-session.ts';

export interface KeptListen {
  url: string;
  channel: string;
  onPayload(payload: string): void;
  /** Listening again after the session was lost: notifications sent meanwhile were missed. */
  onGap(): void;
}

/** Resolves once listening (rejects if the first connection fails) with the function that stops. */
export async function listenKept(options: KeptListen): Promise<() => Promise<void>> {
  const stop = await keepSession({
    async open() {
      const client = sessionClient(options.url);
      client.on('notification', (n) => {
        if (n.channel === options.channel && n.payload !== undefined) options.onPayload(n.payload);
      });
      try {
        await client.connect();
        await client.query(`listen ${pg.escapeIdentifier(options.channel)}`);
        return client;
      } catch (e) {
        await client.end().catch(() => {});
        throw e;
      }
    },
    reopened: options.onGap,
    refused: () => {},
  });
  // open() never answers null here: a LISTEN has no other holder to lose to.
  return stop!;
}
