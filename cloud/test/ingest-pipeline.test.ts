/**
 * How the ingest pipeline gathers a batch under load. Reports wait for more reports (a bigger batch
 * costs the database less per report), but a command result or a gateway status does not: someone
 * may be waiting for its outcome. The gathering here is set to a minute, so a result that waited it
 * out would fail the test by its timeout. Runs the real pipeline and statement, on PGlite.
 */
import { encodePayload, topicFor } from '@switchfleet/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open.ts';
import { IngestPipeline, type IngestSink } from '../src/ingest/pipeline.ts';
import { randomAddress } from '@switchfleet/testkit/cloud';

let database: Database;
beforeAll(async () => {
  database = await openDatabase({});
}, 60_000);
afterAll(async () => {
  await database?.close();
});

const gatewayId = 'gw-pipeline';
const address = randomAddress();
let seq = 0;
function report(): [string, Buffer] {
  seq += 1;
  const value = {
    v: 1 as const,
    seq,
    ts: new Date().toISOString(),
    device: { address, model: 'WoHand' },
    online: true,
    state: { on: seq % 2 === 0 },
  };
  return [topicFor('deviceState', { gatewayId, address }), encodePayload('deviceState', value)];
}
function result(commandId: string): [string, Buffer] {
  seq += 1;
  const value = {
    v: 1 as const,
    seq,
    ts: new Date().toISOString(),
    commandId,
    status: 'succeeded' as const,
    state: { on: true },
  };
  return [topicFor('commandResult', { gatewayId, address }), encodePayload('commandResult', value)];
}
const turn = () => new Promise((resolve) => setImmediate(resolve));

it('under load, applies a command result without waiting out the gathering, after the reports that came before it', async () => {
  const steps: string[] = [];
  let applied!: () => void;
  const resultApplied = new Promise<void>((resolve) => (applied = resolve));
  const sink: IngestSink = {
    count: (_kind, outcome, n) => {
      if (outcome === 'reportBatches') for (let i = 0; i < n; i++) steps.push('reports');
    },
    log: () => {},
    apply: async (message) => {
      steps.push(message.name);
      applied();
    },
    health: () => {},
    settled: () => {},
    handled: () => {},
    leftToBroker: () => {},
  };
  const pipeline = new IngestPipeline(database.db, sink, { lingerMs: 60_000, quietMs: 60_000 });

  pipeline.handle(...report());
  // The first report's statement is under way: a report that arrives now finds the ingest loaded,
  // and the step after it gathers.
  await turn();
  await turn();
  pipeline.handle(...report());
  pipeline.handle(...result('cmd-1'));

  await resultApplied;
  expect(steps).toEqual(['reports', 'reports', 'commandResult']);
  await pipeline.stop();
}, 30_000);
