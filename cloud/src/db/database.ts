/**
 * The Database port. Services see only `Db`, a drizzle instance over the shared schema; which driver
 * sits under it (PGlite in-process, or node-postgres against a server) is decided at the edge by
 * `openDatabase`.
 */
import type { MessagePort } from 'node:worker_threads';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Schema } from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** True when a trivial query round-trips. Never throws. */
  ping(): Promise<boolean>;
  /**
   * LISTEN on a channel (PostgreSQL NOTIFY, delivered to every process on the same database, the
   * sender included); resolves with the stop function. A listening session that is lost (a server
   * restart) is opened again; `onGap` is then called, as notifications sent meanwhile were missed.
   */
  listen(channel: string, onPayload: (payload: string) => void, onGap?: () => void): Promise<() => Promise<void>>;
  /**
   * What another thread of this process needs to reach this database (`openShared` in shared.ts):
   * the server's URL, or a port to the PGlite thread. Each call hands out a new one.
   */
  share(): Promise<SharedDatabase>;
  /**
   * Holds `name` for as long as this process wants it, against every other holder on the same
   * database; resolves with the release function, or null while another holder has it. A holder
   * that dies lets go by itself. A holder whose database session is lost takes the name again; if
   * another holder took it meanwhile, `onLost` is called and the name is no longer held.
   */
  claim(name: string, onLost?: () => void): Promise<(() => Promise<void>) | null>;
  /** Releases the PGlite instance or the pool. Idempotent. */
  close(): Promise<void>;
}

/** Structured-clonable; a PGlite port goes in the transfer list of the message that carries it. */
export type SharedDatabase = { kind: 'postgres'; url: string } | { kind: 'pglite'; port: MessagePort };

/** Rows of a raw `db.execute(sql...)`: both drivers answer an object with a `rows` array. */
export function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
