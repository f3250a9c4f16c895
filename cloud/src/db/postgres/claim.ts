/**
 * A name held against every other holder on one PostgreSQL database: a session advisory lock on a
 * connection of its own. The server lets go of it with the session, so a holder that crashes frees
 * the name without anyone cleaning up; but so does a holder whose connection is merely cut (a server
 * restart, a failover), and then another process could take the name while this one still uses it.
 * So a lost session takes the lock again on a new one; if another holder got there first, `onLost`
 * says so, once.
 */
import { keepSession, sessionClient } from './kept-session.ts';

export interface KeptClaim {
  url: string;
  name: string;
  /** Another holder took the name while this one's session was lost: it is no longer held. */
  onLost(): void;
}

/** Resolves with the release function, or null when another holder has the name now. */
export function claimKept(options: KeptClaim): Promise<(() => Promise<void>) | null> {
  return keepSession({
    async open() {
      const client = sessionClient(options.url);
      try {
        await client.connect();
        const { rows } = await client.query<{ held: boolean }>(
          'select pg_try_advisory_lock(hashtextextended($1, 0)) as held',
          [`switchfleet:${options.name}`],
        );
        if (rows[0]?.held) return client;
      } catch (e) {
        await client.end().catch(() => {});
        // A server that is down or restarting: nobody else can take the name from it meanwhile.
        throw e;
      }
      await client.end().catch(() => {});
      return null;
    },
    reopened: () => {},
    refused: options.onLost,
  });
}
