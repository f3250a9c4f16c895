// The PGlite database on its own thread. PGlite runs PostgreSQL compiled to WASM synchronously: on the
// cloud's event loop every statement stalls the broker, MQTT parsing and HTTP for its whole run (a
// 500-report ingest batch is ~10 ms). Here it runs beside them, the way a PostgreSQL server runs in
// its own process. Plain JavaScript on purpose: a worker thread starts without the TypeScript loader
// the parent may run under (tsx, vitest).
//
// Messages in:  { id, op: 'query' | 'begin' | 'end' | 'listen' | 'unlisten' | 'close' | 'attach', ... }
// Messages out: { id, ok: true, result } | { id, ok: false, error } | { notify, payload } | { ready } | { failed }
// The protocol is owned by client.ts. 'attach' hands over a MessagePort that another thread
// (the ingest worker) holds: its queries and transactions are served on that port like the parent's,
// while LISTEN and close stay with the parent, which owns the database.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { StatementCache } from './statements.mjs';

const port = parentPort;
/** Open transactions by id: the function that ends each, and its end. Their statements run through `statements`. */
const transactions = new Map();
/** LISTEN registrations by channel: the function that stops each. */
const listening = new Map();
let nextTx = 1;

/** PostgreSQL error fields worth carrying across (DatabaseError of pg-protocol). */
const ERROR_FIELDS = [
  'code',
  'detail',
  'hint',
  'severity',
  'schema',
  'table',
  'column',
  'constraint',
  'position',
  'where',
  'routine',
];

function errorOf(e) {
  const out = { message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' };
  if (e && typeof e === 'object') for (const field of ERROR_FIELDS) if (e[field] !== undefined) out[field] = e[field];
  return out;
}

/** Parser sets by type list: drizzle sends the same list with every query. */
const parserSets = new Map();

/** Columns whose type has a caller-side parser come back as PostgreSQL's text, untouched. */
function textParsers(oids = []) {
  const key = oids.join(',');
  let parsers = parserSets.get(key);
  if (!parsers) {
    parsers = Object.fromEntries(oids.map((oid) => [oid, (text) => text]));
    parserSets.set(key, parsers);
  }
  return parsers;
}

function checkOpen(tx) {
  if (tx !== undefined && !transactions.has(tx)) throw new Error(`transaction ${tx} is not open`);
}

async function begin(on) {
  const tx = nextTx++;
  let end;
  const decided = new Promise((resolve) => (end = resolve));
  let opened;
  const started = new Promise((resolve) => (opened = resolve));
  const ROLLBACK = Symbol('rollback');
  const done = db
    .transaction(async () => {
      transactions.set(tx, { end, done: undefined, on });
      opened();
      if (!(await decided)) throw ROLLBACK;
    })
    .catch((e) => {
      if (e !== ROLLBACK) throw e;
    })
    .finally(() => transactions.delete(tx));
  // A transaction that fails to open (BEGIN refused) rejects `done` before `started` resolves.
  await Promise.race([started, done]);
  transactions.get(tx).done = done;
  return tx;
}

async function end(tx, commit) {
  const open = transactions.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  open.end(commit);
  await open.done;
  return null;
}

async function listen(channel) {
  if (listening.has(channel)) return null;
  const stop = await db.listen(channel, (payload) => port.postMessage({ notify: channel, payload }));
  listening.set(channel, stop);
  return null;
}

async function unlisten(channel) {
  const stop = listening.get(channel);
  listening.delete(channel);
  if (stop && !db.closed) await stop();
  return null;
}

function run(message, on, owner) {
  if (
    !owner &&
    (message.op === 'listen' || message.op === 'unlisten' || message.op === 'close' || message.op === 'attach')
  ) {
    throw new Error(`${message.op} is for the thread that opened the database`);
  }
  switch (message.op) {
    case 'query':
      checkOpen(message.tx);
      return statements.query(
        message.sql,
        message.params,
        { rowMode: message.rowMode, parsers: textParsers(message.textOids) },
        message.tx !== undefined,
      );
    case 'begin':
      return begin(on);
    case 'end':
      return end(message.tx, message.commit);
    case 'listen':
      return listen(message.channel);
    case 'unlisten':
      return unlisten(message.channel);
    case 'close':
      return db.closed ? null : db.close().then(() => null);
    case 'attach':
      serve(message.port, false);
      return null;
    default:
      throw new Error(`unknown operation ${message.op}`);
  }
}

/** Answers the requests that arrive on `on`, each on the same port. */
function serve(on, owner) {
  on.on('message', (message) => {
    Promise.resolve()
      .then(() => run(message, on, owner))
      .then(
        (result) => on.postMessage({ id: message.id, ok: true, result }),
        (e) => on.postMessage({ id: message.id, ok: false, error: errorOf(e) }),
      );
  });
  // A thread that ends with a transaction open would hold PGlite (every other statement waits for it).
  on.on('close', () => {
    for (const [tx, open] of transactions) if (open.on === on) void end(tx, false).catch(() => {});
  });
}

let db;
let statements;
try {
  db = await PGlite.create(workerData.dataDir ? { dataDir: workerData.dataDir } : {});
  statements = new StatementCache(db);
  for (const statement of workerData.setup ?? []) await db.exec(statement);
  serve(port, true);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ failed: errorOf(e) });
}
