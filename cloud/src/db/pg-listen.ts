/**
 * LISTEN on a connection of its own that outlives the connection. LISTEN belongs to a session
 * (PostgreSQL docs, LISTEN): when the server restarts or fails over, or the connection is cut, the
 * session and its LISTEN are gone, and node-postgres only reports the end. Without this the cloud
 * would go on believing it listens, and live streams would stay silent until the process restarts.
 * Notifications sent while no session listened are lost; `onGap` says so once listening again.
 */
import pg from 'pg';

/** Pause before listening again, doubled per failed attempt up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

export interface KeptListen {
  url: string;
  channel: string;
  onPayload(payload: string): void;
  /** Listening again after the session was lost: notifications sent meanwhile were missed. */
  onGap(): void;
}

/** Resolves once listening (rejects if the first connection fails) with the function that stops. */
export async function listenKept(options: KeptListen): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const open = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: options.url });
    // A lost connection emits "error" and then "end"; "end" is where it is handled.
    c.on('error', () => {});
    c.on('notification', (n) => {
      if (n.channel === options.channel && n.payload !== undefined) options.onPayload(n.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${pg.escapeIdentifier(options.channel)}`);
    } catch (e) {
      await c.end().catch(() => {});
      throw e;
    }
    c.once('end', () => {
      if (client === c && !stopped) again(RETRY_FIRST_MS);
    });
    return c;
  };

  const again = (delay: number) => {
    client = undefined;
    retry = setTimeout(() => {
      open().then(
        async (c) => {
          if (stopped) return void (await c.end().catch(() => {}));
          client = c;
          options.onGap();
        },
        () => {
          if (!stopped) again(Math.min(delay * 2, RETRY_MAX_MS));
        },
      );
    }, delay);
  };

  client = await open();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const c = client;
    client = undefined;
    await c?.end().catch(() => {});
  };
}
