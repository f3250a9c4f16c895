/**
 * A name held against every other holder on one PostgreSQL database: a session advisory lock on a
 * connection of its own. The server lets go of it with the session, so a holder that crashes frees
 * the name without anyone cleaning up; but so does a holder whose connection is merely cut (a server
 * restart, a failover), and then another process could take the name while this one still uses it.
 * So a lost session takes the lock again on a new one; if another holder got there first, `onLost`
 * says so, once.
 */
import pg from 'pg';

/** Pause before claiming again, doubled per failed attempt up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

export interface KeptClaim {
  url: string;
  name: string;
  /** Another holder took the name while this one's session was lost: it is no longer held. */
  onLost(): void;
}

/** A fresh session that holds the lock, 'taken' when another holder has it; throws when it cannot connect. */
async function tryClaim(url: string, name: string): Promise<pg.Client | 'taken'> {
  const client = new pg.Client({ connectionString: url });
  // A lost connection emits "error" and then "end"; "end" is where it is handled.
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ held: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as held', [`switchfleet:${name}`]);
    if (rows[0]?.held) return client;
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
  await client.end().catch(() => {});
  return 'taken';
}

/** Resolves with the release function, or null when another holder has the name now. */
export async function claimKept(options: KeptClaim): Promise<(() => Promise<void>) | null> {
  let released = false;
  let retry: NodeJS.Timeout | undefined;
  let client: pg.Client | undefined;

  const hold = (c: pg.Client) => {
    client = c;
    c.once('end', () => {
      if (client === c && !released) again(RETRY_FIRST_MS);
    });
  };
  const again = (delay: number) => {
    client = undefined;
    retry = setTimeout(() => {
      tryClaim(options.url, options.name).then(
        async (c) => {
          if (c === 'taken') return void (released || options.onLost());
          if (released) return void (await c.end().catch(() => {}));
          hold(c);
        },
        // The server is not back yet: nobody else can take the name from a server that is down.
        () => {
          if (!released) again(Math.min(delay * 2, RETRY_MAX_MS));
        },
      );
    }, delay);
  };

  const first = await tryClaim(options.url, options.name);
  if (first === 'taken') return null;
  hold(first);
  return async () => {
    released = true;
    clearTimeout(retry);
    const c = client;
    client = undefined;
    await c?.end().catch(() => {});
  };
}
