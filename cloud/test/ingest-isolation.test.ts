/**
 * One bad report never costs its neighbours their place: the payload schemas accept only numbers the
 * database columns hold, and a batch the database refuses for its data is split until only the
 * report at fault is left out (counted malformed). Runs the real pipeline and statement on the test
 * cloud's database (PGlite, or PostgreSQL with DATABASE_URL), with every report in one batch.
 */
import { decodePayload, encodePayload, topicFor } from '@switchfleet/protocol';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.ts';
import { IngestPipeline, type IngestSink, type IngestStats } from '../src/ingest/pipeline.ts';
import { household, randomAddress, useTestCloud } from '@switchfleet/testkit/cloud';

const t = useTestCloud();

function countingSink(): { sink: IngestSink; counts: Partial<Record<keyof IngestStats, number>> } {
  const counts: Partial<Record<keyof IngestStats, number>> = {};
  const sink: IngestSink = {
    count: (_kind, outcome, n) => {
      counts[outcome] = (counts[outcome] ?? 0) + n;
    },
    log: () => {},
    apply: async () => {},
    health: () => {},
    settled: () => {},
    handled: () => {},
    leftToBroker: () => {},
  };
  return { sink, counts };
}

/** The raw JSON of a report, so that a test can write what encodePayload would refuse. */
function reportJson(gatewayId: string, address: string, seq: number | string, name = 'Lamp'): [string, Buffer] {
  const device = `{"address":"${address}","model":"WoHand","name":${JSON.stringify(name)}}`;
  const ts = new Date().toISOString();
  const body = `{"v":1,"seq":${seq},"ts":"${ts}","device":${device},"online":true,"state":{"on":true}}`;
  return [topicFor('deviceState', { gatewayId, address }), Buffer.from(body)];
}

async function storedReports(gatewayId: string): Promise<number> {
  const query = sql`select count(*)::integer as n from device_state_history where gateway_id = ${gatewayId}`;
  const rows = rowsOf<{ n: number }>(await t.cloud.db.execute(query));
  return Number(rows[0]!.n);
}

/** 99 good reports of one gateway with one report of another gateway among them, all in one batch. */
async function batchWithOneBad(bad: (gatewayId: string, address: string) => [string, Buffer]) {
  const good = await household(t.cloud);
  const other = await household(t.cloud);
  const { sink, counts } = countingSink();
  const pipeline = new IngestPipeline(t.cloud.db, sink);
  const addresses = Array.from({ length: 9 }, () => randomAddress());
  for (let seq = 1; seq <= 99; seq++) {
    pipeline.handle(...reportJson(good.credentials.gatewayId, addresses[seq % addresses.length]!, seq));
    if (seq === 50) pipeline.handle(...bad(other.credentials.gatewayId, randomAddress()));
  }
  await pipeline.stop();
  const stored = await storedReports(good.credentials.gatewayId);
  return { counts, stored, badStored: await storedReports(other.credentials.gatewayId) };
}

describe('a bad report among good ones', () => {
  const cases: [string, (gateway: string, address: string) => ReturnType<typeof reportJson>][] = [
    ['a seq past what the database column holds is refused as malformed', (g, a) => reportJson(g, a, '1e30')],
    [
      'a report the database itself refuses (a NUL in a text field) is isolated',
      (g, a) => reportJson(g, a, 1, 'bad\u0000name'),
    ],
  ];
  it.each(cases)(
    '%s: only it is malformed, the 99 reports around it stored',
    async (_name, bad) => {
      const { counts, stored, badStored } = await batchWithOneBad(bad);
      expect(stored).toBe(99);
      expect(badStored).toBe(0);
      expect(counts.malformed).toBe(1);
      expect(counts.deviceStates).toBe(99);
      expect(counts.failed ?? 0).toBe(0);
    },
    30_000,
  );
});

describe('payload bounds', () => {
  const device = { address: 'c0ffee000001', model: 'WoHand' };
  const base = { v: 1 as const, ts: '2026-01-01T00:00:00Z', device, online: true };
  it('accepts seq up to 2^53 - 1 and refuses anything above it', () => {
    const largest = encodePayload('deviceState', { ...base, seq: Number.MAX_SAFE_INTEGER });
    expect(decodePayload('deviceState', largest).ok).toBe(true);
    expect(decodePayload('deviceState', Buffer.from(JSON.stringify({ ...base, seq: 2 ** 53 }))).ok).toBe(false);
    const result = { v: 1, ts: '2026-01-01T00:00:00Z', commandId: 'c', status: 'succeeded' };
    expect(decodePayload('commandResult', Buffer.from(JSON.stringify({ ...result, seq: 1e30 }))).ok).toBe(false);
  });
});
