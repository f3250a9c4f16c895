/**
 * A PostgreSQL session that is opened again when it is lost. Some state lives in a session and dies
 * with it (LISTEN, session advisory locks); when the server restarts or fails over, or the
 * connection is cut, node-postgres only reports the end. Used by listen.ts and claim.ts.
 */
import pg from 'pg';

/** Pause before opening again, doubled per failed attempt up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

export interface KeptSession {
  /** A new session set up as it must be, or null when the server refuses it for good (another holder). */
  open(): Promise<pg.Client | null>;
  /** A lost session was opened again. */
  reopened(): void;
  /** A lost session could not be opened again: `open` answered null. Nothing is kept from then on. */
  refused(): void;
}

/** A client whose "end" is handled by its owner: a lost connection emits "error", then "end". */
export function sessionClient(url: string): pg.Client {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  return client;
}

/**
 * Opens the session and keeps it; resolves with the function that ends it, or null when the first
 * `open` answered null. A first `open` that fails rejects; later ones are tried again with backoff.
 */
export async function keepSession(session: KeptSession): Promise<(() => Promise<void>) | null> {
  let ended = false;
  let retry: NodeJS.Timeout | undefined;
  let client: pg.Client | undefined;

  const hold = (c: pg.Client) => {
    client = c;
    c.once('end', () => {
      if (client === c && !ended) again(RETRY_FIRST_MS);
    });
  };
  const again = (delay: number) => {
    client = undefined;
    retry = setTimeout(() => {
      session.open().then(
        async (c) => {
          if (ended) return void (await c?.end().catch(() => {}));
          if (!c) return session.refused();
          hold(c);
          session.reopened();
        },
        () => {
          if (!ended) again(Math.min(delay * 2, RETRY_MAX_MS));
        },
      );
    }, delay);
  };

  const first = await session.open();
  if (!first) return null;
  hold(first);
  return async () => {
    ended = true;
    clearTimeout(retry);
    const c = client;
    client = undefined;
    await c?.end().catch(() => {});
  };
}
