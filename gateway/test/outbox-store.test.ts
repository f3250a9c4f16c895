import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CommandRequest, DeviceReport } from '@switchfleet/protocol';
import { Outbox, type OutboxOptions } from '../src/outbox/outbox.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function options(overrides: Partial<OutboxOptions> = {}): OutboxOptions {
  const dir = mkdtempSync(join(tmpdir(), 'sf-outbox-'));
  dirs.push(dir);
  return {
    dir,
    maxBytes: 1 << 20,
    segmentBytes: 1 << 16,
    window: 8,
    rememberResults: 100,
    fsync: true,
    log: pino({ level: 'silent' }),
    ...overrides,
  };
}

const report = (seq: number, address = 'c0ffee000001'): DeviceReport => ({
  v: 1,
  seq,
  ts: new Date().toISOString(),
  device: { address, model: 'WoHand' },
  online: true,
  state: { on: seq % 2 === 0 },
});

const command = (commandId: string): CommandRequest => ({
  v: 1,
  commandId,
  action: 'on',
  issuedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
});

function segmentsOf(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
}

describe('the durable outbox on disk', () => {
  it('keeps unsent messages across a reopen and never reuses a sequence number', async () => {
    const opts = options();
    const first = await Outbox.open(opts);
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { value, stored } = first.put('deviceState', 'c0ffee000001', report);
      seqs.push(value.seq);
      await stored;
    }
    await first.close();
    const again = await Outbox.open(opts);
    expect(again.stats().records).toBe(5);
    expect(again.nextSeq).toBe(seqs[4]! + 1);
    await again.close();
  });

  it('drops a torn last record after a crash, and appends cleanly after it', async () => {
    const opts = options();
    const box = await Outbox.open(opts);
    for (let i = 0; i < 3; i++) await box.put('deviceState', 'c0ffee000001', report).stored;
    await box.close();
    const last = segmentsOf(opts.dir).at(-1)!;
    // A crash in the middle of a write: a length header and half a body.
    appendFileSync(join(opts.dir, last), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 123, 34, 116]));
    const reopened = await Outbox.open(opts);
    expect(reopened.stats().replay.dropped).toBe(1);
    expect(reopened.stats().records).toBe(3);
    await reopened.put('deviceState', 'c0ffee000001', report).stored;
    await reopened.close();
    const third = await Outbox.open(opts);
    expect(third.stats().replay.dropped).toBe(0);
    expect(third.stats().records).toBe(4);
    await third.close();
  });

  it('hands a taken command without a result back after a restart, and answers a done one from disk', async () => {
    const opts = options();
    const box = await Outbox.open(opts);
    await box.takeCommand('c0ffee000001', command('taken-only'));
    await box.takeCommand('c0ffee000002', command('finished'));
    await box.put('commandResult', 'c0ffee000002', (seq) => ({
      v: 1,
      seq,
      ts: new Date().toISOString(),
      commandId: 'finished',
      status: 'succeeded',
    })).stored;
    await box.close();
    const reopened = await Outbox.open(opts);
    expect(reopened.takenCommands().map((t) => t.cmd.commandId)).toEqual(['taken-only']);
    expect(reopened.resultOf('finished')?.result.status).toBe('succeeded');
    expect(reopened.resultOf('taken-only')).toBeUndefined();
    await reopened.close();
  });

  it('refuses a second writer while the first holds the outbox, and takes over a lock its dead holder left', async () => {
    const opts = options();
    const first = await Outbox.open(opts);
    await expect(Outbox.open(opts)).rejects.toMatchObject({ code: 'OUTBOX_LOCKED' });
    await first.close();
    writeFileSync(join(opts.dir, 'LOCK'), '2147483646');
    const second = await Outbox.open(opts);
    await second.close();
  });

  it('stays within its size bound by dropping the oldest state reports, never a command result', async () => {
    const opts = options({ maxBytes: 8192 });
    const box = await Outbox.open(opts);
    const result = box.put('commandResult', 'c0ffee000001', (seq) => ({
      v: 1,
      seq,
      ts: new Date().toISOString(),
      commandId: 'keep-me',
      status: 'succeeded',
    }));
    for (let i = 0; i < 200; i++) box.put('deviceState', 'c0ffee000001', report);
    await result.stored;
    await box.put('deviceState', 'c0ffee000001', report).stored;
    const stats = box.stats();
    expect(stats.bytes).toBeLessThanOrEqual(8192);
    expect(stats.dropped).toBeGreaterThan(0);
    await box.close();
    const reopened = await Outbox.open(opts);
    expect(reopened.stats().records).toBe(stats.records);
    expect(reopened.holds(result.value.seq)).toBe(true);
    await reopened.close();
  });
});
