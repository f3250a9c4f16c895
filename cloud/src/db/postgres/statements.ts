/**
 * A node-postgres client that keeps its statements prepared, by SQL text, as pgx and postgres.js do.
 * node-postgres prepares only statements given a name, so every other query is parsed, analysed and
 * planned by the server each time; for the ingest statement that is a large share of its run. Each
 * parameterized query gets a name derived from its text: node-postgres then sends Parse once per
 * connection and Bind/Execute afterwards, and the server's plan cache keeps the plan (PostgreSQL docs,
 * PREPARE, "Notes").
 *
 * Queries without parameters stay on the simple query protocol: they may hold several statements
 * (migrations), which a prepared statement cannot.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { MAX_PREPARED, PLAN_CHANGED } from '../prepared.mjs';

/** Statement names by text, shared by the clients of one pool; texts that must not be named map to null. */
export class StatementNames {
  readonly #names = new Map<string, string | null>();

  nameFor(text: string): string | undefined {
    let name = this.#names.get(text);
    if (name === undefined) {
      if (this.#names.size >= MAX_PREPARED) return undefined;
      name = `sf_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      this.#names.set(text, name);
    }
    return name ?? undefined;
  }

  /** A text whose prepared statement went stale runs unnamed from now on. */
  unname(text: string): void {
    this.#names.set(text, null);
  }
}

interface QueryConfigLike {
  text: string;
  name?: string;
  values?: unknown[];
  submit?: unknown;
}

type Callback = (err: Error | null, result?: unknown) => void;

/** A pg.Client class whose parameterized queries are named by their text. */
export function namingClient(names: StatementNames): typeof pg.Client {
  class NamingClient extends pg.Client {
    // node-postgres's query() has many overloads (the pool calls it with a callback); this one
    // names a query given as a config object with parameters and forwards every other call as it is.
    override query(config: unknown, values?: unknown, callback?: unknown): never {
      const forward = (...args: unknown[]) => (super.query as (...a: unknown[]) => never)(...args);
      const query = config as QueryConfigLike;
      const params = Array.isArray(values) ? values : query?.values;
      const named =
        typeof config === 'object' &&
        config !== null &&
        typeof query.text === 'string' &&
        query.name === undefined &&
        query.submit === undefined &&
        typeof values !== 'function' &&
        params !== undefined &&
        params.length > 0;
      const name = named ? names.nameFor(query.text) : undefined;
      if (name === undefined) return forward(config, values, callback);
      // A table the statement reads changed shape since it was prepared (another instance migrated).
      // The statement runs unnamed from then on; inside a transaction the error has aborted it, so only
      // a lone statement is run again here.
      const stale = (e: unknown) => {
        if ((e as { code?: string } | null)?.code !== PLAN_CHANGED) return false;
        names.unname(query.text);
        return this.getTransactionStatus() === 'I';
      };
      if (typeof callback === 'function') {
        const done = callback as Callback;
        return forward({ ...query, name }, values, (err: Error | null, result?: unknown) =>
          err && stale(err) ? forward(query, values, done) : done(err, result),
        );
      }
      return (forward({ ...query, name }, values) as Promise<unknown>).catch((e: unknown) => {
        if (!stale(e)) throw e;
        return forward(query, values);
      }) as never;
    }
  }
  return NamingClient;
}
