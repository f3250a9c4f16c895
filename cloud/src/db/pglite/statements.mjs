// Prepared statements for the PGlite thread, kept by SQL text, as drivers for PostgreSQL servers keep
// them (pgx, postgres.js). PGlite's query() sends Parse for every call, so PostgreSQL parses, analyses
// and plans the statement every time: for the ingest statement that was a fifth of its run. A named
// statement is parsed once, and PostgreSQL's plan cache keeps its plan (custom plans for the first
// five runs, then a generic one unless that costs more; PostgreSQL docs, PREPARE, "Notes").
//
// It speaks the extended query protocol (PostgreSQL docs, "Message Flow", 55.2.3) through PGlite's
// execProtocolStream, under the same locks PGlite's own query() takes, and builds results with
// PGlite's own parser, so callers see what query() returns.
import { parse, protocol } from '@electric-sql/pglite';
import { bindExecuteSync } from './bind.mjs';
import { MAX_PREPARED, PLAN_CHANGED } from '../prepared.mjs';

const { serialize } = protocol;

export class StatementCache {
  /** @type {Map<string, { name: string, types: number[] }>} */
  #statements = new Map();
  #next = 1;

  constructor(db) {
    this.db = db;
  }

  /**
   * As PGlite's query(text, params, options). Outside a transaction it waits, as query() does, until
   * no transaction is open; inside one (`inTransaction`) it runs between that transaction's statements.
   */
  query(text, params, options, inTransaction) {
    const run = () => this.db.runExclusive(() => this.#runOrRetry(text, params ?? [], options, inTransaction));
    // _runExclusiveTransaction is what PGlite's query() holds so that no statement lands inside
    // someone else's transaction; runExclusive (public) is its per-statement lock.
    return inTransaction ? run() : this.db._runExclusiveTransaction(run);
  }

  async #runOrRetry(text, params, options, inTransaction) {
    try {
      return await this.#run(text, params, options, inTransaction);
    } catch (e) {
      // A table the statement reads changed shape since it was prepared: prepare it anew, once (not
      // inside a transaction, which the error has aborted).
      if (e?.code !== PLAN_CHANGED || inTransaction || !this.#statements.has(text)) throw e;
      await this.#forget(text);
      return await this.#run(text, params, options, inTransaction);
    }
  }

  async #run(text, params, options, inTransaction) {
    let statement;
    let values;
    try {
      statement = this.#statements.get(text) ?? (await this.#prepare(text));
      values = params.map((value, i) => {
        if (value === null || value === undefined) return null;
        const serializer = this.db.serializers[statement.types[i]];
        return serializer ? serializer(value) : value.toString();
      });
    } catch (e) {
      // After an error PostgreSQL skips messages until a Sync (55.2.3); a lone Sync is harmless.
      await this.#send(serialize.sync());
      throw e;
    }
    // One trip into PostgreSQL for the four messages; an error comes back after its Sync ran.
    const messages = await this.db.execProtocolStream(bindExecuteSync(statement.name, values), { syncToFs: false });
    if (!inTransaction) await this.db.syncToFs();
    return parse.parseResults(messages, this.db.parsers, options)[0];
  }

  /** Parses and describes the statement (its parameter types); it is kept only once both succeeded. */
  async #prepare(text) {
    const name = this.#statements.size < MAX_PREPARED ? `sf_${this.#next++}` : '';
    const described = await this.#send(serialize.parse({ name, text }), serialize.describe({ type: 'S', name }));
    const statement = { name, types: parse.parseDescribeStatementResults(described) };
    if (name) this.#statements.set(text, statement);
    return statement;
  }

  async #forget(text) {
    const { name } = this.#statements.get(text);
    this.#statements.delete(text);
    await this.#send(serialize.close({ type: 'S', name }), serialize.sync());
  }

  /** Sends protocol messages in one buffer; PGlite runs them in order. */
  async #send(...messages) {
    const buffer = new Uint8Array(messages.reduce((n, m) => n + m.length, 0));
    let offset = 0;
    for (const m of messages) {
      buffer.set(m, offset);
      offset += m.length;
    }
    return this.db.execProtocolStream(buffer, { syncToFs: false });
  }
}
